import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { loadConfig, type ProviderConfig } from '../../config.js';
import { banQuery, createBanProvider } from '../../activities/providers/ban.js';
import type { Provider } from '../../activities/providers/provider.js';
import type { LookupInput } from '../../schemas/lookup.js';
import { startBanDemo, type BanDemoEntry } from '../../demo/servers/ban-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { loadBanEntries } from '../../demo/servers/records-demo-data.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { itClassifiesProviderReplies, lookupError as lookupErrorFor } from '../support/provider-reply-classes.js';
import { startProviderStub } from '../support/provider-stub-server.js';

const Q = '8 bd du Port 80000 Amiens';

/** The BAN's answer for 8 boulevard du Port, Amiens, as GeoCodeJSON (docs/provider-apis.md, "BAN"). */
function portFeature(score = 0.9712): Record<string, unknown> {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [2.290084, 49.897443] },
    properties: {
      label: '8 Boulevard du Port 80000 Amiens',
      score,
      housenumber: '8',
      id: '80021_6590_00008',
      name: '8 Boulevard du Port',
      postcode: '80000',
      citycode: '80021',
      x: 648952.58,
      y: 6977867.25,
      city: 'Amiens',
      context: '80, Somme, Hauts-de-France',
      type: 'housenumber',
      importance: 0.6715,
      street: 'Boulevard du Port',
    },
  };
}

/** {@link portFeature} with some properties changed. */
function feature(properties: Record<string, unknown>): Record<string, unknown> {
  const base = portFeature();
  return { ...base, properties: { ...(base['properties'] as Record<string, unknown>), ...properties } };
}

const CAMILLE: LookupInput = {
  contactKey: 'k'.repeat(64),
  email: 'camille.roux@example.org',
  postalAddress: { lines: ['8 bd du Port'], locality: 'Amiens', postalCode: '80000', country: 'FR' },
};

const SEARCH_PATH = '/geocodage/search?q=8+bd+du+Port+80000+Amiens&index=address&limit=5&autocomplete=0&postcode=80000';

function providerConfig(baseUrl: string, timeoutMs = 1000): ProviderConfig {
  return { name: 'ban', baseUrl, enabled: true, rps: 50, timeoutMs, maxAttempts: 3 };
}

const closers = closeAfterEach();

function providerAt(baseUrl: string, timeoutMs = 1000, minScore = 0.6): Provider {
  const provider = createBanProvider(providerConfig(baseUrl, timeoutMs), { maxResponseBytes: 65536, minScore });
  closers.push(() => provider.close());
  return provider;
}

async function demoWith(
  entries: BanDemoEntry[],
  timeoutMs = 1000,
  minScore = 0.6,
): Promise<{ server: DemoServer; provider: Provider }> {
  const server = await startBanDemo({ entries });
  closers.push(() => server.close());
  return { server, provider: providerAt(server.url, timeoutMs, minScore) };
}

const lookupError = (provider: Provider, input: LookupInput = CAMILLE) => lookupErrorFor(provider, input);

describe('createBanProvider', () => {
  it('turns the best feature into coordinates (GeoJSON is [lon, lat]), commune, department and region', async () => {
    const { provider, server } = await demoWith([{ q: Q, features: [portFeature()] }]);

    const answer = await provider.lookup(CAMILLE);

    const fetchedAt = expect.any(String) as unknown as string;
    // A 0.97 score is capped at 0.9: the address is what the supporter typed, not more certain than that.
    const common = { confidence: 0.9, sourceUrl: `${new URL(server.url).origin}${SEARCH_PATH}`, fetchedAt };
    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toEqual([
      { field: 'location.lat', value: 49.897443, ...common },
      { field: 'location.lon', value: 2.290084, ...common },
      { field: 'location.locality', value: 'Amiens', ...common },
      { field: 'location.postalCode', value: '80000', ...common },
      { field: 'location.region', value: 'Hauts-de-France', ...common },
      { field: 'location.districts.commune', value: '80021', ...common },
      { field: 'location.districts.department', value: '80', ...common },
    ]);
    expect(server.requestLog().map((r) => [r.method, r.url, r.status])).toEqual([['GET', SEARCH_PATH, 200]]);
  });

  it('asks the Géoplateforme by default (the DINUM host is gone), for BAN addresses (index=address)', async () => {
    expect(loadConfig({}).providers.ban.baseUrl).toBe('https://data.geopf.fr/geocodage');
    const { provider, server } = await demoWith([{ q: Q, features: [portFeature()] }]);

    await provider.lookup(CAMILLE);

    expect(server.url).toMatch(/\/geocodage$/);
    const asked = new URL(server.requestLog()[0]!.url, server.url);
    expect([asked.pathname, asked.searchParams.get('index')]).toEqual(['/geocodage/search', 'address']);
  });

  it('takes coordinates only from a housenumber hit: a street or town hit gives districts, at lower confidence', async () => {
    const street = feature({
      type: 'street',
      score: 0.93,
      housenumber: undefined,
      label: 'Boulevard du Port 80000 Amiens',
    });
    const town = feature({ type: 'municipality', score: 0.93, label: 'Amiens' });
    const { server } = await demoWith([{ q: Q, features: [street] }]);
    const { server: townServer } = await demoWith([{ q: Q, features: [town] }]);

    const byStreet = await providerAt(server.url).lookup(CAMILLE);
    const byTown = await providerAt(townServer.url).lookup(CAMILLE);

    for (const answer of [byStreet, byTown]) {
      expect(answer.outcome).toBe('matched');
      expect(answer.observations.map((o) => o.field)).not.toContain('location.lat');
      expect(answer.observations.map((o) => o.field)).not.toContain('location.lon');
      expect(answer.observations).toContainEqual(
        expect.objectContaining({ field: 'location.districts.commune', value: '80021' }),
      );
    }
    expect(new Set(byStreet.observations.map((o) => o.confidence))).toEqual(new Set([0.7]));
    expect(new Set(byTown.observations.map((o) => o.confidence))).toEqual(new Set([0.6]));
  });

  it('answers no_match when nothing is found (200, features: [])', async () => {
    const { provider, server } = await demoWith([{ q: Q, features: [portFeature()] }]);

    const answer = await provider.lookup({
      ...CAMILLE,
      postalAddress: { lines: ['1 rue Inconnue'], locality: 'Nulle-Part', postalCode: '99999', country: 'FR' },
    });

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([200]);
  });

  it('answers no_match below the minimum score, and matches with the score as confidence above it', async () => {
    const { server } = await demoWith([{ q: Q, features: [portFeature(0.52)] }]);

    const strict = await providerAt(server.url, 1000, 0.6).lookup(CAMILLE);
    const lenient = await providerAt(server.url, 1000, 0.5).lookup(CAMILLE);

    expect(strict).toEqual({ outcome: 'no_match', observations: [] });
    expect(lenient.outcome).toBe('matched');
    expect(new Set(lenient.observations.map((o) => o.confidence))).toEqual(new Set([0.52]));
  });

  it('fails as a non-retryable AmbiguousMatch when a close runner-up lies in another commune', async () => {
    // One postcode, two communes with a boulevard du Port: addok scores them a hundredth apart.
    const namesake = feature({
      score: 0.9612,
      citycode: '80001',
      city: 'Abbeville',
      label: '8 Boulevard du Port 80000 Abbeville',
    });
    const { provider } = await demoWith([{ q: Q, features: [portFeature(), namesake] }]);

    const err = await lookupError(provider);

    expect(err.type).toBe('AmbiguousMatch');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      'ban: 2 candidates within 0.05 of the best score lie in different communes or departments',
    );
  });

  it('matches the best feature when the close runner-up is in the same commune, or the other commune scores far lower', async () => {
    const street = feature({ score: 0.95, type: 'street', label: 'Boulevard du Port 80000 Amiens' });
    const far = feature({ score: 0.81, citycode: '80001', city: 'Abbeville' });
    const { provider } = await demoWith([{ q: Q, features: [portFeature(), street, far] }]);

    const answer = await provider.lookup(CAMILLE);

    expect(answer.outcome).toBe('matched');
    expect(answer.observations.find((o) => o.field === 'location.districts.commune')?.value).toBe('80021');
  });

  it('classifies a 429 as RateLimited with the delay of Retry-After, or 1 s without one', async () => {
    const { provider } = await demoWith([
      { q: Q, features: [portFeature()], fault: { kind: 'rate_limit', retryAfterSeconds: 3 } },
    ]);
    const stub = await startProviderStub(() => ({
      status: 429,
      headers: { 'content-type': 'text/html' },
      body: '<html>Too Many Requests</html>',
    }));
    closers.push(() => stub.close());

    const announced = await lookupError(provider);
    const unannounced = await lookupError(providerAt(stub.url));
    const demo429 = await fetch(
      `${(await demoWith([{ q: Q, features: [], fault: { kind: 'rate_limit' } }])).server.url}/search?q=${encodeURIComponent(Q)}`,
    );

    expect(announced.type).toBe('RateLimited');
    expect(announced.retryable).toBe(true);
    expect(announced.httpStatus).toBe(429);
    expect(announced.retryAfterMs).toBe(3_000);
    expect(unannounced.type).toBe('RateLimited');
    expect(unannounced.retryAfterMs).toBe(1_000);
    // The Géoplateforme's 429 is an HTML page, and the demo's too.
    expect([demo429.status, demo429.headers.get('content-type')]).toEqual([429, 'text/html; charset=utf-8']);
    expect(await demo429.text()).toMatch(/^<html>.*429/);
  });

  it('classifies a 400 (a query addok refuses) as a non-retryable ProviderRejected that quotes it', async () => {
    const { provider } = await demoWith([]);

    const err = await lookupError(provider, { ...CAMILLE, postalAddress: { locality: 'Y', country: 'FR' } });

    expect(err.type).toBe('ProviderRejected');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(400);
    expect(err.message).toContain('q must contain between 3 and 200 chars');
  });

  itClassifiesProviderReplies({
    demoWithFault: (fault, timeoutMs) => demoWith([{ q: Q, features: [portFeature()], fault }], timeoutMs),
    providerAt,
    input: CAMILLE,
    serverErrorStatus: 502,
    malformedField: 'features.0.geometry.coordinates',
    firstRequest: SEARCH_PATH,
    basePath: '/geocodage',
    recovery: { fault: { kind: 'rate_limit' }, statuses: [429, 200] },
  });

  it('builds the query from street lines, postcode and locality', () => {
    expect(banQuery({ lines: ['27 rue Oberkampf', 'Bâtiment B'], postalCode: '75011', locality: 'Paris' })).toBe(
      '27 rue Oberkampf Bâtiment B 75011 Paris',
    );
    expect(banQuery({ locality: 'Lyon' })).toBe('Lyon');
  });
});

describe('demo/data/ban.json', () => {
  it('places the French supporters of demo/supporters.csv except Paul Girard, whose best answer scores below 0.6', async () => {
    const { provider } = await demoWith(await loadBanEntries());
    const csv = await readFile(new URL('../../demo/supporters.csv', import.meta.url), 'utf8');
    const rows = parse<Record<string, string>>(csv, { columns: true }).filter((row) => row['country'] === 'FR');

    const outcomes: Record<string, string> = {};
    for (const row of rows) {
      const answer = await provider.lookup({
        contactKey: 'k'.repeat(64),
        email: row['email'] ?? '',
        postalAddress: {
          lines: [row['address'] ?? ''],
          locality: row['locality'],
          region: row['region'],
          postalCode: row['postal_code'],
          country: 'FR',
        },
      });
      outcomes[row['email'] ?? ''] = answer.outcome;
      if (answer.outcome === 'matched') {
        expect(answer.observations).toContainEqual(
          expect.objectContaining({ field: 'location.postalCode', value: row['postal_code'] }),
        );
        expect(answer.observations).toContainEqual(
          expect.objectContaining({ field: 'location.region', value: row['region'] }),
        );
      }
    }

    expect(rows).toHaveLength(6);
    expect(Object.entries(outcomes).filter(([, outcome]) => outcome === 'no_match')).toEqual([
      ['paul.girard@example.org', 'no_match'],
    ]);
  });

  it('refuses a data file with [lat, lon] coordinates, naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ban-data-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'ban.json'),
      JSON.stringify([
        { q: Q, features: [{ ...portFeature(), geometry: { type: 'Point', coordinates: [49.897443, 2.290084] } }] },
      ]),
    );

    await expect(loadBanEntries(dir)).rejects.toThrow(
      /ban\.json: invalid demo data\n {2}\[0\]\.features\[0\]\.geometry\.coordinates: must be \[lon, lat\] inside metropolitan France/,
    );
  });
});
