import type { Config } from '../../config.js';
import { SignupSchema, type Signup } from '../../schemas/signup.js';
import { createTemporalClient } from '../../client/temporal-client.js';
import { startEnrichment, type StartEnrichmentResult } from '../../client/start-enrichment.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
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

export async function signup(
  config: Config,
  email: string,
  options: SignupOptions,
): Promise<StartEnrichmentResult & { result?: unknown }> {
  const body = signupFromOptions(email, options);
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
