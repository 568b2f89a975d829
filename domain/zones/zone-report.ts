import type { ZoneElectionChoice, ZonePartyCount, ZoneSupporterCount } from './zone-counts.js';

/*
 * A zone report from the zone query's counts: per zone the figures a field organiser reads (turnout, abstention,
 * party shares, supporters), the small-zone rule (no row under `minVoters` registered voters) and the two indexes
 * with the canvass ordering. The formulas are in docs/zones.md; keep both in step.
 */

export const ZONE_RANKINGS = ['zone', 'canvass', 'abstention', 'favourability'] as const;
export type ZoneRanking = (typeof ZONE_RANKINGS)[number];

/** The id of the row that holds the zones under the threshold together. */
export const MERGED_ZONE_ID = '(small zones merged)';

/** Fewer matched supporters than this in a row: their own turnout is withheld (it would tell one person's votes). */
export const MIN_MATCHED_FOR_TURNOUT = 10;

/** Weight of the party share in the favourability index; the rest is the supporters' density. */
export const FAVOURABILITY_PARTY_WEIGHT = 0.5;

export interface ZoneReportOptions {
  level: string;
  elections: ZoneElectionChoice;
  /** Zones under this many registered voters are merged into one row, or withheld when even that row is too small. */
  minVoters: number;
  /** The candidate's party code (favourability); by default the commonest among the matched supporters. */
  party?: string | undefined;
  rank: ZoneRanking;
}

/** One row of the report: one zone, or the small zones merged. Shares and turnouts are fractions (0–1). */
export interface ZoneRow {
  zone: string;
  /** How many zones the row holds (1, or the number merged). */
  zones: number;
  registered: number;
  turnoutLast: number;
  turnoutAverage: number;
  abstention: number;
  partyShares: Record<string, number>;
  supporters: number;
  matchedSupporters: number;
  supportersPer1000: number;
  /** Null when the row has fewer than MIN_MATCHED_FOR_TURNOUT matched supporters. */
  matchedTurnoutLast: number | null;
  matchedTurnoutAverage: number | null;
  abstentionIndex: number;
  favourabilityIndex: number;
  canvassScore: number;
  /** 1 = first in the report's order. */
  rank: number;
}

export interface ZoneReport {
  level: string;
  election: { date: string | null; election: string };
  recentElections: Array<{ date: string | null; election: string }>;
  party: string | null;
  minVoters: number;
  rank: ZoneRanking;
  rows: ZoneRow[];
  /** Zones left out altogether (under the threshold even merged), and their registered voters. */
  withheld: { zones: number; registered: number };
  /** The whole file (every zone, shown or not): the baselines of the indexes. */
  overall: { registered: number; turnoutAverage: number; partyShare: number; supportersPer1000: number };
  /** Supporters the report counted (placed in a zone). */
  supporters: number;
}

interface ZoneTotals {
  zone: string;
  zones: number;
  registered: number;
  votedTarget: number;
  recentVotes: number;
  parties: Map<string, number>;
  supporters: number;
  matched: number;
  matchedVotedTarget: number;
  matchedRecentVotes: number;
}

const emptyTotals = (zone: string, zones = 1): ZoneTotals => ({
  zone,
  zones,
  registered: 0,
  votedTarget: 0,
  recentVotes: 0,
  parties: new Map(),
  supporters: 0,
  matched: 0,
  matchedVotedTarget: 0,
  matchedRecentVotes: 0,
});

/** A party code as reported: the file's code, or `(none)` for a registration without one. */
const partyCode = (party: string | null) => (party === null || party.trim() === '' ? '(none)' : party);

/** The counts gathered by zone. Supporters in a zone without registrations are left out (nothing to compare). */
function totalsByZone(parties: readonly ZonePartyCount[], supporters: readonly ZoneSupporterCount[]): ZoneTotals[] {
  const zones = new Map<string, ZoneTotals>();
  for (const count of parties) {
    let totals = zones.get(count.zone);
    if (!totals) zones.set(count.zone, (totals = emptyTotals(count.zone)));
    totals.registered += count.registered;
    totals.votedTarget += count.votedTarget;
    totals.recentVotes += count.recentVotes;
    const code = partyCode(count.party);
    totals.parties.set(code, (totals.parties.get(code) ?? 0) + count.registered);
  }
  for (const count of supporters) {
    const totals = zones.get(count.zone);
    if (!totals) continue;
    totals.supporters += count.supporters;
    totals.matched += count.matched;
    totals.matchedVotedTarget += count.matchedVotedTarget;
    totals.matchedRecentVotes += count.matchedRecentVotes;
  }
  return [...zones.values()];
}

/** Several zones' counts added together. */
function addTotals(into: ZoneTotals, from: ZoneTotals): void {
  into.registered += from.registered;
  into.votedTarget += from.votedTarget;
  into.recentVotes += from.recentVotes;
  for (const [party, n] of from.parties) into.parties.set(party, (into.parties.get(party) ?? 0) + n);
  into.supporters += from.supporters;
  into.matched += from.matched;
  into.matchedVotedTarget += from.matchedVotedTarget;
  into.matchedRecentVotes += from.matchedRecentVotes;
}

/**
 * The small-zone rule: zones with at least `minVoters` registered voters are rows of their own; the others are
 * added into one merged row when together they reach `minVoters`, and withheld otherwise.
 */
function applyMinVoters(
  zones: readonly ZoneTotals[],
  minVoters: number,
): { shown: ZoneTotals[]; withheld: ZoneTotals[] } {
  const shown = zones.filter((z) => z.registered >= minVoters);
  const small = zones.filter((z) => z.registered < minVoters);
  if (small.length === 0) return { shown, withheld: [] };
  const merged = emptyTotals(MERGED_ZONE_ID, small.length);
  for (const zone of small) addTotals(merged, zone);
  return merged.registered >= minVoters ? { shown: [...shown, merged], withheld: [] } : { shown, withheld: small };
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** The commonest party among matched supporters (ties: the code first in order), else the file's commonest. */
export function defaultParty(supporterParties: ReadonlyMap<string, number>, fileParties: ReadonlyMap<string, number>) {
  const commonest = (counts: ReadonlyMap<string, number>) =>
    [...counts].filter(([p]) => p !== '(none)').sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  return commonest(supporterParties) ?? commonest(fileParties) ?? null;
}

interface Baselines {
  turnoutAverage: number;
  partyShare: number;
  supportersPer1000: number;
}

/** A row's figures and indexes against the file's baselines (formulas: docs/zones.md). */
function zoneRow(z: ZoneTotals, electionsAveraged: number, party: string | null, base: Baselines): ZoneRow {
  const turnoutAverage = ratio(z.recentVotes, z.registered * electionsAveraged);
  const abstention = 1 - turnoutAverage;
  const partyShares = Object.fromEntries(
    [...z.parties].sort((a, b) => a[0].localeCompare(b[0])).map(([p, n]) => [p, round(ratio(n, z.registered), 4)]),
  );
  const share = party === null ? 0 : ratio(z.parties.get(party) ?? 0, z.registered);
  const density = ratio(z.supporters * 1000, z.registered);
  const abstentionIndex = base.turnoutAverage < 1 ? (100 * abstention) / (1 - base.turnoutAverage) : 100;
  const partyPart = base.partyShare > 0 ? share / base.partyShare : undefined;
  const densityPart = base.supportersPer1000 > 0 ? density / base.supportersPer1000 : undefined;
  const favourability =
    partyPart !== undefined && densityPart !== undefined
      ? FAVOURABILITY_PARTY_WEIGHT * partyPart + (1 - FAVOURABILITY_PARTY_WEIGHT) * densityPart
      : (partyPart ?? densityPart ?? 1);
  const enoughMatched = z.matched >= MIN_MATCHED_FOR_TURNOUT;
  return {
    zone: z.zone,
    zones: z.zones,
    registered: z.registered,
    turnoutLast: round(ratio(z.votedTarget, z.registered), 4),
    turnoutAverage: round(turnoutAverage, 4),
    abstention: round(abstention, 4),
    partyShares,
    supporters: z.supporters,
    matchedSupporters: z.matched,
    supportersPer1000: round(density, 2),
    matchedTurnoutLast: enoughMatched ? round(ratio(z.matchedVotedTarget, z.matched), 4) : null,
    matchedTurnoutAverage: enoughMatched ? round(ratio(z.matchedRecentVotes, z.matched * electionsAveraged), 4) : null,
    abstentionIndex: round(abstentionIndex, 1),
    favourabilityIndex: round(100 * favourability, 1),
    canvassScore: round(abstentionIndex * favourability, 1),
    rank: 0,
  };
}

/** Rows in the report's order; the merged row always last. */
function ranked(rows: ZoneRow[], rank: ZoneRanking): ZoneRow[] {
  const byZone = (a: ZoneRow, b: ZoneRow) => a.zone.localeCompare(b.zone, 'en', { numeric: true });
  const order: Record<ZoneRanking, (a: ZoneRow, b: ZoneRow) => number> = {
    zone: byZone,
    canvass: (a, b) => b.canvassScore - a.canvassScore || byZone(a, b),
    abstention: (a, b) => b.abstentionIndex - a.abstentionIndex || byZone(a, b),
    favourability: (a, b) => b.favourabilityIndex - a.favourabilityIndex || byZone(a, b),
  };
  const merged = rows.filter((r) => r.zone === MERGED_ZONE_ID);
  const sorted = [...rows.filter((r) => r.zone !== MERGED_ZONE_ID).sort(order[rank]), ...merged];
  return sorted.map((row, i) => ({ ...row, rank: i + 1 }));
}

/** The report: figures per zone, the small-zone rule, the indexes and the order. */
export function buildZoneReport(
  parties: readonly ZonePartyCount[],
  supporters: readonly ZoneSupporterCount[],
  supporterParties: ReadonlyMap<string, number>,
  options: ZoneReportOptions,
): ZoneReport {
  const zones = totalsByZone(parties, supporters);
  const all = emptyTotals('(all)', zones.length);
  for (const zone of zones) addTotals(all, zone);
  const party = options.party ?? defaultParty(supporterParties, all.parties);
  const n = options.elections.recent.length;
  const base: Baselines = {
    turnoutAverage: ratio(all.recentVotes, all.registered * n),
    partyShare: party === null ? 0 : ratio(all.parties.get(party) ?? 0, all.registered),
    supportersPer1000: ratio(all.supporters * 1000, all.registered),
  };
  const { shown, withheld } = applyMinVoters(zones, options.minVoters);
  const election = ({ date, election }: { date: string | null; election: string }) => ({ date, election });
  return {
    level: options.level,
    election: election(options.elections.target),
    recentElections: options.elections.recent.map(election),
    party,
    minVoters: options.minVoters,
    rank: options.rank,
    rows: ranked(
      shown.map((z) => zoneRow(z, n, party, base)),
      options.rank,
    ),
    withheld: { zones: withheld.length, registered: withheld.reduce((sum, z) => sum + z.registered, 0) },
    overall: {
      registered: all.registered,
      turnoutAverage: round(base.turnoutAverage, 4),
      partyShare: round(base.partyShare, 4),
      supportersPer1000: round(base.supportersPer1000, 2),
    },
    supporters: all.supporters,
  };
}
