import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import type { PostalAddress } from '../../schemas/signup.js';
import { invalidInput, LookupError } from './lookup-error.js';
import { ProviderHttpClient } from './provider-http-client.js';
import type { JsonReply, ReplyRules } from './provider-reply.js';
import { header, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';

/** The supporter's own typed address, placed by the Census Bureau: the location is theirs, if not exact. */
const CONFIDENCE = 0.9;
/** The Census documents no rate limit; when a 429 comes anyway without a wait, try again shortly. */
const RATE_LIMIT_DEFAULT_MS = 10_000;

/** One geography in a layer; the fields vary by layer, and some (AREALAND, OBJECTID) are numbers. */
export const CensusGeographySchema = z.looseObject({
  GEOID: z.string().optional(),
  NAME: z.string().optional(),
  BASENAME: z.string().optional(),
  STUSAB: z.string().optional(),
});
export type CensusGeography = z.infer<typeof CensusGeographySchema>;
export type CensusGeographies = Record<string, CensusGeography[]>;

/**
 * The parts of a `geographies/onelineaddress` answer we read. Source: the Census Geocoder's API documentation
 * (geocoding.geo.census.gov/geocoder/Geocoding_Services_API.html).
 */
export const CensusAnswerSchema = z.object({
  result: z.object({
    addressMatches: z.array(
      z.object({
        matchedAddress: z.string(),
        coordinates: z.object({ x: z.number(), y: z.number() }),
        addressComponents: z.looseObject({ state: z.string().optional() }).optional(),
        geographies: z.record(z.string(), z.array(CensusGeographySchema)),
      }),
    ),
  }),
});
export type CensusAddressMatch = z.infer<typeof CensusAnswerSchema>['result']['addressMatches'][number];

/** The geocoder's error reply: `{"errors": ["…"], "status": "400"}`. */
const CensusErrorSchema = z.object({ errors: z.array(z.string()) });

/** The layers we read, by the part of their name that does not change from one vintage to the next. */
export const CENSUS_LAYERS = {
  states: 'States',
  counties: 'Counties',
  tracts: 'Census Tracts',
  congressional: 'Congressional Districts',
  stateUpper: 'State Legislative Districts - Upper',
  stateLower: 'State Legislative Districts - Lower',
} as const;

/**
 * The layers asked for (`layers`), by the names the geocoder gives them in the current vintage (`Current_Current`):
 * without `layers` it answers its default set, States, Counties, Census Tracts and Census Blocks, and no district.
 * The versioned names change when a new Congress or a new set of state districts is loaded; the answer is then
 * still read by suffix ({@link findLayerName}), and `npm run check:providers` reports the layers that came back.
 * Source: geocoding.geo.census.gov/geocoder/Geocoding_Services_API.html (`layers`: IDs or names, or `all`), and the
 * layer names of TIGERweb's `tigerWMS_Current` service (docs/provider-apis.md, "US Census geocoder").
 */
export const CENSUS_LAYER_REQUEST = [
  'States',
  'Counties',
  'Census Tracts',
  '119th Congressional Districts',
  '2024 State Legislative Districts - Upper',
  '2024 State Legislative Districts - Lower',
] as const;

const collapse = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();
/** `119th Congressional Districts` → 119, `2024 State Legislative …` → 2024, `States` → 0. */
const leadingNumber = (name: string) => Number(/^\d+/.exec(name.trim())?.[0] ?? 0);

/**
 * The layer whose name ends with `suffix` as whole words (case-insensitive): layer names carry the Congress or
 * the year (`119th Congressional Districts`, `2024 State Legislative Districts - Upper`), which change with each
 * vintage. The suffix must be whole trailing words: `States` matches `States` and `2020 States`, never
 * `Interstates`. When several match (`118th` and `119th`), the highest leading number wins.
 */
export function findLayerName(layerNames: Iterable<string>, suffix: string): string | undefined {
  const want = collapse(suffix);
  const matches = [...layerNames].filter((name) => {
    const have = collapse(name);
    return have === want || have.endsWith(` ${want}`);
  });
  return matches.sort((a, b) => leadingNumber(b) - leadingNumber(a) || a.localeCompare(b))[0];
}

/** The first geography of the layer named by `suffix`, or undefined. */
export function geographyBySuffix(geographies: CensusGeographies, suffix: string): CensusGeography | undefined {
  const name = findLayerName(Object.keys(geographies), suffix);
  return name === undefined ? undefined : geographies[name]?.[0];
}

const text = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

/**
 * The two-digit district code of a congressional district: the `CD119`-style field (named after the Congress),
 * else the last two digits of the GEOID (state FIPS + district), else a numeric BASENAME.
 */
function districtCode(district: CensusGeography): string | undefined {
  for (const [key, value] of Object.entries(district)) {
    if (/^CD\d+$/.test(key) && typeof value === 'string' && /^\d{1,2}$/.test(value.trim()))
      return value.trim().padStart(2, '0');
  }
  const geoid = district.GEOID?.trim();
  if (geoid && /^\d{4}$/.test(geoid)) return geoid.slice(2);
  const basename = district.BASENAME?.trim();
  return basename && /^\d{1,2}$/.test(basename) ? basename.padStart(2, '0') : undefined;
}

/** `ZZZ` (or `ZZ`) marks water or land outside any legislative district. */
const legislativeDistrict = (district: CensusGeography | undefined) => {
  const basename = text(district?.BASENAME);
  return basename && !/^Z+$/i.test(basename) ? basename : undefined;
};

/** The districts of a match, keyed as in the record's `location.districts`. */
export function censusDistricts(
  match: Pick<CensusAddressMatch, 'geographies' | 'addressComponents'>,
): Record<string, string> {
  const g = match.geographies;
  const districts: Record<string, string> = {};
  const state = text(geographyBySuffix(g, CENSUS_LAYERS.states)?.STUSAB) ?? text(match.addressComponents?.state);
  const congressional = geographyBySuffix(g, CENSUS_LAYERS.congressional);
  const code = congressional && districtCode(congressional);
  if (state && code) districts['congressional'] = `${state.toUpperCase()}-${code}`;
  const upper = legislativeDistrict(geographyBySuffix(g, CENSUS_LAYERS.stateUpper));
  if (upper) districts['stateUpper'] = upper;
  const lower = legislativeDistrict(geographyBySuffix(g, CENSUS_LAYERS.stateLower));
  if (lower) districts['stateLower'] = lower;
  const county = text(geographyBySuffix(g, CENSUS_LAYERS.counties)?.NAME);
  if (county) districts['county'] = county;
  const tract = text(geographyBySuffix(g, CENSUS_LAYERS.tracts)?.GEOID);
  if (tract) districts['tract'] = tract;
  return districts;
}

export function censusObservations(
  match: CensusAddressMatch,
  sourceUrl: string,
  fetchedAt: string,
): ObservationInput[] {
  const at = (field: string, value: string | number): ObservationInput => ({
    field,
    value,
    confidence: CONFIDENCE,
    sourceUrl,
    fetchedAt,
  });
  return [
    at('location.lat', match.coordinates.y),
    at('location.lon', match.coordinates.x),
    ...Object.entries(censusDistricts(match)).map(([name, value]) => at(`location.districts.${name}`, value)),
  ];
}

/** `1187 Neil Ave, Columbus, OH 43201`: street lines, locality, then region and ZIP; missing parts left out. */
export function oneLineAddress(address: PostalAddress): string {
  const regionZip = [address.region, address.postalCode]
    .map((p) => p?.trim())
    .filter(Boolean)
    .join(' ');
  return [...(address.lines ?? []), address.locality, regionZip]
    .map((p) => p?.trim())
    .filter(Boolean)
    .join(', ');
}

/** The district names (record keys) on which two matches differ; a district only one of them has counts as a difference. */
export function differingDistricts(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((name) => a[name] !== b[name]).sort();
}

/**
 * The match to record, or undefined when there is none. The geocoder gives no score, so several matches cannot be
 * ranked by how sure it is; if they put the address in different districts (a street whose address ranges straddle
 * a boundary, a spelling that fits two streets), recording the first would be a guess about the very facts the
 * record keeps, so the lookup fails as AmbiguousMatch (non-retryable, the contact is flagged), as FEC and the voter
 * file do. Matches that agree on every district the record uses may still match: they come from the same address
 * on neighbouring edges or in two spellings, the districts recorded are the same whichever is taken, and the
 * coordinates (the first, the geocoder's own order) are approximate anyway.
 */
export function onePlace(matches: CensusAddressMatch[]): CensusAddressMatch | undefined {
  const [first, ...others] = matches;
  if (first === undefined) return undefined;
  const districts = censusDistricts(first);
  const differing = [
    ...new Set(others.flatMap((other) => differingDistricts(districts, censusDistricts(other)))),
  ].sort();
  if (differing.length > 0) {
    // District names only: the matched addresses are the supporter's, and this message is stored and logged.
    throw new LookupError(
      LOOKUP_ERROR_TYPES.ambiguousMatch,
      `census: ${matches.length} address matches in different districts (${differing.join(', ')})`,
      undefined,
      200,
    );
  }
  return first;
}

function rejected(reply: JsonReply): LookupError {
  const parsed = CensusErrorSchema.safeParse(reply.body);
  const detail = parsed.success && parsed.data.errors.length > 0 ? `: ${parsed.data.errors.join('; ')}` : '';
  return new LookupError(
    LOOKUP_ERROR_TYPES.providerRejected,
    `census rejected the request (HTTP ${reply.status})${detail}`,
    undefined,
    reply.status,
  );
}

/** The geocoder's 400 carries its reasons (`{"errors": [...]}`), quoted in the refusal; it documents no rate limit. */
const CENSUS_REPLIES = {
  rateLimit: {
    delayMs: ({ headers }, now) => parseRetryAfter(header(headers, 'retry-after'), now) ?? RATE_LIMIT_DEFAULT_MS,
  },
  refusal: (reply) => (reply.status === 400 ? rejected(reply) : undefined),
} satisfies ReplyRules;

export function createCensusProvider(config: ProviderConfig, deps: ProviderDeps): Provider {
  const http = new ProviderHttpClient({
    provider: 'census',
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: deps.maxResponseBytes,
  });

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    const address = input.postalAddress;
    if (!address?.lines?.some((line) => line.trim() !== ''))
      throw invalidInput('census', 'a street address line is needed');
    const url = http.url('geocoder/geographies/onelineaddress', {
      address: oneLineAddress(address),
      benchmark: 'Public_AR_Current',
      vintage: 'Current_Current',
      layers: CENSUS_LAYER_REQUEST.join(','),
      format: 'json',
    });
    const answer = await http.getParsed(url, CensusAnswerSchema, CENSUS_REPLIES, signal);
    const match = onePlace(answer.result.addressMatches);
    if (match === undefined) return { outcome: 'no_match', observations: [] };
    // The request URL carries nothing secret (the geocoder takes no key), so it is the evidence itself.
    return { outcome: 'matched', observations: censusObservations(match, url.toString(), new Date().toISOString()) };
  }

  return { name: 'census', lookup, close: () => http.close() };
}
