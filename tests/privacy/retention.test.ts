import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { buildContactRecord, SIGNUP_PROVIDER } from '../../domain/merge/build-contact-record.js';
import { mergeInputFromRows } from '../../store/merge-input.js';
import { purgeExpiredData, type PurgeExpiredDataResult } from '../../activities/retention-activities.js';
import {
  ensureRetentionSchedule,
  retentionScheduleId,
  RETENTION_SCHEDULE_ACTOR,
} from '../../client/retention-schedule.js';
import type { ContactRecord } from '../../schemas/contact-record.js';
import type { ObservationInput } from '../../schemas/lookup.js';
import { findContactById, findContactRecord, updateContactRecord, upsertContact } from '../../store/contacts.js';
import type { Database } from '../../store/database.js';
import { listLookups, upsertLookup } from '../../store/lookups.js';
import { insertObservations, listObservations } from '../../store/observations.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase } from '../../store/open-database.js';
import { startWorkers, type WorkerGroup } from '../../worker/start-workers.js';
import type { Kysely } from 'kysely';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const keyOf = (email: string) => createHash('sha256').update(`retention:${email}`).digest('hex');
const run = { workflowId: 'enrich-contact:retention-test', runId: 'run-1' };

/** Stores a contact as the pipeline would: what they typed, what each provider said (at the times given), its lookups, the merge. */
async function seed(
  db: Kysely<Database>,
  email: string,
  facts: Record<string, ObservationInput[]>,
  failed: Record<string, { at: string; error: string }> = {},
) {
  const id = keyOf(email);
  await upsertContact(db, { id, signup: { email }, workflowId: run.workflowId });
  for (const [provider, observations] of Object.entries(facts)) {
    await insertObservations(db, { contactId: id, provider, ...run }, observations);
    if (provider !== SIGNUP_PROVIDER) {
      await upsertLookup(db, {
        contactId: id,
        provider,
        outcome: 'matched',
        attempts: 1,
        completedAt: observations[0]!.fetchedAt,
        ...run,
      });
    }
  }
  for (const [provider, { at, error }] of Object.entries(failed)) {
    await upsertLookup(db, {
      contactId: id,
      provider,
      outcome: 'failed',
      attempts: 3,
      errorType: 'ProviderUnavailable',
      lastError: error,
      completedAt: at,
      ...run,
    });
  }
  const contact = (await findContactById(db, id))!;
  await updateContactRecord(
    db,
    id,
    buildContactRecord(mergeInputFromRows(contact, await listObservations(db, id), await listLookups(db, id))),
  );
  return id;
}

describe('retention configuration', () => {
  it('reads RETENTION_OBSERVATIONS_DAYS as days, 0 or off as never, and refuses anything else', () => {
    expect(loadConfig({}).retention).toEqual({ observationsDays: 395, purgeCron: '17 3 * * *' });
    expect(loadConfig({ RETENTION_OBSERVATIONS_DAYS: '30' }).retention.observationsDays).toBe(30);
    expect(loadConfig({ RETENTION_OBSERVATIONS_DAYS: '0' }).retention.observationsDays).toBeNull();
    expect(loadConfig({ RETENTION_OBSERVATIONS_DAYS: 'off' }).retention.observationsDays).toBeNull();
    expect(() => loadConfig({ RETENTION_OBSERVATIONS_DAYS: 'a year' })).toThrow(
      /RETENTION_OBSERVATIONS_DAYS: must be a number of days/,
    );
    expect(() => loadConfig({ RETENTION_PURGE_CRON: 'daily' })).toThrow(
      /RETENTION_PURGE_CRON: must be a five-field cron expression/,
    );
  });
});

/** The purge itself on the embedded store (`enrich dev` runs it on PGlite): the same statements, the same result. */
describe('retention purge on PGlite', () => {
  it('deletes old provider observations, marks their lookups expired and re-derives the record', async () => {
    const database = await openDatabase({ pgliteDir: 'memory://' });
    try {
      await migrateToLatest(database.db);
      const id = await seed(database.db, 'cy@example.org', {
        [SIGNUP_PROVIDER]: [{ field: 'name.given', value: 'Cy', confidence: 1, fetchedAt: daysAgo(900) }],
        gravatar: [{ field: 'bio', value: 'Old bio', confidence: 0.9, fetchedAt: daysAgo(400) }],
      });
      const result = await purgeExpiredData(database.db, {
        cutoff: daysAgo(395),
        retentionDays: 395,
        actor: 'test',
        batchSize: 1,
      });
      expect(result).toMatchObject({ observations: 1, lookupsExpired: 1, contactsRemerged: 1 });
      expect(await findContactRecord(database.db, id)).toMatchObject({
        bio: null,
        name: { given: 'Cy' },
        lookups: { gravatar: { reason: 'expired' } },
      });
      expect(
        await purgeExpiredData(database.db, { cutoff: daysAgo(395), retentionDays: 395, actor: 'test' }),
      ).toMatchObject({ observations: 0 });
    } finally {
      await database.close();
    }
  });
});

/** Retention, on the real dev server (its Schedules) and real Postgres. */
describe('retention: the purgeExpired schedule', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let workers: WorkerGroup;
  let running: Promise<void>;
  const config = testConfig({ RETENTION_OBSERVATIONS_DAYS: '30', RETENTION_PURGE_CRON: '17 3 * * *' });
  const db = () => harness.database.db;

  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
    workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
      queues: ['workflows'],
    });
    running = workers.run();
  });
  afterAll(async () => {
    workers?.shutdown();
    await running;
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  /** Triggers the schedule now and waits for the run it starts. */
  async function triggerAndWait(): Promise<PurgeExpiredDataResult> {
    const handle = env.client.schedule.getHandle(retentionScheduleId(config));
    const before = (await handle.describe()).info.recentActions.length;
    await handle.trigger();
    for (let i = 0; i < 100; i++) {
      const actions = (await handle.describe()).info.recentActions;
      if (actions.length > before)
        return (await env.client.workflow
          .getHandle(actions.at(-1)!.action.workflow.workflowId)
          .result()) as PurgeExpiredDataResult;
      await sleep(100);
    }
    throw new Error('the schedule started nothing');
  }

  it('creates the schedule from the configuration, and updates it in place when started again', async () => {
    expect(await ensureRetentionSchedule(env.client, config)).toEqual({
      scheduleId: retentionScheduleId(config),
      state: 'created',
      retentionDays: 30,
      cron: '17 3 * * *',
    });
    const changed = testConfig({
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      RETENTION_OBSERVATIONS_DAYS: '45',
      RETENTION_PURGE_CRON: '5 4 * * *',
    });
    expect((await ensureRetentionSchedule(env.client, changed)).state).toBe('updated');
    const at = (d: Date | undefined) => [d?.getUTCHours(), d?.getUTCMinutes()];
    let description = await env.client.schedule.getHandle(retentionScheduleId(config)).describe();
    expect(at(description.info.nextActionTimes[0])).toEqual([4, 5]);
    expect(description.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: DAY });
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'purgeExpired',
      taskQueue: config.temporal.taskQueue,
      args: [{ retentionDays: 45, actor: RETENTION_SCHEDULE_ACTOR }],
    });

    expect((await ensureRetentionSchedule(env.client, config)).state).toBe('updated');
    description = await env.client.schedule.getHandle(retentionScheduleId(config)).describe();
    expect(description.action).toMatchObject({ args: [{ retentionDays: 30, actor: RETENTION_SCHEDULE_ACTOR }] });
    expect(at(description.info.nextActionTimes[0])).toEqual([3, 17]);
  });

  it('purges provider observations older than the period, keeps recent ones and what the supporter typed, re-derives the record, and audits it', async () => {
    const ada = await seed(
      db(),
      'ada@example.org',
      {
        [SIGNUP_PROVIDER]: [{ field: 'name.given', value: 'Ada', confidence: 1, fetchedAt: daysAgo(400) }],
        gravatar: [
          { field: 'bio', value: 'Canvasser and choir singer', confidence: 0.9, fetchedAt: daysAgo(40) },
          { field: 'work.occupation', value: 'Teacher', confidence: 0.9, fetchedAt: daysAgo(40) },
        ],
        github: [{ field: 'name.display', value: 'Ada Q.', confidence: 0.85, fetchedAt: daysAgo(5) }],
        // The voter file follows its own lifecycle (replaced at each import): its link is not purged by age.
        voterfile: [
          {
            field: 'voter',
            value: {
              voterId: 'NC123',
              status: 'A',
              party: 'DEM',
              precinct: '05-07',
              registrationDate: '2012-10-01',
              matchScore: 0.93,
            },
            confidence: 0.93,
            fetchedAt: daysAgo(400),
          },
        ],
      },
      { mastodon: { at: daysAgo(35), error: 'mastodon answered HTTP 500 for adaq@toot.example' } },
    );
    const bob = await seed(db(), 'bob@example.org', {
      gravatar: [{ field: 'bio', value: 'Recent bio', confidence: 0.9, fetchedAt: daysAgo(2) }],
    });
    const bobBefore = await findContactRecord(db(), bob);
    expect((await findContactRecord(db(), ada))?.bio).toBe('Canvasser and choir singer');

    const result = await triggerAndWait();

    expect(result).toMatchObject({
      retentionDays: 30,
      observations: 2,
      lookupsExpired: 1,
      lookupDetailsCleared: 1,
      contactsRemerged: 1,
    });
    expect(Date.now() - Date.parse(result.cutoff) - 30 * DAY).toBeLessThan(120_000);
    const left = await listObservations(db(), ada);
    expect(left.map((o) => [o.provider, o.field]).sort()).toEqual([
      ['github', 'name.display'],
      [SIGNUP_PROVIDER, 'name.given'],
      ['voterfile', 'voter'],
    ]);
    const record = (await findContactRecord(db(), ada)) as ContactRecord;
    expect(record.bio).toBeNull();
    expect(record.work.occupation).toBeNull();
    expect(record.name).toMatchObject({ given: 'Ada', display: 'Ada Q.' });
    expect(record.voter).toMatchObject({ voterId: 'NC123', party: 'DEM' });
    expect(
      Object.values(record.provenance)
        .flat()
        .map((p) => p.provider),
    ).not.toContain('gravatar');
    expect(record.lookups.gravatar).toMatchObject({ outcome: 'matched', reason: 'expired' });
    const lookups = await listLookups(db(), ada);
    expect(lookups.find((l) => l.provider === 'mastodon')).toMatchObject({
      outcome: 'failed',
      error_type: 'ProviderUnavailable',
      last_error: null,
    });
    expect(await findContactRecord(db(), bob)).toEqual(bobBefore);

    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'purge_expired').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: RETENTION_SCHEDULE_ACTOR,
      purpose: 'retention',
      subject_key: null,
      detail: { observations: 2, retentionDays: 30 },
    });
    expect(JSON.stringify(audit)).not.toMatch(/@|Canvasser/);

    // Nothing more to purge: a second run deletes nothing, and says so in its own audit entry.
    expect(await triggerAndWait()).toMatchObject({ observations: 0, lookupsExpired: 0, contactsRemerged: 0 });
    expect(
      await db().selectFrom('audit_log').select('id').where('action', '=', 'purge_expired').execute(),
    ).toHaveLength(2);
  });

  it('deletes the schedule when retention is turned off, and says so when there is none', async () => {
    const off = testConfig({ TEMPORAL_TASK_QUEUE: config.temporal.taskQueue, RETENTION_OBSERVATIONS_DAYS: 'off' });
    expect((await ensureRetentionSchedule(env.client, off)).state).toBe('deleted');
    expect((await ensureRetentionSchedule(env.client, off)).state).toBe('absent');
  });
});
