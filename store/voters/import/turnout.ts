import { createElectionsSql, createTurnoutSql } from '../turnout-summary.js';
import { statement, type IndexStep } from './run-on-sessions.js';
import type { LoadTables } from './stage.js';

/**
 * The turnout summary's steps of the index phase (store/voters/turnout-summary.ts): the elections from the new
 * history (or the live one, kept when the import has none), then one row per voter once repeated voter ids are gone
 * (`afterVoterIds`, the step that removes them).
 */
export function turnoutSteps(tables: LoadTables, withHistory: boolean, afterVoterIds: string): IndexStep[] {
  const votes = withHistory ? tables.votes : 'voter_votes';
  return [
    statement('turnout elections', createElectionsSql(tables, votes)),
    statement('turnout summary', createTurnoutSql(tables, tables.voters, votes), ['turnout elections', afterVoterIds]),
  ];
}
