import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Conflict, ContactStatus } from '../schemas/contact-record.js';
import type { LookupState, ObservationInput } from '../schemas/lookup.js';
import type { Signup } from '../schemas/signup.js';
import type { Database } from '../store/database.js';
import { findContactById, updateContactRecord, upsertContact } from '../store/contacts.js';
import { listLookups, upsertLookup } from '../store/lookups.js';
import { insertObservations, listObservations } from '../store/observations.js';
import { findSuppression, type SuppressionReason } from '../store/privacy.js';
import { buildContactRecord, SIGNUP_PROVIDER } from './merge/build-contact-record.js';
import { mergeInputFromRows } from './merge/merge-input.js';
import { signupObservations } from './merge/signup-observations.js';

export interface SaveSignupInput {
  contactKey: string;
  signup: Signup;
  receivedAt: string;
}

export interface RecordLookupInput {
  contactKey: string;
  provider: string;
  state: LookupState;
  observations: ObservationInput[];
}

export interface MergeContactResult {
  status: ContactStatus;
  conflicts: Conflict[];
}

function currentRun() {
  const { workflowExecution } = Context.current().info;
  // Store activities only run inside enrichment workflows; their writes are tagged with that run.
  if (!workflowExecution) throw new Error('store activities must run inside a workflow');
  return { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
}

/**
 * The activities that write Postgres. Every write is an idempotent upsert, so retries, replays and UI resets
 * leave the database as one clean run would.
 */
export function createStoreActivities(db: Kysely<Database>) {
  return {
    /**
     * Creates or refreshes the contact and records what the supporter typed as observations of the `signup` source —
     * unless the person is on the suppression list (opted out, or erased): then nothing is written and the reason
     * is answered, whoever started the workflow.
     */
    async saveSignup(input: SaveSignupInput): Promise<{ suppressed?: SuppressionReason }> {
      const run = currentRun();
      return db.transaction().execute(async (trx) => {
        const suppressed = await findSuppression(trx, input.contactKey);
        if (suppressed) return { suppressed };
        await upsertContact(trx, { id: input.contactKey, signup: input.signup, workflowId: run.workflowId });
        await insertObservations(
          trx,
          { contactId: input.contactKey, provider: SIGNUP_PROVIDER, ...run },
          signupObservations(input.signup, input.receivedAt),
        );
        return {};
      });
    },

    /** Stores how one provider's lookup ended, with what it found, in one transaction. */
    async recordLookup(input: RecordLookupInput): Promise<void> {
      const run = currentRun();
      const { state } = input;
      if (state.outcome === 'pending') throw new Error('recordLookup: a pending lookup has nothing to record');
      await db.transaction().execute(async (trx) => {
        await insertObservations(trx, { contactId: input.contactKey, provider: input.provider, ...run }, input.observations);
        await upsertLookup(trx, {
          contactId: input.contactKey,
          provider: input.provider,
          outcome: state.outcome as Exclude<LookupState['outcome'], 'pending'>,
          reason: state.reason,
          attempts: state.attempts,
          errorType: state.errorType,
          lastError: state.lastError,
          completedAt: state.at ?? new Date().toISOString(),
          ...run,
        });
      });
    },

    /** Re-derives the unified record from everything stored about the contact and saves it. */
    async mergeContact(input: { contactKey: string }): Promise<MergeContactResult> {
      const contact = await findContactById(db, input.contactKey);
      if (!contact) throw new Error(`mergeContact: no contact ${input.contactKey}`);
      const [observations, lookups] = await Promise.all([listObservations(db, contact.id), listLookups(db, contact.id)]);
      // The same derivation as `enrich remerge`; a suppressed contact stays suppressed.
      const record = buildContactRecord(mergeInputFromRows(contact, observations, lookups));
      await updateContactRecord(db, contact.id, record);
      return { status: record.status, conflicts: record.conflicts };
    },
  };
}

export type StoreActivities = ReturnType<typeof createStoreActivities>;
