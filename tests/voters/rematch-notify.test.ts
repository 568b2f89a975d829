import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeText } from '../../domain/decode-text.js';
import { OPEN_FLAGGED_ON_VOTERFILE_QUERY, runVotersRematch } from '../../cli/commands/voters.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { startEnrichment } from '../../client/start-enrichment.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
import type { Config } from '../../config.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import type { Signup } from '../../schemas/signup.js';
import { findContactView } from '../../store/contacts.js';
import { listLookups } from '../../store/lookups.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { importVoterFile } from '../../store/voters/import-voter-file.js';
import { NCVOTER_COLUMNS, NCVOTER_MAPPING } from '../../store/voters/voter-file-format.js';
import { enrichContactWorkflowId } from '../../schemas/ids.js';
import { EnrichmentStatusKey, FlaggedProvidersKey } from '../../workflows/search-attributes.js';
import { startVoterfilePipeline, type VoterfilePipeline } from '../support/enrichment-harness.js';

const execFileP = promisify(execFile);
const DEMO_VOTERS = 'demo/data/ncvoter-demo.txt';
type VoterRow = Record<string, string>;

/** The demo voter file's rows, by column name. */
async function demoRows(): Promise<{ header: string; rows: VoterRow[] }> {
  const lines = (await readFile(DEMO_VOTERS)).toString('latin1').split('\r\n').filter(Boolean);
  const rows = lines.slice(1).flatMap((line) => {
    const values = line.slice(1, -1).split('"\t"');
    if (values.length !== NCVOTER_COLUMNS.length) return [];
    return [Object.fromEntries(NCVOTER_COLUMNS.map((c, i) => [c, values[i]!]))];
  });
  return { header: lines[0]!, rows };
}

/** An ncvoter file (Latin-1 text) of these rows. */
function ncvoterText(header: string, rows: VoterRow[]): string {
  return [header, ...rows.map((row) => NCVOTER_COLUMNS.map((c) => `"${row[c] ?? ''}"`).join('\t')), ''].join('\r\n');
}

/**
 * `enrich voters rematch` tells the open enrichments it affects: a supporter flagged AmbiguousMatch on the voter
 * file keeps a workflow open (waiting for retries); a next file resolves the ambiguity; the rematch signals that
 * workflow to re-run its voterfile lookup, and the workflow unflags and completes by itself. With `--no-notify`,
 * or with Temporal out of reach, the rematch still commits and the output says to run `enrich retry --all-flagged`.
 * Real Temporal dev server, real Postgres, real workers; only the voter file is enabled.
 */
describe('enrich voters rematch notifies open enrichments flagged on voterfile', () => {
  let pipeline: VoterfilePipeline;
  let env: TestWorkflowEnvironment;
  let testUrl: string;
  let database: DatabaseHandle;
  let config: Config;
  let header: string;
  let baseRows: VoterRow[];

  // Jamal's two namesakes are in the demo file; three more pairs are made from them (same shape, other names).
  // Lena, Owen and Maria are flagged alike; each file after the first removes one namesake of one of them.
  const PAIRS = {
    jamal: { first: 'JAMAL', last: 'WRIGHT', kept: 'BY131508', gone: 'BY131655' },
    lena: { first: 'LENA', last: 'QUARTERMAINE', kept: 'ZZ900001', gone: 'ZZ900002' },
    owen: { first: 'OWEN', last: 'VANTERPOOL', kept: 'ZZ900003', gone: 'ZZ900004' },
    maria: { first: 'MARIA', last: 'ESCOBEDO', kept: 'ZZ900005', gone: 'ZZ900006' },
  } as const;
  type Who = keyof typeof PAIRS | 'priya';
  const SIGNUPS: Record<Who, Signup> = {
    jamal: supporter('jamal.wright@example.net', 'Jamal', 'Wright'),
    lena: supporter('lena.q@example.net', 'Lena', 'Quartermaine'),
    owen: supporter('owen.v@example.net', 'Owen', 'Vanterpool'),
    maria: supporter('maria.e@example.net', 'Maria', 'Escobedo'),
    // Matched at signup (so her workflow completes at once), then moved in the next file: changed, never signalled.
    priya: {
      email: 'priya.primary@example.com',
      givenName: 'Priya',
      familyName: 'Raman',
      birthYear: 1991,
      postalAddress: { lines: ['508 Ninth St'], locality: 'Durham', region: 'NC', postalCode: '27705', country: 'US' },
    },
  };
  function supporter(email: string, givenName: string, familyName: string): Signup {
    // As the demo's Jamal: born 1995, in 27401, at neither namesake's address.
    return {
      email,
      givenName,
      familyName,
      birthYear: 1995,
      postalAddress: {
        lines: ['720 E Market St'],
        locality: 'Greensboro',
        region: 'NC',
        postalCode: '27401',
        country: 'US',
      },
    };
  }

  const keyOf = (who: Who) => contactKeyFor(SIGNUPS[who].email, config.pseudonymKey);
  const workflowIdOf = (who: Who) => enrichContactWorkflowId(keyOf(who));
  const handleOf = (who: Who) => env.client.workflow.getHandle(workflowIdOf(who));

  /** The demo file plus the made-up namesakes, without the voters in `gone`, and with Priya moved when `moved`. */
  function voterFile(gone: string[], moved: boolean): string {
    const made = (['lena', 'owen', 'maria'] as const).flatMap((who) => {
      const pair = PAIRS[who];
      const like = (ncid: string, as: string) => ({
        ...baseRows.find((r) => r.ncid === ncid)!,
        ncid: as,
        first_name: pair.first,
        last_name: pair.last,
      });
      return [like(PAIRS.jamal.kept, pair.kept), like(PAIRS.jamal.gone, pair.gone)];
    });
    const rows = [...baseRows, ...made]
      .filter((row) => !gone.includes(row.ncid))
      .map((row) =>
        moved && row.ncid === 'DU132018' ? { ...row, res_street_address: '77  ERWIN RD', precinct_abbrv: '05' } : row,
      );
    return ncvoterText(header, rows);
  }
  async function importFile(source: string, text: string): Promise<void> {
    await importVoterFile({
      db: database.db,
      postgresUrl: testUrl,
      source,
      format: 'ncvoter',
      mapping: NCVOTER_MAPPING,
      text: decodeText(Readable.from([Buffer.from(text, 'latin1')]), { encoding: 'utf-8' }),
    });
  }

  /** The `retryLookups` signals in a workflow's history, decoded (the test configuration does not encrypt payloads). */
  async function retrySignals(who: Who): Promise<unknown[]> {
    const history = await handleOf(who).fetchHistory();
    return (history.events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((a) => a?.signalName === 'retryLookups')
      .map((a) => defaultPayloadConverter.fromPayload(a!.input!.payloads![0]!));
  }

  async function voterfileLookup(who: Who) {
    return (await listLookups(database.db, keyOf(who))).find((l) => l.provider === 'voterfile');
  }

  /** Polls until `check` returns a value, or fails at the deadline with the last thing it saw. */
  async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Runs the real `enrich` binary against the test database; resolves with its exit code and both outputs. */
  async function enrich(
    args: string[],
    temporalAddress: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const childEnv = {
      ...process.env,
      LOG_LEVEL: 'silent',
      DATABASE_URL: testUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      PSEUDONYM_KEY: 'test-pseudonym-key-0123456789',
      PAYLOAD_ENCRYPTION: 'off',
    };
    try {
      const { stdout, stderr } = await execFileP('node', ['bin/enrich.js', ...args], {
        env: childEnv,
        timeout: 90_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    // A flagged contact's workflow stays open, waiting an hour for its first automatic retry (as in production).
    pipeline = await startVoterfilePipeline({ LOOKUP_RETRY_SCHEDULE: '1h' }, async (db, url) => {
      database = db;
      testUrl = url;
      ({ header, rows: baseRows } = await demoRows());
      await importFile('ncvoter-1.txt', voterFile([], false));
    });
    ({ env, config } = pipeline);
  }, 180_000);
  afterAll(async () => pipeline?.close());

  it('signals the open workflow whose ambiguity the new file resolves, which re-runs its voterfile lookup and completes', async () => {
    const views = new Map<Who, EnrichmentStatusView>();
    for (const who of Object.keys(SIGNUPS) as Who[]) {
      expect((await startEnrichment(env.client, config, SIGNUPS[who])).status).toBe('started');
    }
    for (const who of Object.keys(SIGNUPS) as Who[])
      views.set(who, await waitForSettled(env.client, workflowIdOf(who)));
    expect(views.get('priya')).toMatchObject({ status: 'enriched', lookups: { voterfile: { outcome: 'matched' } } });
    const flagged = ['jamal', 'lena', 'owen', 'maria'] as const;
    for (const who of flagged) {
      expect(views.get(who), who).toMatchObject({
        status: 'flagged',
        lookups: { voterfile: { outcome: 'failed', errorType: 'AmbiguousMatch' } },
      });
      const description = await handleOf(who).describe();
      expect(description.status.name, who).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(FlaggedProvidersKey), who).toEqual(['voterfile']);
    }
    // Visibility trails the workflows by a moment: wait until the rematch could find all four.
    await eventually('the four flagged workflows in visibility', async () => {
      const listed = new Set<string>();
      for await (const e of env.client.workflow.list({ query: OPEN_FLAGGED_ON_VOTERFILE_QUERY }))
        listed.add(e.workflowId);
      return flagged.every((who) => listed.has(workflowIdOf(who))) ? true : undefined;
    });

    // Next month: JAMAL D WRIGHT left the rolls (the other one is Jamal), and Priya moved.
    await importFile('ncvoter-2.txt', voterFile([PAIRS.jamal.gone], true));
    const output = await runVotersRematch(config, { json: true });
    expect(output).not.toContain('@');
    const report = JSON.parse(output) as {
      changes: Record<string, number>;
      notified: number;
      warning?: string;
      remerged: { examined: number };
    };
    expect(report.changes).toMatchObject({ new_match: 1, moved: 1 });
    expect(report.remerged.examined).toBe(2);
    // Jamal only: Priya changed but her workflow is closed; Maria, Lena and Owen are flagged but the file did not change them.
    expect(report.notified).toBe(1);
    expect(report.warning).toBeUndefined();

    // The workflow re-runs its voterfile lookup against the new file, unflags and completes by itself.
    const described = await eventually('Jamal’s workflow to complete', async () => {
      const d = await handleOf('jamal').describe();
      return d.status.name === 'RUNNING' ? undefined : d;
    });
    expect(described.status.name).toBe('COMPLETED');
    // An empty keyword list is stored as no value at all.
    expect(described.typedSearchAttributes.get(FlaggedProvidersKey) ?? []).toEqual([]);
    expect(described.typedSearchAttributes.get(EnrichmentStatusKey)).toBe('enriched');
    const result = (await handleOf('jamal').result()) as EnrichmentStatusView;
    expect(result).toMatchObject({ status: 'enriched', lookups: { voterfile: { outcome: 'matched' } } });
    // One signal, asking for the voter file only.
    expect(await retrySignals('jamal')).toEqual([{ providers: ['voterfile'] }]);
    expect(await findContactView(database.db, keyOf('jamal'))).toMatchObject({
      status: 'enriched',
      voter: { voterId: PAIRS.jamal.kept },
    });

    for (const who of ['lena', 'owen', 'maria'] as const) {
      expect(await retrySignals(who), who).toEqual([]);
      const d = await handleOf(who).describe();
      expect([d.status.name, d.typedSearchAttributes.get(FlaggedProvidersKey)], who).toEqual([
        'RUNNING',
        ['voterfile'],
      ]);
    }
    expect(await retrySignals('priya')).toEqual([]);
  }, 240_000);

  it('with --no-notify commits the rematch, signals nothing, and warns to run enrich retry --all-flagged', async () => {
    await importFile('ncvoter-3.txt', voterFile([PAIRS.jamal.gone, PAIRS.lena.gone], true));
    // The real command, with Temporal reachable: only the option keeps it from signalling Lena's workflow.
    const run = await enrich(['voters', 'rematch', '--no-notify'], env.address);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/changed: 1 new matches/);
    expect(run.stdout).toMatch(/^ {2}notified: 0 open enrichments/m);
    expect(run.stdout).toMatch(
      /^warning: open enrichments were not notified \(--no-notify\).*run `enrich retry --all-flagged`/m,
    );
    expect(run.stdout + run.stderr).not.toContain('@');

    // Committed: the store has Lena matched and unflagged.
    expect(await voterfileLookup('lena')).toMatchObject({ outcome: 'matched', error_type: null });
    expect(await findContactView(database.db, keyOf('lena'))).toMatchObject({
      status: 'enriched',
      voter: { voterId: PAIRS.lena.kept },
    });
    // Not signalled: her workflow still waits, flagged on voterfile.
    expect(await retrySignals('lena')).toEqual([]);
    const d = await handleOf('lena').describe();
    expect([d.status.name, d.typedSearchAttributes.get(FlaggedProvidersKey)]).toEqual(['RUNNING', ['voterfile']]);
  }, 120_000);

  it('with Temporal out of reach commits the rematch, exits 0 and warns to run enrich retry --all-flagged', async () => {
    await importFile('ncvoter-4.txt', voterFile([PAIRS.jamal.gone, PAIRS.lena.gone, PAIRS.owen.gone], true));
    const run = await enrich(['voters', 'rematch', '--json'], '127.0.0.1:1');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { changes: Record<string, number>; notified: number; warning?: string };
    expect(report.changes).toMatchObject({ new_match: 1 });
    expect(report.notified).toBe(0);
    expect(report.warning).toMatch(/Temporal at 127\.0\.0\.1:1 could not be reached/);
    expect(report.warning).toContain('run `enrich retry --all-flagged`');
    expect(run.stderr).toContain('voters rematch: warning: the rematch is committed');
    expect(run.stdout + run.stderr).not.toContain('@');

    expect(await voterfileLookup('owen')).toMatchObject({ outcome: 'matched', error_type: null });
    expect(await findContactView(database.db, keyOf('owen'))).toMatchObject({
      status: 'enriched',
      voter: { voterId: PAIRS.owen.kept },
    });
    expect(await retrySignals('owen')).toEqual([]);
    // Maria's namesakes are both still there: still ambiguous, still flagged, never signalled.
    expect(await voterfileLookup('maria')).toMatchObject({ outcome: 'failed', error_type: 'AmbiguousMatch' });
    expect(await retrySignals('maria')).toEqual([]);
  }, 120_000);
});
