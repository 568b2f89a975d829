import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MERGED_ZONE_ID, type ZoneRow } from '../../domain/zones/zone-report.js';
import { ZoneElectionError } from '../../domain/zones/zone-counts.js';
import { migrateToLatest } from '../../store/migrate.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { parseSegment } from '../../store/segments.js';
import { loadZoneReport, type ZoneReportRequest } from '../../store/zone-report.js';
import { STORE_BACKENDS } from '../support/store-backends.js';
import { importZoneFixture, seedZoneSupporters } from './zone-fixture.js';

const request = (overrides: Partial<ZoneReportRequest> = {}): ZoneReportRequest => ({
  level: 'precinct',
  elections: 3,
  minVoters: 50,
  rank: 'canvass',
  segment: parseSegment([]),
  points: false,
  ...overrides,
});

const row = (rows: ZoneRow[], zone: string) => rows.find((r) => r.zone === zone);

describe.each(STORE_BACKENDS)('zone reports on $name', (backend) => {
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const opened = await backend.open();
    ({ handle, cleanup } = opened);
    await migrateToLatest(handle.db);
    await importZoneFixture(handle.db, opened.url);
    await seedZoneSupporters(handle.db);
  }, 60_000);
  afterAll(async () => cleanup?.());

  it('gives the hand-computed figures per precinct, with the small ones merged', async () => {
    const { report } = await loadZoneReport(handle.db, request());
    expect(report.election).toEqual({ date: '2024-11-05', election: '11/05/2024 GENERAL' });
    expect(report.party).toBe('DEM');
    expect(report.overall).toEqual({
      registered: 165,
      turnoutAverage: 0.3131,
      partyShare: 0.3333,
      supportersPer1000: 96.97,
    });
    expect(report.rows.map((r) => r.zone)).toEqual(['ALPHA:01', 'ALPHA:02', MERGED_ZONE_ID]);
    expect(row(report.rows, 'ALPHA:01')).toEqual({
      zone: 'ALPHA:01',
      zones: 1,
      registered: 60,
      turnoutLast: 0.75,
      turnoutAverage: 0.5,
      abstention: 0.5,
      partyShares: { DEM: 0.5, REP: 0.3333, UNA: 0.1667 },
      supporters: 12,
      matchedSupporters: 12,
      supportersPer1000: 200,
      matchedTurnoutLast: 1,
      matchedTurnoutAverage: 0.6667,
      abstentionIndex: 72.8,
      favourabilityIndex: 178.1,
      canvassScore: 129.7,
      rank: 1,
    });
    expect(row(report.rows, 'ALPHA:02')).toMatchObject({
      registered: 50,
      turnoutLast: 0.4,
      turnoutAverage: 0.2333,
      abstention: 0.7667,
      partyShares: { DEM: 0.2, REP: 0.7, UNA: 0.1 },
      supporters: 3,
      supportersPer1000: 60,
      // three matched supporters: their own turnout would be three people's votes
      matchedTurnoutLast: null,
      abstentionIndex: 111.6,
      favourabilityIndex: 60.9,
      canvassScore: 68,
      rank: 2,
    });
    expect(row(report.rows, MERGED_ZONE_ID)).toMatchObject({
      zones: 2,
      registered: 55,
      turnoutLast: 0.5455,
      turnoutAverage: 0.1818,
      partyShares: { DEM: 0.2727, LIB: 0.4545, REP: 0.2727 },
      supporters: 1,
      abstentionIndex: 119.1,
      favourabilityIndex: 50.3,
      canvassScore: 59.9,
      rank: 3,
    });
    expect(report.withheld).toEqual({ zones: 0, registered: 0 });
  });

  it('averages the elections asked for and reports the turnout of the one chosen', async () => {
    const { report } = await loadZoneReport(handle.db, request({ election: '2024-03-05', elections: 1 }));
    // E2 only: ALPHA:01 15/60, ALPHA:02 5/50
    expect(row(report.rows, 'ALPHA:01')).toMatchObject({ turnoutLast: 0.25, turnoutAverage: 0.75, abstention: 0.25 });
    expect(row(report.rows, 'ALPHA:02')).toMatchObject({ turnoutLast: 0.1 });
    await expect(loadZoneReport(handle.db, request({ election: '2020-11-03' }))).rejects.toThrow(ZoneElectionError);
    await expect(loadZoneReport(handle.db, request({ elections: 4 }))).rejects.toThrow(/1 to 3/);
  });

  it('never shows a row under --min-voters: merges the small zones, or withholds them when even merged too few', async () => {
    for (const minVoters of [1, 26, 50, 56, 61, 100, 165]) {
      const { report } = await loadZoneReport(handle.db, request({ minVoters }));
      for (const r of report.rows) expect(r.registered).toBeGreaterThanOrEqual(minVoters);
      const shown = report.rows.reduce((sum, r) => sum + r.registered, 0);
      expect(shown + report.withheld.registered).toBe(165);
    }
    const tooMany = await loadZoneReport(handle.db, request({ minVoters: 166 }));
    expect(tooMany.report.rows).toEqual([]);
    expect(tooMany.report.withheld).toEqual({ zones: 4, registered: 165 });
  });

  it('counts only the supporters a filter selects, and still shows no zone under the threshold', async () => {
    const segment = parseSegment(['work.occupation~physician']);
    const { report } = await loadZoneReport(handle.db, request({ segment, minVoters: 56 }));
    expect(report.supporters).toBe(1);
    for (const r of report.rows) expect(r.registered).toBeGreaterThanOrEqual(56);
    const alpha1 = row(report.rows, 'ALPHA:01')!;
    expect(alpha1).toMatchObject({ supporters: 1, matchedSupporters: 1, supportersPer1000: 16.67 });
    // one physician: her own turnout is not shown
    expect(alpha1.matchedTurnoutLast).toBeNull();
    expect(alpha1.matchedTurnoutAverage).toBeNull();
    expect(row(report.rows, MERGED_ZONE_ID)).toMatchObject({ zones: 3, registered: 105, supporters: 0 });
  });

  it('groups by county and by a district of the voter file', async () => {
    const county = await loadZoneReport(handle.db, request({ level: 'county', minVoters: 1, rank: 'zone' }));
    expect(county.report.rows.map((r) => [r.zone, r.registered])).toEqual([
      ['ALPHA', 140],
      ['BETA', 25],
    ]);
    const congressional = await loadZoneReport(
      handle.db,
      request({ level: 'congressional', minVoters: 1, rank: 'zone' }),
    );
    expect(congressional.report.rows.map((r) => [r.zone, r.registered, r.supporters])).toEqual([
      ['4', 140, 16],
      ['13', 25, 0],
    ]);
  });

  it('gives the map the points of supporters in zones shown on their own, rounded to about 100 m', async () => {
    const { points } = await loadZoneReport(handle.db, request({ points: true }));
    expect(points).toHaveLength(12);
    expect(new Set(points.map((p) => p.zone))).toEqual(new Set(['ALPHA:01']));
    for (const p of points) expect(Math.abs(p.lon * 1000 - Math.round(p.lon * 1000))).toBeLessThan(1e-6);
  });
});
