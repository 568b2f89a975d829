import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import pLimit from 'p-limit';
import type { Config } from '../../config.js';
import type { EnrichContactInput } from '../../schemas/enrichment.js';
import { enrichContact, retryLookupsUpdate } from '../../workflows/enrich-contact.js';
import { contactKeyFromWorkflowId, enrichContactWorkflowId } from '../../schemas/ids.js';
import { ContactKeyKey, EnrichmentStatusKey } from '../../workflows/search-attributes.js';
import { contactKeyFromRef } from '../../domain/contact-key.js';
import { buildEnrichContactInput } from '../../client/start-enrichment.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
import { CommandError } from './command-error.js';
import type { Command } from 'commander';
import { createTemporalClient } from '../../client/temporal-client.js';
import type { CliContext } from '../context.js';

export interface RetryResult {
  workflowId: string;
  /** `retried`: the open workflow re-ran its failed lookups; `restarted`: a closed one was enriched again. */
  action: 'retried' | 'restarted';
  status: string;
}

/** The input a workflow was started with, read back from its history (decoded as the client decodes payloads). */
async function originalInput(client: Client, workflowId: string): Promise<EnrichContactInput> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const { payloadCodecs, payloadConverter } = client.workflow.options.loadedDataConverter;
  let decoded = payloads;
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  if (!decoded[0]) throw new CommandError(`retry: ${workflowId} has no input in its history`);
  return payloadConverter.fromPayload<EnrichContactInput>(decoded[0]);
}

/**
 * Asks a contact's enrichment to retry its failed lookups now. An open workflow (flagged, waiting for retries) gets
 * the `retryLookups` update and answers once it has re-merged. A closed one is started again with the signup it
 * had and today's configuration; every lookup runs again and the record is re-derived (observations are idempotent).
 */
export async function retryContact(client: Client, config: Config, workflowId: string): Promise<RetryResult> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) throw new CommandError(`retry: no enrichment ${workflowId}`, 2);
    throw err;
  });
  if (description.status.name === 'RUNNING') {
    const view = await handle.executeUpdate(retryLookupsUpdate, { args: [{}] });
    return { workflowId, action: 'retried', status: view.status };
  }
  const previous = await originalInput(client, workflowId);
  const contactKey = contactKeyFromWorkflowId(workflowId) ?? previous.contactKey;
  await client.workflow.start(enrichContact, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [buildEnrichContactInput(config, contactKey, previous.signup, new Date(previous.receivedAt), 'operator')],
    priority: { priorityKey: config.priority.operator },
    // Deliberately again: the previous run is closed, and a retry asked for by an operator is a new run.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
    typedSearchAttributes: [
      { key: EnrichmentStatusKey, value: 'running' },
      { key: ContactKeyKey, value: contactKey },
    ],
  });
  const view = await waitForSettled(client, workflowId);
  return { workflowId, action: 'restarted', status: view.status };
}

/** The workflow ID for `enrich retry <email|id>`. */
export function retryTarget(config: Config, ref: string): string {
  const key = contactKeyFromRef(ref, config.pseudonymKey);
  if (!key)
    throw new CommandError('retry: give an email, a contact id, an enrich-contact workflow id, or --all-flagged');
  return enrichContactWorkflowId(key);
}

/** Every contact whose latest enrichment is flagged, open or closed (Temporal visibility; older runs are skipped). */
export async function flaggedWorkflowIds(client: Client): Promise<string[]> {
  const candidates = new Set<string>();
  for await (const execution of client.workflow.list({ query: 'EnrichmentStatus = "flagged"' }))
    candidates.add(execution.workflowId);
  const flagged: string[] = [];
  for (const workflowId of candidates) {
    // A describe without a run ID is the latest run: a contact re-enriched since is no longer flagged.
    const latest = await client.workflow.getHandle(workflowId).describe();
    if (latest.typedSearchAttributes.get(EnrichmentStatusKey) === 'flagged') flagged.push(workflowId);
  }
  return flagged.sort();
}

/** Retries every flagged contact, a few at a time. */
export async function retryAllFlagged(client: Client, config: Config, concurrency = 5): Promise<RetryResult[]> {
  const limit = pLimit(concurrency);
  const ids = await flaggedWorkflowIds(client);
  return Promise.all(ids.map((id) => limit(() => retryContact(client, config, id))));
}

/** `enrich retry <ref>` or `enrich retry --all-flagged`: prints each contact's {@link RetryResult} as JSON. */
export function register(program: Command, context: CliContext): void {
  program
    .command('retry [ref]')
    .description(
      'retry the failed lookups of a contact (email, contact id or workflow id) now, or of every flagged contact',
    )
    .option('--all-flagged', 'every contact whose latest enrichment is flagged')
    .action(async (ref: string | undefined, opts: { allFlagged?: boolean }) => {
      const { config } = context;
      if (!ref && !opts.allFlagged) throw new CommandError('retry: give a contact, or --all-flagged');
      const client = await createTemporalClient(config);
      try {
        const results = opts.allFlagged
          ? await retryAllFlagged(client, config)
          : [await retryContact(client, config, retryTarget(config, ref!))];
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      } finally {
        await client.connection.close();
      }
    });
}
