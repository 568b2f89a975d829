import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CONFIG_ENV_KEYS, ENV_SECTIONS } from '../../config.js';
import { PROVIDER_ENV, providerEnvPrefix } from '../../schemas/provider-env.js';
import { PROVIDER_NAMES } from '../../schemas/providers.js';
import { CONFIG_DOCS_PATH, defaultOf, renderConfigDocs } from '../../scripts/config-docs.js';

const committed = readFileSync(CONFIG_DOCS_PATH, 'utf8');
const names = new Set(['<NAME>', ...PROVIDER_NAMES.map((name) => name.toUpperCase())]);
/** Each variable row of the reference (`API_PORT`, `PROVIDER_<NAME>_RPS`; the table of provider names aside): its default and meaning. */
const rows = new Map(
  [...committed.matchAll(/^\| `([A-Z<>_]+)` \| (.*?) \| (.*) \|$/gm)]
    .filter((m) => !names.has(m[1]!))
    .map((m) => [m[1]!, { default: m[2]!, meaning: m[3]! }]),
);

/** Every variable's schema, by its full name. */
const schemas = new Map<string, z.ZodType>([
  ...ENV_SECTIONS.flatMap(({ schema }) => Object.entries<z.ZodType>(schema.shape)),
  ...PROVIDER_NAMES.flatMap((name) =>
    Object.entries<z.ZodType>(PROVIDER_ENV[name].shape).map(
      ([key, s]) => [`${providerEnvPrefix(name)}${key}`, s] as const,
    ),
  ),
]);

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the schemas', () => {
    // On failure: run `npm run docs:config` and commit the result.
    expect(committed).toBe(renderConfigDocs());
  });

  it('gives every variable config.ts reads a row with its meaning, each provider variable once as PROVIDER_<NAME>_…', () => {
    expect(CONFIG_ENV_KEYS.length).toBeGreaterThan(100);
    const perProvider = new RegExp(`^PROVIDER_(${PROVIDER_NAMES.map((n) => n.toUpperCase()).join('|')})_(.+)$`);
    for (const key of CONFIG_ENV_KEYS) {
      const setting = perProvider.exec(key)?.[2];
      // PROVIDER_BAN_MIN_SCORE and PROVIDER_FEC_MAX_PAGES are one provider's alone, so each has a row of its own.
      const row = rows.get(key) ?? (setting ? rows.get(`PROVIDER_<NAME>_${setting}`) : undefined);
      expect(row, key).toBeDefined();
      expect(row!.meaning.length, key).toBeGreaterThan(10);
    }
    expect(
      [...rows.keys()].filter(
        (key) => perProvider.test(key) && !['PROVIDER_BAN_MIN_SCORE', 'PROVIDER_FEC_MAX_PAGES'].includes(key),
      ),
    ).toEqual([]);
    // And nothing documented that loadConfig does not read.
    expect(
      [...rows.keys()].filter((key) => !key.startsWith('PROVIDER_<NAME>_') && !CONFIG_ENV_KEYS.includes(key)),
    ).toEqual([]);
    for (const name of PROVIDER_NAMES) expect(committed, name).toContain(`| \`${name.toUpperCase()}\` |`);
  });

  it('carries the defaults the schemas apply, as they are written in the environment', () => {
    expect(rows.get('LOOKUP_RETRY_SCHEDULE')?.default).toBe('`1h,6h,24h`');
    expect(rows.get('API_BODY_LIMIT_BYTES')?.default).toBe('`65536`');
    expect(rows.get('CONSENT_ONLY_JURISDICTIONS')?.default).toBe('`FR`');
    expect(rows.get('PROVIDER_<NAME>_TIMEOUT_MS')?.default).toBe('`10000`');
    expect(rows.get('DATABASE_URL')?.default).toBe('unset');
    expect(committed).toMatch(/^\| `MASTODON` \| `https:\/\/\{instance\}` \|/m);
  });
});

describe('.env.example', () => {
  it('sets each variable it sets to the default the reference documents', () => {
    const example = readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url)), 'utf8');
    const set = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(
      (m) => [m[1]!, m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2')] as const,
    );
    const ours = set.filter(([key]) => CONFIG_ENV_KEYS.includes(key));
    expect(ours.length).toBeGreaterThan(30);
    for (const [key, value] of ours) expect(`\`${value}\``, key).toBe(defaultOf(schemas.get(key)!));
  });
});
