import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../config.js';
import {
  censusDistricts,
  CENSUS_LAYER_REQUEST,
  createCensusProvider,
  findLayerName,
  oneLineAddress,
} from '../../activities/providers/census.js';
import { LookupError } from '../../activities/providers/lookup-error.js';
import type { Provider } from '../../activities/providers/provider.js';
import type { LookupInput } from '../../schemas/lookup.js';
import { startCensusDemo, type CensusDemoEntry } from '../../demo/servers/census-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { loadCensusEntries } from '../../demo/servers/records-demo-data.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { itClassifiesProviderReplies, lookupError as lookupErrorFor } from '../support/provider-reply-classes.js';
import { startProviderStub } from '../support/provider-stub-server.js';

const ADDRESS = '12 Elm St, Columbus, OH 43215';

/** The geocoder's match for 12 Elm St, with versioned layer names (docs/provider-apis.md, "US Census geocoder"). */
function elmStMatch(): Record<string, unknown> {
  return {
    matchedAddress: '12 ELM ST, COLUMBUS, OH, 43215',
    coordinates: { x: -83.0007, y: 39.9612 },
    tigerLine: { tigerLineId: '638411123', side: 'L' },
    addressComponents: {
      fromAddress: '2',
      toAddress: '98',
      preDirection: '',
      streetName: 'ELM',
      suffixType: 'ST',
      city: 'COLUMBUS',
      state: 'OH',
      zip: '43215',
    },
    geographies: {
      States: [{ GEOID: '39', STUSAB: 'OH', NAME: 'Ohio', AREALAND: 105823653399 }],
      Counties: [{ GEOID: '39049', NAME: 'Franklin County', BASENAME: 'Franklin' }],
      'Census Tracts': [{ GEOID: '39049004000', TRACT: '004000', NAME: 'Census Tract 40' }],
      '119th Congressional Districts': [
        { GEOID: '3903', CD119: '03', CDSESSN: '119', BASENAME: '3', NAME: 'Congressional District 3' },
      ],
      '2024 State Legislative Districts - Upper': [
        { GEOID: '39015', SLDU: '015', BASENAME: '15', NAME: 'State Senate District 15' },
      ],
      '2024 State Legislative Districts - Lower': [
        { GEOID: '39006', SLDL: '006', BASENAME: '6', NAME: 'State House District 6' },
      ],
    },
  };
}

const DANA: LookupInput = {
  contactKey: 'k'.repeat(64),
  email: 'dana.ruiz@example.org',
  postalAddress: { lines: ['12 Elm St'], locality: 'Columbus', region: 'OH', postalCode: '43215', country: 'US' },
};

const LAYERS =
  'States%2CCounties%2CCensus+Tracts%2C119th+Congressional+Districts%2C2024+State+Legislative+Districts+-+Upper%2C2024+State+Legislative+Districts+-+Lower';
const GEOCODE_PATH = `/geocoder/geographies/onelineaddress?address=12+Elm+St%2C+Columbus%2C+OH+43215&benchmark=Public_AR_Current&vintage=Current_Current&layers=${LAYERS}&format=json`;

function providerConfig(baseUrl: string, timeoutMs = 1000): ProviderConfig {
  return { name: 'census', baseUrl, enabled: true, rps: 50, timeoutMs, maxAttempts: 3 };
}

const closers = closeAfterEach();

function providerAt(baseUrl: string, timeoutMs = 1000): Provider {
  const provider = createCensusProvider(providerConfig(baseUrl, timeoutMs), { maxResponseBytes: 65536 });
  closers.push(() => provider.close());
  return provider;
}

async function demoWith(
  entries: CensusDemoEntry[],
  timeoutMs = 1000,
): Promise<{ server: DemoServer; provider: Provider }> {
  const server = await startCensusDemo({ entries });
  closers.push(() => server.close());
  return { server, provider: providerAt(server.url, timeoutMs) };
}

const lookupError = (provider: Provider, input: LookupInput = DANA) => lookupErrorFor(provider, input);

describe('createCensusProvider', () => {
  it('turns the first address match into coordinates and districts, with the request as the source', async () => {
    const { provider, server } = await demoWith([{ address: ADDRESS, addressMatches: [elmStMatch()] }]);

    const answer = await provider.lookup(DANA);

    const fetchedAt = expect.any(String) as unknown as string;
    const common = { confidence: 0.9, sourceUrl: `${server.url}${GEOCODE_PATH}`, fetchedAt };
    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toEqual([
      { field: 'location.lat', value: 39.9612, ...common },
      { field: 'location.lon', value: -83.0007, ...common },
      { field: 'location.districts.congressional', value: 'OH-03', ...common },
      { field: 'location.districts.stateUpper', value: '15', ...common },
      { field: 'location.districts.stateLower', value: '6', ...common },
      { field: 'location.districts.county', value: 'Franklin County', ...common },
      { field: 'location.districts.tract', value: '39049004000', ...common },
    ]);
    expect(server.requestLog().map((r) => [r.method, r.url, r.status])).toEqual([['GET', GEOCODE_PATH, 200]]);
  });

  it('names the layers it reads: the demo, like the geocoder, answers only those (without `layers`, no district)', async () => {
    const { server } = await demoWith([{ address: ADDRESS, addressMatches: [elmStMatch()] }]);
    const layersOf = async (extra: string) => {
      const url = `${server.url}/geocoder/geographies/onelineaddress?address=${encodeURIComponent(ADDRESS)}&benchmark=Public_AR_Current&vintage=Current_Current&format=json${extra}`;
      const body = (await (await fetch(url)).json()) as { result: { addressMatches: { geographies: object }[] } };
      return Object.keys(body.result.addressMatches[0]!.geographies).sort();
    };

    expect(await layersOf('')).toEqual(['Census Tracts', 'Counties', 'States']);
    expect(await layersOf('&layers=Counties')).toEqual(['Counties']);
    expect(await layersOf(`&layers=${LAYERS}`)).toEqual([...CENSUS_LAYER_REQUEST].sort());
  });

  it('answers no_match when the geocoder cannot place the address (200, addressMatches: [])', async () => {
    const { provider, server } = await demoWith([{ address: ADDRESS, addressMatches: [] }]);

    const answer = await provider.lookup(DANA);

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([200]);
  });

  it('classifies a 429 as RateLimited with the delay of Retry-After, or 10 s without one', async () => {
    const { provider } = await demoWith([
      { address: ADDRESS, addressMatches: [elmStMatch()], fault: { kind: 'rate_limit', retryAfterSeconds: 7 } },
    ]);
    const stub = await startProviderStub(() => ({
      status: 429,
      body: { errors: ['Too many requests'], status: '429' },
    }));
    closers.push(() => stub.close());

    const announced = await lookupError(provider);
    const unannounced = await lookupError(providerAt(stub.url));

    expect(announced.type).toBe('RateLimited');
    expect(announced.retryable).toBe(true);
    expect(announced.httpStatus).toBe(429);
    expect(announced.retryAfterMs).toBe(7_000);
    expect(unannounced.retryAfterMs).toBe(10_000);
  });

  it('classifies a 400 with the geocoder errors as a non-retryable ProviderRejected that quotes them', async () => {
    const stub = await startProviderStub(() => ({
      status: 400,
      body: { errors: ['Invalid benchmark'], status: '400' },
    }));
    closers.push(() => stub.close());

    const err = await lookupError(providerAt(stub.url));

    expect(err.type).toBe('ProviderRejected');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(400);
    expect(err.message).toContain('Invalid benchmark');
  });

  it('fails as a non-retryable AmbiguousMatch when two matches lie in different districts, naming the districts only', async () => {
    const { provider, server } = await demoWith([
      { address: ADDRESS, addressMatches: [elmStMatch()], fault: { kind: 'ambiguous' } },
    ]);

    const err = await lookupError(provider);

    expect(err.type).toBe('AmbiguousMatch');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      'census: 2 address matches in different districts (congressional, stateLower, stateUpper)',
    );
    expect(err.message).not.toMatch(/elm/i);
    expect(server.requestLog().map((r) => r.status)).toEqual([200]);
  });

  it('fails as AmbiguousMatch when a second match lacks a district the first has', async () => {
    const second = elmStMatch();
    const geographies = { ...(second['geographies'] as Record<string, unknown>) };
    delete geographies['2024 State Legislative Districts - Lower'];
    const { provider } = await demoWith([
      { address: ADDRESS, addressMatches: [elmStMatch(), { ...second, geographies }] },
    ]);

    const err = await lookupError(provider);

    expect(err.type).toBe('AmbiguousMatch');
    expect(err.message).toContain('(stateLower)');
  });

  it('records the first of several matches that agree on every district the record uses', async () => {
    // The same address on the other side of the street's TIGER edge: other coordinates, the same districts.
    const other = {
      ...elmStMatch(),
      coordinates: { x: -83.0011, y: 39.9615 },
      tigerLine: { tigerLineId: '638411124', side: 'R' },
    };
    const { provider } = await demoWith([{ address: ADDRESS, addressMatches: [elmStMatch(), other] }]);

    const answer = await provider.lookup(DANA);

    expect(answer.outcome).toBe('matched');
    expect(answer.observations.find((o) => o.field === 'location.lon')?.value).toBe(-83.0007);
    expect(answer.observations.find((o) => o.field === 'location.districts.congressional')?.value).toBe('OH-03');
  });

  itClassifiesProviderReplies({
    demoWithFault: (fault, timeoutMs) =>
      demoWith([{ address: ADDRESS, addressMatches: [elmStMatch()], fault }], timeoutMs),
    providerAt,
    input: DANA,
    serverErrorStatus: 500,
    malformedField: 'result.addressMatches.0.matchedAddress',
    firstRequest: GEOCODE_PATH,
    recovery: { fault: { kind: 'rate_limit' }, statuses: [429, 200] },
  });
});

describe('census layers', () => {
  it('finds layers by the suffix of their versioned names', () => {
    const names = [
      'States',
      '2020 Census Blocks',
      'Census Tracts',
      '119th Congressional Districts',
      '2024 State Legislative Districts - Upper',
      '2024 State Legislative Districts - Lower',
    ];

    expect(findLayerName(names, 'Congressional Districts')).toBe('119th Congressional Districts');
    expect(findLayerName(names, 'State Legislative Districts - Upper')).toBe(
      '2024 State Legislative Districts - Upper',
    );
    expect(findLayerName(names, 'state legislative districts -  lower')).toBe(
      '2024 State Legislative Districts - Lower',
    );
    expect(findLayerName(names, 'States')).toBe('States');
    expect(findLayerName(['Interstates'], 'States')).toBeUndefined();
    expect(findLayerName(names, 'Counties')).toBeUndefined();
    // A response carrying two sessions: the newest wins, whatever the key order.
    expect(
      findLayerName(['119th Congressional Districts', '118th Congressional Districts'], 'Congressional Districts'),
    ).toBe('119th Congressional Districts');
    expect(
      findLayerName(['118th Congressional Districts', '120th Congressional Districts'], 'Congressional Districts'),
    ).toBe('120th Congressional Districts');
  });

  it('reads districts from any vintage: the CD field of the session, the GEOID as fallback, no ZZZ districts', () => {
    const districts = censusDistricts({
      addressComponents: { state: 'NC' },
      geographies: {
        '118th Congressional Districts': [{ GEOID: '3704', NAME: 'Congressional District 4' }],
        '2022 State Legislative Districts - Upper': [{ GEOID: '37020', BASENAME: '20' }],
        '2022 State Legislative Districts - Lower': [{ GEOID: '37ZZZ', BASENAME: 'ZZZ' }],
        'Census Tracts': [{ GEOID: '37063000302' }],
      },
    });

    expect(districts).toEqual({ congressional: 'NC-04', stateUpper: '20', tract: '37063000302' });
  });

  it('writes the one-line address as street, city, state and ZIP', () => {
    expect(
      oneLineAddress({ lines: ['1420 W 25th St', 'Apt 3'], locality: 'Cleveland', region: 'OH', postalCode: '44113' }),
    ).toBe('1420 W 25th St, Apt 3, Cleveland, OH 44113');
    expect(oneLineAddress({ lines: ['1420 W 25th St'], postalCode: '44113' })).toBe('1420 W 25th St, 44113');
  });
});

describe('demo/data/census.json', () => {
  it('places every US supporter of demo/supporters.csv but one, in North Carolina or Ohio, and finds Carlos Mendez ambiguous', async () => {
    const { provider } = await demoWith(await loadCensusEntries());
    const csv = await readFile(new URL('../../demo/supporters.csv', import.meta.url), 'utf8');
    const rows = parse<Record<string, string>>(csv, { columns: true });
    const us = rows.filter((row) => row['country'] === 'US');

    const unplaced: string[] = [];
    const ambiguous: string[] = [];
    for (const row of us) {
      const answer = await provider
        .lookup({
          contactKey: 'k'.repeat(64),
          email: row['email'] ?? '',
          postalAddress: {
            lines: [row['address'] ?? ''],
            locality: row['locality'],
            region: row['region'],
            postalCode: row['postal_code'],
            country: 'US',
          },
        })
        .catch((err: unknown) => {
          if (err instanceof LookupError && err.type === 'AmbiguousMatch') return undefined;
          throw err;
        });
      if (answer === undefined) ambiguous.push(row['email'] ?? '');
      else if (answer.outcome === 'no_match') unplaced.push(row['email'] ?? '');
      else {
        const congressional = answer.observations.find((o) => o.field === 'location.districts.congressional')?.value;
        expect(congressional).toMatch(new RegExp(`^${row['region']}-\\d{2}$`));
      }
    }

    expect(us).toHaveLength(44);
    expect(unplaced).toEqual(['walter.nash@example.com']);
    // His entry carries the `ambiguous` fault: a second match one district over.
    expect(ambiguous).toEqual(['carlos.mendez@example.com']);
  });

  it('refuses a data file whose coordinates are swapped, naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'census-data-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const [first] = await loadCensusEntries();
    const match = { ...(first?.addressMatches[0] as Record<string, unknown>), coordinates: { x: 39.98, y: -83.0 } };
    await writeFile(join(dir, 'census.json'), JSON.stringify([{ ...first, addressMatches: [match] }]));

    await expect(loadCensusEntries(dir)).rejects.toThrow(
      /census\.json: invalid demo data\n {2}\[0\]\.addressMatches\[0\]\.coordinates: must be in the United States/,
    );
  });
});
