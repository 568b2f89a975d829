import type { LookupInput, ObservationInput } from '../../schemas/lookup.js';
import type { ProviderName } from '../../schemas/providers.js';

/** What a provider's lookup found; attempts are added by the activity wrapper. */
export interface ProviderAnswer {
  outcome: 'matched' | 'no_match';
  observations: ObservationInput[];
}

/** What a provider module needs besides its own configuration. */
export interface ProviderDeps {
  maxResponseBytes: number;
  /** The provider's API key or token, from the environment; optional for every provider so far. */
  apiKey?: string | undefined;
  /** For providers that score their matches (BAN): below this a candidate counts as no match. */
  minScore?: number;
  /** For providers that page (FEC): the most pages one lookup reads. */
  maxPages?: number;
}

/**
 * One public source. `lookup` answers matched or no_match, or throws a LookupError that says whether and when to
 * retry. It never returns an empty result for a failure.
 */
export interface Provider {
  name: ProviderName;
  lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer>;
  close(): Promise<void>;
}
