import type { Config } from '../../config.js';
import { SignupSchema, type Signup } from '../../schemas/signup.js';
import type { StartEnrichmentResult } from '../../client/start-enrichment.js';
import { contactKeyFromWorkflowId } from '../../schemas/ids.js';
import { runningApi, type RunningApi } from './running-api.js';
import { CommandError } from './command-error.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export interface SignupOptions {
  givenName?: string;
  familyName?: string;
  birthYear?: string;
  address?: string;
  postalCode?: string;
  locality?: string;
  region?: string;
  country?: string;
  source?: string;
  consentSocial?: boolean;
  wait?: boolean;
}

/** Builds the same signup body the webhook takes from command-line options, validated by the same schema. */
export function signupFromOptions(email: string, options: SignupOptions, now = new Date()): Signup {
  const address = {
    lines: options.address ? [options.address] : undefined,
    locality: options.locality,
    region: options.region,
    postalCode: options.postalCode,
    country: options.country,
  };
  const hasAddress = Object.values(address).some((v) => v !== undefined);
  const parsed = SignupSchema.safeParse({
    email,
    givenName: options.givenName,
    familyName: options.familyName,
    birthYear: options.birthYear,
    postalAddress: hasAddress ? address : undefined,
    source: options.source ?? 'cli',
    consent: options.consentSocial ? { socialProfiles: true, at: now.toISOString(), noticeVersion: 'cli' } : undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CommandError(`signup: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * Posts the signup to a running API, as a webhook would (the API answers once Temporal acknowledged the start, and
 * `suppressed` for a person who opted out). A refusal is the command's error; an API that cannot be reached is too,
 * rather than a silent fall-back that would bypass the suppression list the API checks.
 */
async function signupThroughApi(
  api: RunningApi & { signupToken: string },
  body: Signup,
): Promise<StartEnrichmentResult> {
  const response = await fetch(`${api.url}/v1/signups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.signupToken}` },
    body: JSON.stringify(body),
  }).catch((err: unknown) => {
    throw new CommandError(
      `signup: cannot reach the API at ${api.url} (${err instanceof Error ? err.message : String(err)})`,
    );
  });
  const answer = (await response.json().catch(() => ({}))) as { workflowId?: string; status?: string; error?: string };
  if (response.status !== 202 || !answer.workflowId)
    throw new CommandError(
      `signup: the API answered HTTP ${response.status}${answer.error ? `: ${answer.error}` : ''}`,
    );
  const contactKey = contactKeyFromWorkflowId(answer.workflowId) ?? '';
  return { workflowId: answer.workflowId, contactKey, status: answer.status as StartEnrichmentResult['status'] };
}

export async function signup(
  config: Config,
  email: string,
  options: SignupOptions,
): Promise<StartEnrichmentResult & { result?: unknown }> {
  const body = signupFromOptions(email, options);
  // `--wait` follows the run through Temporal, so it needs the client anyway.
  const api = options.wait ? undefined : await runningApi(config);
  if (api?.signupToken) return signupThroughApi({ ...api, signupToken: api.signupToken }, body);
  const { createTemporalClient } = await import('../../client/temporal-client.js');
  const { startEnrichment } = await import('../../client/start-enrichment.js');
  const { waitForSettled } = await import('../../client/wait-for-settled.js');
  const client = await createTemporalClient(config).catch((err: unknown) => {
    throw new CommandError(
      `signup: cannot reach Temporal (${err instanceof Error ? err.message : String(err)}); is \`enrich dev\` or a worker stack running?`,
    );
  });
  try {
    const started = await startEnrichment(client, config, body);
    if (!options.wait) return started;
    return { ...started, result: await waitForSettled(client, started.workflowId) };
  } finally {
    await client.connection.close();
  }
}

/** `enrich signup <email> [options]`: prints the start (and, with --wait, the settled status) as JSON. */
export function register(program: Command, context: CliContext): void {
  program
    .command('signup <email>')
    .description('start one enrichment, as the signup webhook does')
    .option('--given-name <name>')
    .option('--family-name <name>')
    .option('--birth-year <year>', 'helps the voter-file match tell namesakes apart')
    .option('--address <line>', 'street address line')
    .option('--postal-code <code>')
    .option('--locality <city>')
    .option('--region <region>')
    .option('--country <code>', 'ISO 3166-1 alpha-2, e.g. US or FR')
    .option('--source <source>', 'where the signup came from', 'cli')
    .option('--consent-social', 'the supporter agreed to public social-profile matching')
    .option('--wait', 'wait until the enrichment has settled (enriched, or flagged) and print its status')
    .action(async (email: string, opts: SignupOptions) => {
      const result = await signup(context.config, email, opts);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
