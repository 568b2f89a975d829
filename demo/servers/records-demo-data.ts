/**
 * Loads and validates the demo data of the public-records providers (`demo/data/fec.json`, `census.json`,
 * `ban.json`). Like `demo-data.ts`, the schemas here are stricter than the servers' own entry checks: data files
 * must use the providers' full shapes, while tests may hand the servers minimal objects. A valid file is returned
 * as read, not as parsed, so the servers answer with the file's key order, as the real APIs would.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { BanDemoEntry } from './ban-server.js';
import { addressKey } from './census-server.js';
import type { CensusDemoEntry } from './census-server.js';
import { DEFAULT_DATA_DIR, DemoDataError, parseFile, readJson } from './demo-data.js';
import type { FecDemoEntry } from './fec-server.js';
import { FaultSchema } from './faults.js';

export const FEC_DATA_FILE = 'fec.json';
export const CENSUS_DATA_FILE = 'census.json';
export const BAN_DATA_FILE = 'ban.json';

const UrlSchema = z.url();
const text = z.string().min(1);
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$/, 'must be a date, YYYY-MM-DD');

// ---------------------------------------------------------------- FEC

/** One Schedule A row: the fields the FEC provider reads (docs/provider-apis.md, "OpenFEC"), as openFEC spells them. */
const FecReceiptSchema = z.looseObject({
  sub_id: z.string().regex(/^\d{10,20}$/, 'must be the digits of a sub_id'),
  committee_id: z.string().regex(/^C\d{8}$/, 'must be a committee ID like C00999999'),
  committee_name: text,
  committee: z.looseObject({
    committee_id: z.string(),
    name: text,
    state: z.string().nullable(),
    party: z.string().nullable(),
  }),
  contributor_name: z.string().regex(/^[A-Z][A-Z' -]*, [A-Z][A-Z' .-]*$/, 'must be `LAST, FIRST` in capitals'),
  contributor_first_name: text,
  contributor_last_name: text,
  contributor_street_1: text,
  contributor_city: text,
  contributor_state: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter state'),
  contributor_zip: z.string().regex(/^\d{5}(\d{4})?$/, 'must be a ZIP5 or ZIP+4 without the dash'),
  contributor_employer: z.string(),
  contributor_occupation: z.string(),
  contribution_receipt_amount: z.number(),
  contribution_receipt_date: isoDay,
  contributor_aggregate_ytd: z.number(),
  receipt_type_desc: z.string().nullable(),
  memo_text: z.string().nullable(),
  is_individual: z.literal(true),
  entity_type: z.literal('IND'),
  two_year_transaction_period: z
    .number()
    .int()
    .refine((year) => year % 2 === 0, 'must be an even year'),
  image_number: z.string().regex(/^\d{18}$/, 'must be an 18-digit image number'),
  pdf_url: UrlSchema,
});

const FecFileEntrySchema = z
  .strictObject({
    name: z.string().regex(/^[A-Z][A-Z' -]*, [A-Z][A-Z' .-]*$/, 'must be `LAST, FIRST` in capitals'),
    zip: z.string().regex(/^\d{5}$/, 'must be a ZIP5'),
    results: z.array(FecReceiptSchema).min(1, 'a donor needs at least one receipt'),
    fault: FaultSchema.optional(),
  })
  .superRefine((entry, ctx) => {
    entry.results.forEach((row, i) => {
      if (!row.contributor_zip.startsWith(entry.zip)) {
        ctx.addIssue({
          code: 'custom',
          message: `must start with the entry zip ${entry.zip}`,
          path: ['results', i, 'contributor_zip'],
        });
      }
      if (!row.contributor_name.startsWith(entry.name)) {
        ctx.addIssue({
          code: 'custom',
          message: `must start with the entry name ${entry.name}`,
          path: ['results', i, 'contributor_name'],
        });
      }
    });
  });

// ---------------------------------------------------------------- Census

const CensusGeographySchema = z.looseObject({ GEOID: z.string().regex(/^\d+$/, 'must be digits'), NAME: text });

/** Layers every demo match must carry; the versioned ones are checked by suffix, as clients must read them. */
const REQUIRED_LAYERS = [
  'States',
  'Counties',
  'Census Tracts',
  'Congressional Districts',
  'State Legislative Districts - Upper',
  'State Legislative Districts - Lower',
];

const CensusAddressMatchSchema = z.strictObject({
  matchedAddress: text,
  coordinates: z
    .strictObject({ x: z.number(), y: z.number() })
    .refine(
      (c) => c.x >= -180 && c.x <= -60 && c.y >= 15 && c.y <= 72,
      'must be in the United States (x is the longitude, y the latitude)',
    ),
  tigerLine: z.strictObject({ tigerLineId: z.string().regex(/^\d+$/), side: z.enum(['L', 'R']) }),
  addressComponents: z.strictObject({
    zip: z.string().regex(/^\d{5}$/),
    streetName: text,
    preType: z.string(),
    city: text,
    preDirection: z.string(),
    suffixDirection: z.string(),
    fromAddress: z.string(),
    state: z.string().regex(/^[A-Z]{2}$/),
    suffixType: z.string(),
    toAddress: z.string(),
    suffixQualifier: z.string(),
    preQualifier: z.string(),
  }),
  geographies: z.record(z.string(), z.array(CensusGeographySchema).min(1)).superRefine((geographies, ctx) => {
    const names = Object.keys(geographies);
    for (const suffix of REQUIRED_LAYERS) {
      if (!names.some((name) => name === suffix || name.endsWith(` ${suffix}`))) {
        ctx.addIssue({ code: 'custom', message: `needs a layer named "${suffix}" or "<version> ${suffix}"` });
      }
    }
  }),
});

const CensusFileEntrySchema = z.strictObject({
  address: text.max(100),
  addressMatches: z.array(CensusAddressMatchSchema),
  fault: FaultSchema.optional(),
});

// ---------------------------------------------------------------- BAN

const BAN_TYPES = ['housenumber', 'street', 'locality', 'municipality'] as const;

const BanFeatureSchema = z
  .strictObject({
    type: z.literal('Feature'),
    geometry: z.strictObject({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }),
    properties: z.looseObject({
      label: text,
      score: z.number().min(0).max(1),
      housenumber: text.optional(),
      id: text,
      name: text,
      postcode: z.string().regex(/^\d{5}$/, 'must be a French postcode'),
      citycode: z.string().regex(/^(\d{5}|2[AB]\d{3})$/, 'must be an INSEE commune code'),
      x: z.number(),
      y: z.number(),
      city: text,
      district: text.optional(),
      context: z.string().regex(/^[0-9AB]{2,3}, [^,]+(, [^,]+)?$/, 'must be "dept code, dept name, region"'),
      type: z.enum(BAN_TYPES),
      importance: z.number().min(0).max(1),
      street: text.optional(),
    }),
  })
  .refine(
    (f) =>
      f.properties.postcode.startsWith('97') ||
      (f.geometry.coordinates[0] >= -5.5 &&
        f.geometry.coordinates[0] <= 10 &&
        f.geometry.coordinates[1] >= 41 &&
        f.geometry.coordinates[1] <= 51.5),
    { message: 'must be [lon, lat] inside metropolitan France', path: ['geometry', 'coordinates'] },
  );

const BanFileEntrySchema = z.strictObject({
  q: z.string().min(3).max(200),
  features: z.array(BanFeatureSchema),
  fault: FaultSchema.optional(),
});

// ---------------------------------------------------------------- loaders

export async function loadFecEntries(dataDir: string = DEFAULT_DATA_DIR): Promise<FecDemoEntry[]> {
  const file = join(dataDir, FEC_DATA_FILE);
  const data = await readJson(file);
  const entries = parseFile(file, data, z.array(FecFileEntrySchema));
  // Two donors may share a name and a ZIP (that is the ambiguous case); two copies of one receipt may not.
  assertUnique(
    file,
    entries.flatMap((entry, i) => entry.results.map((row, j) => ({ at: `[${i}].results[${j}]`, key: row.sub_id }))),
    'sub_id',
  );
  return data as FecDemoEntry[];
}

export async function loadCensusEntries(dataDir: string = DEFAULT_DATA_DIR): Promise<CensusDemoEntry[]> {
  const file = join(dataDir, CENSUS_DATA_FILE);
  const data = await readJson(file);
  const entries = parseFile(file, data, z.array(CensusFileEntrySchema));
  assertUnique(
    file,
    entries.map((entry, i) => ({ at: `[${i}]`, key: addressKey(entry.address) })),
    'address',
  );
  return data as CensusDemoEntry[];
}

export async function loadBanEntries(dataDir: string = DEFAULT_DATA_DIR): Promise<BanDemoEntry[]> {
  const file = join(dataDir, BAN_DATA_FILE);
  const data = await readJson(file);
  const entries = parseFile(file, data, z.array(BanFileEntrySchema));
  assertUnique(
    file,
    entries.map((entry, i) => ({ at: `[${i}]`, key: addressKey(entry.q) })),
    'q',
  );
  return data as BanDemoEntry[];
}

/** A duplicate would silently shadow an entry in the servers' indexes, so refuse it. */
function assertUnique(file: string, items: Array<{ at: string; key: string }>, field: string): void {
  const seen = new Map<string, string>();
  for (const { at, key } of items) {
    const first = seen.get(key);
    if (first !== undefined) throw new DemoDataError(`${file}: ${at}.${field}: duplicates ${first}.${field} (${key})`);
    seen.set(key, at);
  }
}
