import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import type { PostalAddress } from '../../schemas/signup.js';
import { invalidInput, LookupError } from './lookup-error.js';
import { ProviderHttpClient } from './provider-http-client.js';
import type { JsonReply, ReplyRules } from './provider-reply.js';
import { header, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';

/**
 * Even a perfect score only says the typed address exists, so the supporter's own address caps confidence here; a
 * hit on the street or the town alone says less still (it places the supporter no closer than that).
 */
const MAX_CONFIDENCE: Record<string, number> = { housenumber: 0.9, street: 0.7 };
/** The cap for a hit coarser than a street (`locality`, `municipality`) or of a type we do not know. */
const COARSE_CONFIDENCE = 0.6;
/** The only result type that places the address itself: coordinates are recorded from it alone. */
export const HOUSENUMBER = 'housenumber';
/**
 * The minimum score when the deployment sets none (`PROVIDER_BAN_MIN_SCORE` has the same default). BAN documents
 * the 0–1 score but publishes no threshold for accepting a match (docs/provider-apis.md, BAN).
 */
const DEFAULT_MIN_SCORE = 0.6;
/**
 * The limit is 50 requests a second, so a 429 without a wait clears quickly. The Géoplateforme's 429 is an HTML page
 * (no JSON body), read by its status alone.
 */
const RATE_LIMIT_DEFAULT_MS = 1000;

const optionalText = z.string().nullish();

/**
 * One GeoCodeJSON feature, the parts we read: a `Point` geometry `[lon, lat]` and the `properties` addok adds.
 * Source: geoservices.ign.fr (Géoplateforme geocoding), adresse.data.gouv.fr/api-doc/adresse and the GeoCodeJSON spec (github.com/geocoders/geocodejson-spec).
 */
export const BanFeatureSchema = z.object({
  geometry: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }),
  properties: z.object({
    score: z.number(),
    label: optionalText,
    city: optionalText,
    postcode: optionalText,
    citycode: optionalText,
    context: optionalText,
    /** `housenumber`, `street`, `locality` or `municipality`: how precisely the hit places the query. */
    type: optionalText,
  }),
});
export type BanFeature = z.infer<typeof BanFeatureSchema>;

export const BanSearchSchema = z.object({
  features: z.array(BanFeatureSchema),
});

/** addok's error reply: `{"code": 400, "message": "…"}`. */
const BanErrorSchema = z.object({ message: z.string() });

/** `14 rue Paul Bert 69003 Lyon`: street lines, postcode, locality. */
export function banQuery(address: PostalAddress): string {
  return [...(address.lines ?? []), address.postalCode, address.locality]
    .map((p) => p?.trim())
    .filter(Boolean)
    .join(' ');
}

/**
 * How many candidates we ask for. addok ranks them itself, but with only its best we could not tell a clear winner
 * from a near tie between two communes (one postcode often covers several, and street names repeat across them).
 */
const CANDIDATES = '5';
/**
 * Runners-up scoring within this much of the best count as just as likely. Our own choice: BAN publishes no
 * margin, and its scores for the right address and for a namesake street in a neighbouring commune sit a few
 * hundredths apart, while a house number against the bare street differs by more.
 */
export const AMBIGUOUS_SCORE_MARGIN = 0.05;

/** The best-scored feature, or undefined when there is none. */
export function bestFeature(features: BanFeature[]): BanFeature | undefined {
  return [...features].sort((a, b) => b.properties.score - a.properties.score)[0];
}

/** The districts a feature gives the record (commune and department), as `location.districts` keys them. */
function banDistricts(feature: BanFeature): Record<string, string | undefined> {
  return {
    commune: feature.properties.citycode?.trim() || undefined,
    department: contextParts(feature.properties.context).department,
  };
}

/**
 * The feature to record, as the Census rule has it: the best one, unless another scoring at least `minScore` and
 * within {@link AMBIGUOUS_SCORE_MARGIN} of it lies in another commune or department, when the lookup fails as a
 * non-retryable AmbiguousMatch. Close runners-up in the same commune and department (the house number and its
 * street, two spellings) do not matter: the districts recorded are the same whichever is taken. Undefined when
 * no feature reaches `minScore`.
 */
export function chooseFeature(features: BanFeature[], minScore: number): BanFeature | undefined {
  const best = bestFeature(features);
  if (best === undefined || best.properties.score < minScore) return undefined;
  const mine = banDistricts(best);
  const rivals = features.filter((f) => {
    if (
      f === best ||
      f.properties.score < minScore ||
      best.properties.score - f.properties.score > AMBIGUOUS_SCORE_MARGIN
    )
      return false;
    const theirs = banDistricts(f);
    return theirs.commune !== mine.commune || theirs.department !== mine.department;
  });
  if (rivals.length > 0) {
    throw new LookupError(
      LOOKUP_ERROR_TYPES.ambiguousMatch,
      `ban: ${rivals.length + 1} candidates within ${AMBIGUOUS_SCORE_MARGIN} of the best score lie in different communes or departments`,
      undefined,
      200,
    );
  }
  return best;
}

/**
 * `context` is "dept code, dept name, region" ("75, Paris, Île-de-France"); overseas departments that are their own
 * region have two parts ("971, Guadeloupe").
 */
function contextParts(context: string | null | undefined): { department?: string; region?: string } {
  const parts = (context ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return { department: parts[0], region: parts.length > 1 ? parts.at(-1) : undefined };
}

/**
 * Observations from the chosen feature. Only a `housenumber` hit places the supporter's address, so only it gives
 * coordinates; a street or town hit (the house number unknown to BAN, or missing from the query) still tells the
 * commune, department, postcode and town, at a lower confidence.
 */
export function banObservations(feature: BanFeature, sourceUrl: string, fetchedAt: string): ObservationInput[] {
  const type = feature.properties.type?.trim() ?? '';
  const confidence = Math.min(MAX_CONFIDENCE[type] ?? COARSE_CONFIDENCE, feature.properties.score);
  const obs: ObservationInput[] = [];
  const add = (field: string, value: string | number | null | undefined) => {
    if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '')) {
      obs.push({ field, value: typeof value === 'string' ? value.trim() : value, confidence, sourceUrl, fetchedAt });
    }
  };
  // GeoJSON puts longitude first.
  const [lon, lat] = feature.geometry.coordinates;
  const { department, region } = contextParts(feature.properties.context);
  if (type === HOUSENUMBER) {
    add('location.lat', lat);
    add('location.lon', lon);
  }
  add('location.locality', feature.properties.city);
  add('location.postalCode', feature.properties.postcode);
  add('location.region', region);
  add('location.districts.commune', feature.properties.citycode);
  add('location.districts.department', department);
  return obs;
}

function rejected(reply: JsonReply): LookupError {
  const parsed = BanErrorSchema.safeParse(reply.body);
  const detail = parsed.success ? `: ${parsed.data.message}` : '';
  return new LookupError(
    LOOKUP_ERROR_TYPES.providerRejected,
    `ban rejected the request (HTTP ${reply.status})${detail}`,
    undefined,
    reply.status,
  );
}

/** addok's 400 (a query it refuses) carries its reason, quoted in the refusal. */
const BAN_REPLIES = {
  rateLimit: {
    delayMs: ({ headers }, now) => parseRetryAfter(header(headers, 'retry-after'), now) ?? RATE_LIMIT_DEFAULT_MS,
  },
  refusal: (reply) => (reply.status === 400 ? rejected(reply) : undefined),
} satisfies ReplyRules;

export function createBanProvider(config: ProviderConfig, deps: ProviderDeps): Provider {
  const http = new ProviderHttpClient({
    provider: 'ban',
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: deps.maxResponseBytes,
  });
  const minScore = deps.minScore ?? DEFAULT_MIN_SCORE;

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    const address = input.postalAddress;
    const q = address ? banQuery(address) : '';
    if (q === '') throw invalidInput('ban', 'an address or a locality is needed');
    const postcode = address?.postalCode?.trim();
    // The Géoplateforme's search (`index=address`: the BAN addresses, not its places or cadastral parcels).
    const url = http.url('search', {
      q,
      index: 'address',
      limit: CANDIDATES,
      autocomplete: '0',
      ...(postcode ? { postcode } : {}),
    });
    const search = await http.getParsed(url, BanSearchSchema, BAN_REPLIES, signal);
    // A low score means the geocoder guessed (another street, only the town): not the supporter's address.
    const best = chooseFeature(search.features, minScore);
    if (best === undefined) return { outcome: 'no_match', observations: [] };
    // The request URL carries nothing secret (the API takes no key), so it is the evidence itself.
    return { outcome: 'matched', observations: banObservations(best, url.toString(), new Date().toISOString()) };
  }

  return { name: 'ban', lookup, close: () => http.close() };
}
