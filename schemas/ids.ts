import type { ProviderName } from './providers.js';

/** The workflow ID of a contact's enrichment: the prefix and an opaque keyed hash, never the email. */
export function enrichContactWorkflowId(contactKey: string): string {
  return `enrich-contact:${contactKey}`;
}

/** The workflow IDs of a contact's privacy requests; one of each per contact at a time. */
export function eraseContactWorkflowId(contactKey: string): string {
  return `erase-contact:${contactKey}`;
}
export function suppressContactWorkflowId(contactKey: string): string {
  return `suppress-contact:${contactKey}`;
}

/** The contact key inside an enrichment workflow ID, or undefined when the ID is not one. */
export function contactKeyFromWorkflowId(workflowId: string): string | undefined {
  const match = /^enrich-contact:([0-9a-f]{64})$/.exec(workflowId);
  return match?.[1];
}

/**
 * Each provider has its own activity task queue, named after the workflow queue, so its rate limit is enforced
 * by the Temporal server across every worker that polls it.
 */
export function providerTaskQueue(workflowTaskQueue: string, provider: ProviderName): string {
  return `${workflowTaskQueue}-${provider}`;
}

/** The activity name of a provider's lookup, e.g. `lookupGravatar`. */
export function lookupActivityName(provider: ProviderName): `lookup${Capitalize<ProviderName>}` {
  return `lookup${provider.charAt(0).toUpperCase()}${provider.slice(1)}` as `lookup${Capitalize<ProviderName>}`;
}

/** A lookup attempt's start-to-close: the provider's request timeout and a little more for the activity around it. */
export function lookupAttemptTimeoutMs(requestTimeoutMs: number): number {
  return requestTimeoutMs + 5_000;
}
