import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../config.js';
import {
  apiDataGovQuota,
  createFecProvider,
  fecObservations,
  matchingReceipts,
  titleCase,
  workValue,
} from '../../activities/providers/fec.js';
import type { Provider, ProviderDeps } from '../../activities/providers/provider.js';
import type { LookupInput } from '../../schemas/lookup.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { startFecDemo, type FecDemoEntry } from '../../demo/servers/fec-server.js';
import { loadFecEntries } from '../../demo/servers/records-demo-data.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { itClassifiesProviderReplies, lookupError as lookupErrorFor } from '../support/provider-reply-classes.js';
import { startProviderStub } from '../support/provider-stub-server.js';

const PDF_NEW = 'https://docquery.fec.gov/cgi-bin/fecimg/?202510149876543210';
const PDF_OLD = 'https://docquery.fec.gov/cgi-bin/fecimg/?202503021234567890';

function receipt(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub_id: '4123456789012',
    committee_id: 'C00999999',
    committee_name: 'FRIENDS OF EXAMPLE FOR CONGRESS',
    contributor_name: 'RUIZ, DANA',
    contributor_first_name: 'DANA',
    contributor_last_name: 'RUIZ',
    contributor_street_1: '12 ELM ST',
    contributor_city: 'COLUMBUS',
    contributor_state: 'OH',
    contributor_zip: '432151234',
    contributor_employer: 'RIVERSIDE FOOD BANK',
    contributor_occupation: 'PROGRAM MANAGER',
    contribution_receipt_amount: 250,
    contribution_receipt_date: '2025-10-14',
    is_individual: true,
    entity_type: 'IND',
    pdf_url: PDF_NEW,
    ...overrides,
  };
}

/** Dana Ruiz at 12 Elm St, Columbus 43215: two receipts, the newest first in neither order nor file. */
function danaEntry(overrides: Partial<FecDemoEntry> = {}): FecDemoEntry {
  return {
    name: 'RUIZ, DANA',
    zip: '43215',
    results: [
      receipt({
        sub_id: '4100000000001',
        contribution_receipt_amount: 100.1,
        contribution_receipt_date: '2025-03-02',
        contributor_employer: 'OLD EMPLOYER',
        pdf_url: PDF_OLD,
      }),
      receipt({ sub_id: '4100000000002', contribution_receipt_amount: 250.2 }),
    ],
    ...overrides,
  };
}

const DANA: LookupInput = {
  contactKey: 'k'.repeat(64),
  email: 'dana.ruiz@example.org',
  givenName: 'Dana',
  familyName: 'Ruiz',
  postalAddress: { lines: ['12 Elm St'], locality: 'Columbus', region: 'OH', postalCode: '43215-1234', country: 'US' },
};

function providerConfig(baseUrl: string, timeoutMs = 1000): ProviderConfig {
  return { name: 'fec', baseUrl, enabled: true, rps: 50, timeoutMs, maxAttempts: 3 };
}

const closers = closeAfterEach();

function providerAt(baseUrl: string, timeoutMs = 1000, deps: Partial<ProviderDeps> = {}): Provider {
  // The shared key declared on purpose, as the demo does; the client sends only the key it is given.
  const provider = createFecProvider(providerConfig(baseUrl, timeoutMs), {
    maxResponseBytes: 65536,
    apiKey: 'DEMO_KEY',
    ...deps,
  });
  closers.push(() => provider.close());
  return provider;
}

async function demoWith(
  entries: FecDemoEntry[],
  timeoutMs = 1000,
  opts: { apiKeys?: string[]; deps?: Partial<ProviderDeps> } = {},
): Promise<{ server: DemoServer; provider: Provider }> {
  const server = await startFecDemo({ entries, apiKeys: opts.apiKeys });
  closers.push(() => server.close());
  return { server, provider: providerAt(server.url, timeoutMs, opts.deps) };
}

const lookupError = (provider: Provider, input: LookupInput = DANA) => lookupErrorFor(provider, input);

const SEARCH_PATH =
  '/v1/schedules/schedule_a/?contributor_name=RUIZ%2C+DANA&contributor_zip=43215&is_individual=true&per_page=100&sort=-contribution_receipt_date';

describe('createFecProvider', () => {
  it('turns the receipts of one donor into employer, occupation and restricted totals from the newest receipt', async () => {
    const { provider, server } = await demoWith([danaEntry()]);

    const answer = await provider.lookup(DANA);

    const fetchedAt = expect.any(String) as unknown as string;
    const common = { confidence: 0.6, sourceUrl: PDF_NEW, fetchedAt };
    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toEqual([
      { field: 'work.employer', value: 'Riverside Food Bank', ...common },
      { field: 'work.occupation', value: 'Program Manager', ...common },
      {
        field: 'donations',
        value: { count: 2, total: 350.3, lastDate: '2025-10-14', restricted: true, complete: true },
        ...common,
      },
    ]);
    expect(server.requestLog().map((r) => [r.method, r.url, r.status])).toEqual([['GET', SEARCH_PATH, 200]]);
  });

  it('keeps only receipts whose last name is the family name and whose first name starts with the given name, ignoring accents', async () => {
    const { provider } = await demoWith([
      {
        name: 'NUNEZ, JOSE',
        zip: '44113',
        results: [
          receipt({
            contributor_name: 'NUNEZ, JOSE M',
            contributor_first_name: 'JOSE M',
            contributor_last_name: 'NUNEZ',
            contributor_zip: '44113',
            contribution_receipt_amount: 40,
          }),
        ],
      },
      // The full-text name filter also finds these; neither is José Núñez.
      {
        name: 'NUNEZ-ORTIZ, JOSE',
        zip: '44113',
        results: [
          receipt({
            contributor_name: 'NUNEZ-ORTIZ, JOSE',
            contributor_first_name: 'JOSE',
            contributor_last_name: 'NUNEZ-ORTIZ',
            contributor_street_1: '9 OAK ST',
            contributor_zip: '44113',
          }),
        ],
      },
      {
        name: 'JOSE, NUNEZ',
        zip: '44113',
        results: [
          receipt({
            contributor_name: 'JOSE, NUNEZ',
            contributor_first_name: 'NUNEZ',
            contributor_last_name: 'JOSE',
            contributor_street_1: '1 PINE ST',
            contributor_zip: '44113',
          }),
        ],
      },
    ]);

    const answer = await provider.lookup({
      ...DANA,
      givenName: 'José',
      familyName: 'Núñez',
      postalAddress: { postalCode: '44113' },
    });

    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toContainEqual(
      expect.objectContaining({
        field: 'donations',
        value: { count: 1, total: 40, lastDate: '2025-10-14', restricted: true, complete: true },
      }),
    );
  });

  it('pages by keyset (last_index + last_contribution_receipt_date) past 100 receipts, up to its bound', async () => {
    // 230 receipts, one a day: namesakes and a frequent donor fill more than one page of 100.
    const many = Array.from({ length: 230 }, (_, i) =>
      receipt({
        sub_id: String(4200000000000 + i),
        contribution_receipt_amount: 10,
        contribution_receipt_date: new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
      }),
    );
    const { server } = await demoWith([danaEntry({ results: many })]);

    const all = await providerAt(server.url, 1000, { maxPages: 3 }).lookup(DANA);
    const bounded = await providerAt(server.url, 1000, { maxPages: 2 }).lookup(DANA);

    const donations = (answer: typeof all) => answer.observations.find((o) => o.field === 'donations')?.value;
    expect(donations(all)).toMatchObject({ count: 230, total: 2300, complete: true });
    expect(donations(bounded)).toMatchObject({ count: 200, total: 2000, complete: false });
    const urls = server.requestLog().map((r) => new URL(r.url, server.url));
    expect(urls).toHaveLength(5);
    // The second page continues after the last row of the first, by its sub_id and date.
    expect(urls[1]!.searchParams.get('last_index')).toBe(String(4200000000000 + 130));
    expect(urls[1]!.searchParams.get('last_contribution_receipt_date')).toBe('2025-05-11');
    expect(urls.map((u) => u.searchParams.has('last_index'))).toEqual([false, true, true, false, true]);
  });

  it('reads api.data.gov’s X-RateLimit-Remaining: at 0, sends nothing more until a slot of the hour frees', async () => {
    const stub = await startProviderStub(() => ({
      status: 200,
      headers: { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0' },
      body: { api_version: '1.0', pagination: { count: 0, last_indexes: null }, results: [] },
    }));
    closers.push(() => stub.close());
    const provider = providerAt(stub.url);

    expect((await provider.lookup(DANA)).outcome).toBe('no_match');
    const held = await lookupError(provider);

    expect(held.type).toBe('RateLimited');
    // No reset header: one slot of the rolling hour, 3600 s / 30.
    expect(held.retryAfterMs).toBeGreaterThan(119_000);
    expect(held.retryAfterMs).toBeLessThanOrEqual(120_000);
    expect(stub.requests).toHaveLength(1);
    expect(apiDataGovQuota({ 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '12' })).toEqual({
      remaining: 12,
      resetMs: 3600,
    });
  });

  it('answers no_match when no receipt fits the name and ZIP (200, results: [])', async () => {
    const { provider, server } = await demoWith([danaEntry()]);

    const answer = await provider.lookup({ ...DANA, givenName: 'Nobody' });

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([200]);
  });

  it('refuses two donors who share a name and ZIP but not a street as AmbiguousMatch', async () => {
    const { provider } = await demoWith([
      danaEntry(),
      {
        name: 'RUIZ, DANA M',
        zip: '43215',
        results: [
          receipt({
            sub_id: '4100000000003',
            contributor_name: 'RUIZ, DANA M',
            contributor_street_1: '400 W Broad Street',
          }),
        ],
      },
    ]);

    const err = await lookupError(provider);

    expect(err.type).toBe('AmbiguousMatch');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/2 donors/);
  });

  it('does not count one street spelled two ways as two donors', async () => {
    const { provider } = await demoWith([
      danaEntry({
        results: [
          receipt({ sub_id: '1', contributor_street_1: '12 Elm Street' }),
          receipt({ sub_id: '2', contributor_street_1: '12 ELM ST.' }),
        ],
      }),
    ]);

    const answer = await provider.lookup(DANA);

    expect(answer.outcome).toBe('matched');
  });

  it('classifies a 429 OVER_RATE_LIMIT as RateLimited with the delay of Retry-After', async () => {
    const { provider, server } = await demoWith([danaEntry({ fault: { kind: 'rate_limit', retryAfterSeconds: 57 } })]);

    const err = await lookupError(provider);
    const second = await provider.lookup(DANA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryable).toBe(true);
    expect(err.httpStatus).toBe(429);
    expect(err.retryAfterMs).toBe(57_000);
    expect(err.message).toContain('OVER_RATE_LIMIT');
    expect(second.outcome).toBe('matched');
    expect(server.requestLog().map((r) => r.status)).toEqual([429, 200]);
  });

  it('leaves the wait to the activity on a 429 without Retry-After (api.data.gov sends no reset)', async () => {
    const stub = await startProviderStub(() => ({
      status: 429,
      headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0' },
      body: { error: { code: 'OVER_RATE_LIMIT', message: 'You have exceeded your rate limit.' } },
    }));
    closers.push(() => stub.close());

    const err = await lookupError(providerAt(stub.url));

    expect(err.type).toBe('RateLimited');
    expect(err.retryable).toBe(true);
    // No provider-given time: the lookup activity backs off with jitter inside the lookup's budget instead of an hour.
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toContain('no retry time given');
  });

  it('classifies a 403 for a key api.data.gov does not know as a non-retryable ProviderRejected', async () => {
    const { provider } = await demoWith([danaEntry()], 1000, {
      apiKeys: ['a-known-key'],
      deps: { apiKey: 'an-unknown-key' },
    });

    const err = await lookupError(provider);

    expect(err.type).toBe('ProviderRejected');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(403);
    expect(err.message).toContain('API_KEY_INVALID');
  });

  it('classifies a 422 (a filter the API refuses) as a non-retryable ProviderRejected', async () => {
    const stub = await startProviderStub(() => ({
      status: 422,
      body: { messages: { query: { per_page: ['Must be between 1 and 100.'] } }, status: 422 },
    }));
    closers.push(() => stub.close());

    const err = await lookupError(providerAt(stub.url));

    expect(err.type).toBe('ProviderRejected');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(422);
  });

  itClassifiesProviderReplies({
    demoWithFault: (fault, timeoutMs) => demoWith([danaEntry({ fault })], timeoutMs),
    providerAt,
    input: DANA,
    serverErrorStatus: 500,
    malformedField: 'results.0.contributor_name',
    firstRequest: SEARCH_PATH,
  });

  it('sends the API key in the X-Api-Key header, none (never a silent DEMO_KEY) without one, never in the URL', async () => {
    const stub = await startProviderStub(() => ({
      status: 200,
      body: { api_version: '1.0', pagination: { count: 0 }, results: [] },
    }));
    closers.push(() => stub.close());

    await providerAt(stub.url, 1000, { apiKey: 'fec-secret-key-123' }).lookup(DANA);
    await providerAt(stub.url, 1000, { apiKey: undefined }).lookup(DANA);

    expect(stub.requests.map((r) => r.headers['x-api-key'])).toEqual(['fec-secret-key-123', undefined]);
    for (const request of stub.requests) {
      expect(request.url).toBe(SEARCH_PATH);
      expect(request.url).not.toMatch(/api_key|fec-secret-key|DEMO_KEY/);
    }
  });

  it('falls back to the FEC receipts page as the source when the newest receipt has no image', async () => {
    const { provider } = await demoWith([danaEntry({ results: [receipt({ pdf_url: null })] })]);

    const answer = await provider.lookup(DANA);

    const sources = new Set(answer.observations.map((o) => o.sourceUrl));
    expect([...sources]).toEqual([
      'https://www.fec.gov/data/receipts/individual-contributions/?contributor_name=RUIZ%2C+DANA&contributor_zip=43215',
    ]);
  });
});

describe('fec mapping', () => {
  it('title-cases employer and occupation and leaves out placeholders', () => {
    expect(titleCase('UNIVERSITY OF NORTH CAROLINA')).toBe('University of North Carolina');
    expect(titleCase('HOLLOWAY & REID PLLC')).toBe('Holloway & Reid PLLC');
    expect(titleCase('SELF-EMPLOYED')).toBe('Self-Employed');
    expect(titleCase("O'NEIL & MCDONALD'S")).toBe("O'Neil & Mcdonald's");
    for (const placeholder of [
      'NONE',
      'N/A',
      'INFORMATION REQUESTED',
      'INFORMATION REQUESTED PER BEST EFFORTS',
      ' ',
      null,
    ]) {
      expect(workValue(placeholder)).toBeUndefined();
    }
    const obs = fecObservations(
      [receipt({ contributor_employer: 'INFORMATION REQUESTED', contributor_occupation: 'N/A' })],
      '2026-01-01T00:00:00.000Z',
    );
    expect(obs.map((o) => o.field)).toEqual(['donations']);
  });

  it('reads names from contributor_name when the split name fields are missing', () => {
    const rows = [
      receipt({ contributor_first_name: null, contributor_last_name: null, contributor_name: 'RUIZ, DANA LEE' }),
    ];
    expect(matchingReceipts(rows, 'Dana', 'Ruiz', '43215')).toHaveLength(1);
    expect(matchingReceipts(rows, 'Dana', 'Ruiz', '43206')).toHaveLength(0);
  });
});

describe('demo/data/fec.json', () => {
  it('gives the demo donors their answers: matches, the ambiguous Devon Price, Victor Alvarez rate-limited once', async () => {
    const { provider } = await demoWith(await loadFecEntries());
    const person = (givenName: string, familyName: string, postalCode: string): LookupInput => ({
      contactKey: 'k'.repeat(64),
      email: 'demo@example.org',
      givenName,
      familyName,
      postalAddress: { postalCode, country: 'US' },
    });

    const dana = await provider.lookup(person('Dana', 'Ruiz', '43201'));
    const walter = await provider.lookup(person('Walter', 'Nash', '28144'));
    const ruth = await provider.lookup(person('Ruth', 'Bennett', '43604'));
    const devon = await lookupError(provider, person('Devon', 'Price', '27607'));
    const victorFirst = await lookupError(provider, person('Victor', 'Alvarez', '45209'));
    const victor = await provider.lookup(person('Victor', 'Alvarez', '45209'));
    const maya = await provider.lookup(person('Maya', 'Patel', '27514'));

    expect(dana.observations).toContainEqual(
      expect.objectContaining({ field: 'work.employer', value: 'Riverside Food Bank' }),
    );
    expect(walter.observations).toContainEqual(
      expect.objectContaining({ field: 'work.occupation', value: 'Physician' }),
    );
    expect(ruth.observations.map((o) => o.field)).toEqual(['work.occupation', 'donations']);
    expect(devon.type).toBe('AmbiguousMatch');
    expect(victorFirst.type).toBe('RateLimited');
    expect(victor.outcome).toBe('matched');
    expect(maya.outcome).toBe('no_match');
  });

  it('refuses a data file whose receipt is filed under another ZIP, naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fec-data-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const [dana] = await loadFecEntries();
    const moved = { ...(dana?.results[0] as Record<string, unknown>), contributor_zip: '282030000' };
    await writeFile(join(dir, 'fec.json'), JSON.stringify([{ ...dana, results: [moved] }]));

    await expect(loadFecEntries(dir)).rejects.toThrow(
      /fec\.json: invalid demo data\n {2}\[0\]\.results\[0\]\.contributor_zip: must start with the entry zip 43201/,
    );
  });
});
