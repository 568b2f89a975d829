import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContactRecord } from '../../domain/merge/build-contact-record.js';
import { backfill } from '../../cli/backfill/backfill.js';
import { decodeText } from '../../domain/decode-text.js';
import { temporalStarter } from '../../cli/backfill/temporal-starter.js';
import { runVotersRematch } from '../../cli/commands/voters.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { importDemoVoterFile } from '../../dev/start-dev-stack.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
import type { Config } from '../../config.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import { ContactRecordSchema, type ContactRecord } from '../../schemas/contact-record.js';
import { findContactById, findContactView } from '../../store/contacts.js';
import { listFailedLookups, listLookups } from '../../store/lookups.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { importVoterFile } from '../../store/voters/import-voter-file.js';
import { NCVOTER_COLUMNS, NCVOTER_MAPPING } from '../../store/voters/voter-file-format.js';
import { findVoterReview } from '../../store/voters/voter-lookups.js';
import { withVoterTables } from '../../store/voters/voter-tables.js';
import { enrichContactWorkflowId } from '../../schemas/ids.js';
import { FlaggedProvidersKey } from '../../workflows/search-attributes.js';
import { startVoterfilePipeline, type VoterfilePipeline } from '../support/enrichment-harness.js';

const DEMO_SUPPORTERS = 'demo/supporters.csv';
const DEMO_VOTERS = 'demo/data/ncvoter-demo.txt';

/** The demo voter file with rows edited, dropped (edit returns null) or added, as Latin-1 text ("next month's file"). */
async function editedDemoFile(
  edit: (row: Record<string, string>) => Record<string, string> | null,
  added: Array<Record<string, string>>,
): Promise<string> {
  const lines = (await readFile(DEMO_VOTERS)).toString('latin1').split('\r\n').filter(Boolean);
  const rows = lines.slice(1).flatMap((line) => {
    const values = line.slice(1, -1).split('"\t"');
    if (values.length !== NCVOTER_COLUMNS.length) return [];
    const edited = edit(Object.fromEntries(NCVOTER_COLUMNS.map((c, i) => [c, values[i]!])));
    return edited ? [NCVOTER_COLUMNS.map((c) => `"${edited[c] ?? ''}"`).join('\t')] : [];
  });
  for (const row of added) rows.push(NCVOTER_COLUMNS.map((c) => `"${row[c] ?? ''}"`).join('\t'));
  return [lines[0]!, ...rows, ''].join('\r\n');
}

/**
 * The "done when": the demo voter file imported, the demo supporters backfilled through the real workflows
 * (real Temporal dev server, real Postgres), voter attributes on the matched records with their provenance, the
 * ambiguous supporter flagged with the candidates kept for review, and `enrich voters rematch` re-merging what a
 * new file changed. Only the voter file is enabled: the HTTP providers have their own suites.
 */
describe('the voterfile provider in the enrichment pipeline', () => {
  let env: TestWorkflowEnvironment;
  let pipeline: VoterfilePipeline;
  let database: DatabaseHandle;
  let config: Config;
  const views = new Map<string, EnrichmentStatusView>();

  const keyOf = (email: string) => contactKeyFor(email, config.pseudonymKey);
  async function recordOf(email: string): Promise<ContactRecord> {
    const row = await findContactById(database.db, keyOf(email));
    return ContactRecordSchema.parse(row?.record);
  }

  beforeAll(async () => {
    // The rematch command tells open enrichments on this server (none stay open here: no retry schedule).
    pipeline = await startVoterfilePipeline({}, async (db, url) => {
      // As `enrich dev --demo` does when no voter file is loaded; a second call finds it loaded and does nothing.
      const imported = await importDemoVoterFile(db.db, url);
      expect(imported).toMatchObject({ voters: 2806, rejected: 3, historyRows: 5584 });
      expect(await importDemoVoterFile(db.db, url)).toBeUndefined();
    });
    ({ env, database, config } = pipeline);
  }, 180_000);
  afterAll(async () => pipeline?.close());

  it('backfills the demo supporters: voter attributes on the matched, the ambiguous one flagged with its candidates', async () => {
    const result = await backfill({
      input: createReadStream(DEMO_SUPPORTERS),
      concurrency: 8,
      start: temporalStarter(env.client, config),
    });
    expect(result).toMatchObject({ rows: 50, started: 50, rejected: 0 });
    const emails = (await readFile(DEMO_SUPPORTERS, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]!.toLowerCase());
    for (const email of emails)
      views.set(email, await waitForSettled(env.client, enrichContactWorkflowId(keyOf(email))));

    // Exact, typo (STELA, BROWNE), nickname (TERRY for Terrence, WALT for Walter), a move within the ZIP, a mistyped
    // house number, and the right one of two namesakes.
    const expected: Record<string, string> = {
      'priya.primary@example.com': 'DU132018',
      'rosa.retry@example.org': 'EH402211',
      'stella.slow@example.com': 'EH401577',
      'keisha.brown@example.com': 'BY114230',
      'terry.twice@example.org': 'DU127701',
      'walter.nash@example.com': 'CZ300418',
      'zoe.harris@example.net': 'BN220476',
      'arjun.mehta@example.net': 'EH561930',
      'devon.price@example.com': 'EH388540',
    };
    for (const [email, voterId] of Object.entries(expected)) {
      expect(views.get(email)?.lookups.voterfile, email).toMatchObject({ outcome: 'matched', attempts: 1 });
      const record = await recordOf(email);
      expect(record.voter, email).toMatchObject({ voterId });
      expect(record.voter!.matchScore, email).toBeGreaterThanOrEqual(config.voterfile.highThreshold);
      expect(record.provenance.voter?.[0], email).toMatchObject({ provider: 'voterfile', value: { voterId } });
      expect(record.lookups.voterfile, email).toMatchObject({ outcome: 'matched' });
    }

    const rosa = await recordOf('rosa.retry@example.org');
    expect(rosa.status).toBe('enriched');
    expect(rosa.voter).toMatchObject({
      status: 'active',
      party: 'DEM',
      precinct: '07',
      registrationDate: '2008-06-12',
      districts: { congressional: '02' },
    });
    expect(rosa.voter).toHaveProperty('scoreBreakdown.firstName.level', 'exact');
    expect((rosa.voter as { voteCount?: number }).voteCount).toBeGreaterThan(0);
    expect(rosa.provenance.voter?.[0]?.confidence).toBe(rosa.voter!.matchScore);
    // The record's selection columns follow, so segments can select on party and precinct.
    const row = await findContactById(database.db, keyOf('rosa.retry@example.org'));
    expect(row).toMatchObject({ party: 'DEM', precinct: '07', voter_status: 'active' });

    // Two JAMAL WRIGHTs born 1995 in 27401, neither at his address: a person must decide. Not retried.
    const jamal = views.get('jamal.wright@example.net')!;
    expect(jamal.status).toBe('flagged');
    expect(jamal.lookups.voterfile).toMatchObject({ outcome: 'failed', attempts: 1, errorType: 'AmbiguousMatch' });
    expect(jamal.lookups.voterfile?.lastError).toContain('kept for review');
    const jamalKey = keyOf('jamal.wright@example.net');
    const review = await findVoterReview(withVoterTables(database.db), jamalKey);
    expect((review?.candidates as Array<{ voterId: string }>).map((c) => c.voterId).sort()).toEqual([
      'BY131508',
      'BY131655',
    ]);
    const jamalView = await findContactView(database.db, jamalKey);
    expect(jamalView).toMatchObject({
      status: 'flagged',
      voter: null,
      lookups: { voterfile: { outcome: 'failed', attempts: 1 } },
    });
    // The contact view (`enrich contact`, GET /v1/contacts/:ref) shows the reviewer the candidates.
    const shown =
      (jamalView?.voterReview as { candidates: Array<{ voterId: string; probability: number }>; decidedBy: string }) ??
      undefined;
    expect(shown?.candidates.map((c) => c.voterId).sort()).toEqual(['BY131508', 'BY131655']);
    expect(shown?.decidedBy).toBe('lookup');
    const flagged = await listFailedLookups(database.db);
    expect(flagged.filter((l) => l.provider === 'voterfile').map((l) => [l.email, l.errorType])).toEqual([
      ['jamal.wright@example.net', 'AmbiguousMatch'],
    ]);
    const description = await env.client.workflow.getHandle(enrichContactWorkflowId(jamalKey)).describe();
    expect(description.typedSearchAttributes.get(FlaggedProvidersKey)).toEqual(['voterfile']);

    // Not in the file (NC and Ohio) → no_match; a French address is not looked up in a US voter file.
    for (const email of ['omar.haddad@example.net', 'fiona.flaky@example.org', 'dana.ruiz@example.org']) {
      expect(views.get(email)?.lookups.voterfile, email).toMatchObject({ outcome: 'no_match' });
      expect((await recordOf(email)).voter, email).toBeNull();
    }
    expect(views.get('jules.martin@example.org')?.lookups.voterfile).toMatchObject({
      outcome: 'skipped',
      reason: 'missing_input',
    });
    // Nobody else is flagged: every other lookup of this run is disabled.
    expect([...views].filter(([, v]) => v.status === 'flagged').map(([email]) => email)).toEqual([
      'jamal.wright@example.net',
    ]);
  }, 240_000);

  it('rematches next month’s file and re-merges the records it changed', async () => {
    const priyaBefore = await recordOf('priya.primary@example.com');
    const next = await editedDemoFile(
      (row) => {
        if (row.ncid === 'DU132018') return { ...row, res_street_address: '77  ERWIN RD', precinct_abbrv: '05' }; // Priya moved
        if (row.ncid === 'BY131655') return null; // JAMAL D WRIGHT left: the other one is Jamal
        return row;
      },
      [
        {
          county_id: '60',
          county_desc: 'MECKLENBURG',
          ncid: 'CW999001',
          last_name: 'HADDAD',
          first_name: 'OMAR',
          status_cd: 'A',
          res_street_address: '2214  PARK RD',
          res_city_desc: 'CHARLOTTE',
          state_cd: 'NC',
          zip_code: '28203',
          birth_year: '1976',
          party_cd: 'DEM',
          registr_dt: '01/15/2026',
        },
      ],
    );
    await importVoterFile({
      db: database.db,
      postgresUrl: pipeline.url,
      source: 'ncvoter-next.txt',
      format: 'ncvoter',
      mapping: NCVOTER_MAPPING,
      text: decodeText(Readable.from([Buffer.from(next, 'latin1')]), { encoding: 'utf-8' }),
    });

    const output = JSON.parse(await runVotersRematch(config, { json: true })) as {
      changes: Record<string, number>;
      remerged: { examined: number; changed: number };
      notified: number;
      warning?: string;
    };
    // Every workflow here has closed (no retry schedule): none to tell, and Temporal was reached.
    expect(output).toMatchObject({ notified: 0 });
    expect(output.warning).toBeUndefined();
    expect(output.changes).toMatchObject({ new_match: 2, moved: 1 });
    expect(output.remerged).toEqual({ examined: 3, changed: 3 });

    const omar = await recordOf('omar.haddad@example.net');
    expect(omar.voter).toMatchObject({ voterId: 'CW999001', party: 'DEM' });
    expect(omar.lookups.voterfile).toMatchObject({ outcome: 'matched' });
    expect(omar.provenance['voter.change']?.[0]?.value).toMatchObject({ kind: 'new_match', voterId: 'CW999001' });

    // The newest registration wins over the one the signup-time lookup found.
    const priya = await recordOf('priya.primary@example.com');
    expect(priya.voter).toMatchObject({ voterId: 'DU132018', precinct: '05' });
    expect(priya.provenance.voter).toHaveLength(2);
    expect(priya.updatedAt > priyaBefore.updatedAt).toBe(true);

    // The ambiguity resolved itself: matched, unflagged, the review closed.
    const jamalKey = keyOf('jamal.wright@example.net');
    const jamal = await recordOf('jamal.wright@example.net');
    expect(jamal).toMatchObject({
      status: 'enriched',
      voter: { voterId: 'BY131508' },
      lookups: { voterfile: { outcome: 'matched' } },
    });
    expect(await findVoterReview(withVoterTables(database.db), jamalKey)).toBeUndefined();
    expect((await listLookups(database.db, jamalKey)).find((l) => l.provider === 'voterfile')).toMatchObject({
      outcome: 'matched',
      error_type: null,
    });

    // Nothing changed since: a second rematch re-merges nothing.
    const again = JSON.parse(await runVotersRematch(config, { json: true })) as {
      remerged: { examined: number; changed: number };
    };
    expect(again.remerged).toEqual({ examined: 0, changed: 0 });
  }, 120_000);

  it('shows the newest registration a rematch recorded, even when its score is lower than the old match', () => {
    const voter = (voterId: string, matchScore: number, fetchedAt: string) => ({
      provider: 'voterfile',
      field: 'voter',
      value: { voterId, status: 'active', party: 'DEM', precinct: '01', registrationDate: null, matchScore },
      confidence: matchScore,
      fetchedAt,
      sourceUrl: null,
    });
    const record = buildContactRecord({
      id: 'c'.repeat(64),
      email: 'someone@example.org',
      consent: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      // Matched at signup; next month that voter left the file and the rematch found another, less surely.
      observations: [voter('OLD1', 0.99, '2026-01-01T00:00:01.000Z'), voter('NEW2', 0.81, '2026-02-01T00:00:00.000Z')],
      lookups: [{ provider: 'voterfile', outcome: 'matched', attempts: 1, completedAt: '2026-02-01T00:00:00.000Z' }],
    });
    expect(record.voter).toMatchObject({ voterId: 'NEW2', matchScore: 0.81 });
    expect(record.provenance.voter?.map((p) => (p.value as { voterId: string }).voterId)).toEqual(['NEW2', 'OLD1']);
  });
});
