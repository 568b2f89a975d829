import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { recordForPurpose, type ExportPurpose } from '../domain/merge/restricted-fields.js';
import { parseStoredRecord, type ContactRecord } from '../schemas/contact-record.js';
import type { Database } from './database.js';

/**
 * Segments: a small filter language over record fields (`work.occupation~physician`,
 * `location.districts.congressional=NC-04`, `profiles.network=mastodon`, `donations.total>=500`, `voter.party?`),
 * compiled to parameterised SQL over the indexed selection columns (migration 0002) or the record's JSON, and
 * streamed in constant memory: a server-side cursor on Postgres, keyset pages on embedded PGlite (which has one
 * session, so it is released between pages for the workers).
 *
 * A user's value only ever reaches SQL as a bound parameter; field names only select entries of {@link FIELDS}.
 */

/** What a filter compares: text (case-insensitive), a number, an ISO date or time, or a list of texts. */
export type SegmentFieldKind = 'text' | 'number' | 'date' | 'list';

/** `=` equal, `~` contains (case-insensitive), ranges for numbers and dates, `?` present. */
export const SEGMENT_OPERATORS = ['>=', '<=', '=', '~', '>', '<', '?'] as const;
export type SegmentOperator = (typeof SEGMENT_OPERATORS)[number];

interface FieldDefinition {
  kind: SegmentFieldKind;
  /** The SQL that reads the field (for `list`, see {@link listCondition}). */
  source: RawBuilder<unknown>;
  /**
   * `always`: restricted data whatever the source (FEC donations): only for research. `fec-source`: restricted when
   * the field's best source is restricted; other purposes match only contacts whose value is not.
   */
  restricted?: 'always' | 'fec-source';
}

const column = (name: string) => sql`contacts.${sql.ref(name)}`;
/** A path in the record's JSON; paths are constants of this file, never user input. */
const jsonPath = (path: string[]) => sql`contacts.record #>> ${sql.lit(`{${path.join(',')}}`)}`;
const jsonNumber = (path: string[]) => {
  const p = sql.lit(`{${path.join(',')}}`);
  return sql`case when jsonb_typeof(contacts.record #> ${p}) = 'number' then (contacts.record #>> ${p})::numeric end`;
};

/** Every field a segment may filter on. */
const FIELDS: Record<string, FieldDefinition> = {
  email: { kind: 'text', source: column('email') },
  status: { kind: 'text', source: column('status') },
  'name.given': { kind: 'text', source: jsonPath(['name', 'given']) },
  'name.family': { kind: 'text', source: jsonPath(['name', 'family']) },
  'name.display': { kind: 'text', source: jsonPath(['name', 'display']) },
  'location.locality': { kind: 'text', source: column('locality') },
  'location.region': { kind: 'text', source: column('region') },
  'location.postalCode': { kind: 'text', source: column('postal_code') },
  'location.country': { kind: 'text', source: column('country') },
  'location.districts.congressional': { kind: 'text', source: column('congressional') },
  'location.districts.stateUpper': { kind: 'text', source: column('state_upper') },
  'location.districts.stateLower': { kind: 'text', source: column('state_lower') },
  'location.districts.county': { kind: 'text', source: column('county') },
  'work.occupation': { kind: 'text', source: column('occupation'), restricted: 'fec-source' },
  'work.employer': { kind: 'text', source: column('employer'), restricted: 'fec-source' },
  'work.title': { kind: 'text', source: jsonPath(['work', 'title']), restricted: 'fec-source' },
  'profiles.network': { kind: 'list', source: column('networks') },
  'profiles.handle': { kind: 'list', source: sql`contacts.record -> 'profiles'` },
  bio: { kind: 'text', source: jsonPath(['bio']) },
  'voter.voterId': { kind: 'text', source: jsonPath(['voter', 'voterId']) },
  'voter.status': { kind: 'text', source: column('voter_status') },
  'voter.party': { kind: 'text', source: column('party') },
  'voter.precinct': { kind: 'text', source: column('precinct') },
  'voter.registrationDate': { kind: 'date', source: jsonPath(['voter', 'registrationDate']) },
  'voter.matchScore': { kind: 'number', source: jsonNumber(['voter', 'matchScore']) },
  'donations.count': { kind: 'number', source: jsonNumber(['donations', 'count']), restricted: 'always' },
  'donations.total': { kind: 'number', source: jsonNumber(['donations', 'total']), restricted: 'always' },
  'donations.lastDate': { kind: 'date', source: jsonPath(['donations', 'lastDate']), restricted: 'always' },
  updatedAt: { kind: 'date', source: jsonPath(['updatedAt']) },
};

/** Other districts (`tract`, `precinct`, `commune`, `department`, …) are read from the record. */
const OTHER_DISTRICT = /^location\.districts\.([A-Za-z][A-Za-z0-9_]{0,62})$/;

/** The fields a filter may name, as an error message lists them. */
export const SEGMENT_FIELDS: readonly string[] = [...Object.keys(FIELDS), 'location.districts.<name>'];

function fieldDefinition(name: string): FieldDefinition | undefined {
  if (Object.hasOwn(FIELDS, name)) return FIELDS[name];
  const district = OTHER_DISTRICT.exec(name);
  return district ? { kind: 'text', source: jsonPath(['location', 'districts', district[1]!]) } : undefined;
}

/** One bad `--where` expression and why. */
export interface SegmentFilterIssue {
  expression: string;
  message: string;
}

/** The filters cannot run; every bad expression is named with its reason. */
export class SegmentFilterError extends Error {
  override readonly name = 'SegmentFilterError';
  constructor(readonly issues: SegmentFilterIssue[]) {
    super(issues.map((i) => `--where ${JSON.stringify(i.expression)}: ${i.message}`).join('; '));
  }
}

/** One parsed filter. `value` is the typed operand (absent for `?`). */
export interface SegmentCondition {
  expression: string;
  field: string;
  operator: SegmentOperator;
  value?: string | number;
}

/** A parsed segment: what every contact must match (all of it), and for what purpose it is exported. */
export interface SegmentQuery {
  conditions: SegmentCondition[];
  purpose: ExportPurpose;
}

const EXPRESSION = /^\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*(>=|<=|=|~|>|<|\?)(.*)$/s;
const FORMS = 'field=value, field~text, field>=n, field<=n, field>n, field<n or field?';
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

const RANGE_OPERATORS: ReadonlySet<SegmentOperator> = new Set(['>=', '<=', '>', '<']);

/** Parses one expression, or says what is wrong with it (in words a data person can act on). */
function parseCondition(expression: string, purpose: ExportPurpose): SegmentCondition | SegmentFilterIssue {
  const issue = (message: string): SegmentFilterIssue => ({ expression, message });
  if (expression.trim() === '') return issue(`empty expression; write ${FORMS}`);
  const match = EXPRESSION.exec(expression);
  if (!match) return issue(`not a filter; write ${FORMS} (e.g. work.occupation~physician)`);
  const [, field, operator, rest] = match as unknown as [string, string, SegmentOperator, string];
  const definition = fieldDefinition(field);
  if (!definition) return issue(`unknown field "${field}"; allowed: ${SEGMENT_FIELDS.join(', ')}`);
  if (definition.restricted === 'always' && purpose !== 'research') {
    return issue(
      `${field} is FEC data, which US law forbids using to solicit contributions; filter on it only with --purpose research`,
    );
  }
  const raw = rest.trim();
  if (operator === '?') {
    return raw === ''
      ? { expression, field, operator }
      : issue(`nothing may follow "?" (it asks whether ${field} is present)`);
  }
  if (raw === '') return issue(`no value after "${operator}"`);
  const { kind } = definition;
  if (RANGE_OPERATORS.has(operator) && (kind === 'text' || kind === 'list')) {
    return issue(`"${operator}" compares numbers and dates, and ${field} is text; use = or ~`);
  }
  if (operator === '~' && (kind === 'number' || kind === 'date')) {
    return issue(`"~" searches text, and ${field} is a ${kind}; use =, >=, <=, > or <`);
  }
  if (kind === 'number') {
    return NUMBER.test(raw) ? { expression, field, operator, value: Number(raw) } : issue(`"${raw}" is not a number`);
  }
  if (kind === 'date') {
    if (DAY.test(raw) && !Number.isNaN(Date.parse(`${raw}T00:00:00Z`)))
      return { expression, field, operator, value: raw };
    if (TIME.test(raw) && !Number.isNaN(Date.parse(raw)))
      return { expression, field, operator, value: new Date(raw).toISOString() };
    return issue(`"${raw}" is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ)`);
  }
  return { expression, field, operator, value: raw };
}

/**
 * Parses the `--where` expressions (all must hold) for an export with `purpose`. Throws a
 * {@link SegmentFilterError} naming every bad expression and why.
 */
export function parseSegment(expressions: readonly string[], purpose: ExportPurpose = 'outreach'): SegmentQuery {
  const conditions: SegmentCondition[] = [];
  const issues: SegmentFilterIssue[] = [];
  for (const expression of expressions) {
    const parsed = parseCondition(expression, purpose);
    if ('message' in parsed) issues.push(parsed);
    else conditions.push(parsed);
  }
  if (issues.length > 0) throw new SegmentFilterError(issues);
  return { conditions, purpose };
}

/** `LIKE` metacharacters in a user's text, escaped (backslash is Postgres's default LIKE escape). */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The day after an ISO day, as `YYYY-MM-DD`. */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function listCondition(field: string, operator: SegmentOperator, value: string | undefined): RawBuilder<SqlBool> {
  if (field === 'profiles.network') {
    if (operator === '?') return sql<SqlBool>`cardinality(contacts.networks) > 0`;
    const needle = value!.toLowerCase();
    return operator === '='
      ? sql<SqlBool>`contacts.networks @> array[${needle}]::text[]`
      : sql<SqlBool>`exists (select 1 from unnest(contacts.networks) as n where n like ${likePattern(needle)})`;
  }
  // profiles.handle
  const profiles = sql`jsonb_array_elements(case when jsonb_typeof(contacts.record -> 'profiles') = 'array' then contacts.record -> 'profiles' else '[]'::jsonb end)`;
  if (operator === '?') return sql<SqlBool>`exists (select 1 from ${profiles} as p where p ->> 'handle' is not null)`;
  return operator === '='
    ? sql<SqlBool>`exists (select 1 from ${profiles} as p where lower(p ->> 'handle') = lower(${value!}))`
    : sql<SqlBool>`exists (select 1 from ${profiles} as p where lower(p ->> 'handle') like lower(${likePattern(value!)}))`;
}

function dateCondition(source: RawBuilder<unknown>, operator: SegmentOperator, value: string): RawBuilder<SqlBool> {
  // Stored dates and times are ISO text (UTC), which sorts as time does. A day given alone means that whole day.
  if (!DAY.test(value)) {
    const op = sql.raw(operator);
    return sql<SqlBool>`${source} ${op} ${value}`;
  }
  const next = nextDay(value);
  switch (operator) {
    case '>=':
      return sql<SqlBool>`${source} >= ${value}`;
    case '>':
      return sql<SqlBool>`${source} >= ${next}`;
    case '<=':
      return sql<SqlBool>`${source} < ${next}`;
    case '<':
      return sql<SqlBool>`${source} < ${value}`;
    default:
      return sql<SqlBool>`(${source} >= ${value} and ${source} < ${next})`;
  }
}

/** One condition as SQL; the value is always a bound parameter. */
export function conditionSql(condition: SegmentCondition, purpose: ExportPurpose): RawBuilder<SqlBool> {
  const definition = fieldDefinition(condition.field)!;
  const { operator, value } = condition;
  let predicate: RawBuilder<SqlBool>;
  if (definition.kind === 'list') predicate = listCondition(condition.field, operator, value as string | undefined);
  else if (operator === '?') predicate = sql<SqlBool>`${definition.source} is not null`;
  else if (definition.kind === 'number') predicate = sql<SqlBool>`${definition.source} ${sql.raw(operator)} ${value}`;
  else if (definition.kind === 'date') predicate = dateCondition(definition.source, operator, value as string);
  else if (operator === '~')
    predicate = sql<SqlBool>`lower(${definition.source}) like lower(${likePattern(value as string)})`;
  else predicate = sql<SqlBool>`lower(${definition.source}) = lower(${value})`;
  if (definition.restricted === 'fec-source' && purpose !== 'research') {
    // Only contacts whose value did not come from the FEC: restricted data must not select anyone for outreach.
    predicate = sql<SqlBool>`(${predicate} and not (contacts.restricted_fields @> array[${condition.field}]::text[]))`;
  }
  return predicate;
}

/** Contacts with a record, never the suppressed (an opt-out is out of every export), matching every condition. */
export function segmentWhere(query: SegmentQuery): Expression<SqlBool>[] {
  return [
    sql<SqlBool>`contacts.record is not null`,
    sql<SqlBool>`contacts.status <> 'suppressed'`,
    ...query.conditions.map((c) => conditionSql(c, query.purpose)),
  ];
}

function selectSegment(db: Kysely<Database>, query: SegmentQuery) {
  let select = db.selectFrom('contacts').select(['contacts.id', 'contacts.record']);
  for (const predicate of segmentWhere(query)) select = select.where(predicate);
  return select;
}

/** How many contacts a segment selects. */
export async function countSegment(db: Kysely<Database>, query: SegmentQuery): Promise<number> {
  let select = db.selectFrom('contacts').select((eb) => eb.fn.countAll<string>().as('n'));
  for (const predicate of segmentWhere(query)) select = select.where(predicate);
  const row = await select.executeTakeFirstOrThrow();
  return Number(row.n);
}

const embeddedByDb = new WeakMap<Kysely<Database>, Promise<boolean>>();

/** Whether `db` is embedded PGlite (asked once per database object: PGlite names itself in `version()`). */
export function isEmbeddedDatabase(db: Kysely<Database>): Promise<boolean> {
  let known = embeddedByDb.get(db);
  if (!known) {
    known = sql<{ embedded: boolean }>`select version() like '%PGlite%' as embedded`.execute(db).then(
      (r) => Boolean(r.rows[0]?.embedded),
      (err: unknown) => {
        embeddedByDb.delete(db); // ask again next time: the database may be back
        throw err;
      },
    );
    embeddedByDb.set(db, known);
  }
  return known;
}

export interface StreamSegmentOptions {
  /** Rows fetched at a time; memory stays at about this many records. */
  pageSize?: number;
  /** `cursor` (one read-only transaction) or `keyset` (independent pages by id); by default cursor on Postgres, keyset on PGlite. */
  paging?: 'cursor' | 'keyset';
}

interface SegmentRow {
  id: string;
  record: unknown;
}

function toRecord(row: SegmentRow, purpose: ExportPurpose): ContactRecord | undefined {
  const record = parseStoredRecord(row.record);
  return record && recordForPurpose(record, purpose);
}

async function* keysetPages(db: Kysely<Database>, query: SegmentQuery, pageSize: number): AsyncGenerator<SegmentRow[]> {
  let after: string | undefined;
  for (;;) {
    let page = selectSegment(db, query).orderBy('contacts.id').limit(pageSize);
    if (after !== undefined) page = page.where('contacts.id', '>', after);
    const rows = await page.execute();
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.id;
  }
}

async function* cursorPages(db: Kysely<Database>, query: SegmentQuery, pageSize: number): AsyncGenerator<SegmentRow[]> {
  const trx = await db.startTransaction().setAccessMode('read only').execute();
  let open = true;
  let next: Promise<{ rows: SegmentRow[] }> | undefined;
  try {
    await sql`declare segment_rows no scroll cursor for ${selectSegment(db, query).orderBy('contacts.id')}`.execute(
      trx,
    );
    const fetchPage = () => sql<SegmentRow>`fetch forward ${sql.lit(pageSize)} from segment_rows`.execute(trx);
    // The next page is fetched while the reader handles this one: the server's work and the round trip overlap
    // the encoding, at the cost of holding two pages.
    let pending = fetchPage();
    next = pending;
    for (;;) {
      const { rows } = await pending;
      const more = rows.length === pageSize;
      if (more) next = pending = fetchPage();
      if (rows.length > 0) yield rows;
      if (!more) break;
    }
    open = false;
    await trx.commit().execute();
  } finally {
    // The consumer stopped early, or a fetch failed: end the read-only transaction (and with it the cursor), once
    // the page fetched ahead is in (its failure, if any, no longer matters).
    if (open) {
      await next?.catch(() => undefined);
      await trx.rollback().execute();
    }
  }
}

/**
 * The records a segment selects, in contact id order, each as `purpose` may see it (restricted FEC data left out
 * unless research). Constant memory: at most `pageSize` records are held at once.
 */
export async function* streamSegment(
  db: Kysely<Database>,
  query: SegmentQuery,
  options: StreamSegmentOptions = {},
): AsyncGenerator<ContactRecord> {
  const pageSize = options.pageSize ?? 500;
  const paging = options.paging ?? ((await isEmbeddedDatabase(db)) ? 'keyset' : 'cursor');
  const pages = paging === 'cursor' ? cursorPages(db, query, pageSize) : keysetPages(db, query, pageSize);
  for await (const rows of pages) {
    for (const row of rows) {
      const record = toRecord(row, query.purpose);
      if (record) yield record;
    }
  }
}
