import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Conflict, ContactStatus } from '../schemas/contact-record.js';
import { LOOKUP_ERROR_TYPES, type LookupState, type ObservationInput } from '../schemas/lookup.js';
import type { Signup } from '../schemas/signup.js';
import type { Database } from '../store/database.js';
import { describeDatabaseError, isUnstorableValue, sqlState } from '../store/database-errors.js';
import { findContactById, updateContactRecord, upsertContact } from '../store/contacts.js';
import { listLookups, upsertLookup } from '../store/lookups.js';
import { insertObservations, listObservations } from '../store/observations.js';
import { findSuppression, type SuppressionReason } from '../store/privacy.js';
import { buildContactRecord, SIGNUP_PROVIDER } from '../domain/merge/build-contact-record.js';
import { mergeInputFromRows } from '../store/merge-input.js';
import { signupObservations } from '../domain/merge/signup-observations.js';

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
 * Runs one store activity so that its failure says only what may be said, and stops retries that cannot heal.
 * A database error is rethrown as its SQLSTATE and the names of the table, column or constraint (the driver's own
 * error carries the row's values, and whatever an activity throws reaches the worker's log and the workflow's
 * history); when Postgres refused the values themselves the failure is non-retryable, of type StoreRejected.
 */
async function storeWrite<T>(activity: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (sqlState(err) === undefined) throw err;
    const description = `${activity}: the database refused the write (${describeDatabaseError(err)})`;
    if (isUnstorableValue(err))
      throw ApplicationFailure.create({
        type: LOOKUP_ERROR_TYPES.storeRejected,
        message: description,
        nonRetryable: true,
      });
    // No `cause`: the driver's error is exactly what must not travel (its detail and where hold the row's values).
    // eslint-disable-next-line preserve-caught-error
    throw new Error(description);
  }
}

/**
 * The activities that write Postgres. Every write is an idempotent upsert, so retries, replays and UI resets
 * leave the database as one clean run would. A write Postgres refuses for its values fails without retry
 * (StoreRejected, see {@link storeWrite}); the workflow ends the lookup or the run with the reason.
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
      return storeWrite('saveSignup', () =>
        db.transaction().execute(async (trx) => {
          const suppressed = await findSuppression(trx, input.contactKey);
          if (suppressed) return { suppressed };
          await upsertContact(trx, { id: input.contactKey, signup: input.signup, workflowId: run.workflowId });
          await insertObservations(
            trx,
            { contactId: input.contactKey, provider: SIGNUP_PROVIDER, ...run },
            signupObservations(input.signup, input.receivedAt),
          );
          return {};
        }),
      );
    },

    /** Stores how one provider's lookup ended, with what it found, in one transaction. */
    async recordLookup(input: RecordLookupInput): Promise<void> {
      const run = currentRun();
      const { state } = input;
      if (state.outcome === 'pending') throw new Error('recordLookup: a pending lookup has nothing to record');
      await storeWrite('recordLookup', () =>
        db.transaction().execute(async (trx) => {
          await insertObservations(
            trx,
            { contactId: input.contactKey, provider: input.provider, ...run },
            input.observations,
          );
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
        }),
      );
    },

    /** Re-derives the unified record from everything stored about the contact and saves it. */
    async mergeContact(input: { contactKey: string }): Promise<MergeContactResult> {
      return storeWrite('mergeContact', async () => {
        const contact = await findContactById(db, input.contactKey);
        // Gone (erased while this run was stopping): no retry can bring it back.
        if (!contact)
          throw ApplicationFailure.create({
            type: 'ContactMissing',
            message: 'mergeContact: the contact is not in the store',
            nonRetryable: true,
          });
        const [observations, lookups] = await Promise.all([
          listObservations(db, contact.id),
          listLookups(db, contact.id),
        ]);
        // The same derivation as `enrich remerge`; a suppressed contact stays suppressed.
        const record = buildContactRecord(mergeInputFromRows(contact, observations, lookups));
        await updateContactRecord(db, contact.id, record);
        return { status: record.status, conflicts: record.conflicts };
      });
    },
  };
}

export type StoreActivities = ReturnType<typeof createStoreActivities>;
