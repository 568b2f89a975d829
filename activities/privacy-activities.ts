import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import {
  addSuppression,
  eraseContactData,
  markContactSuppressed,
  writeAudit,
  type ErasureCounts,
} from '../store/privacy.js';

export interface PrivacyRequest {
  contactKey: string;
  /** Who asked (an operator, `api`, `cli`): recorded in the audit log. */
  actor: string;
}

/** What an erasure did, for the person who asked and for the audit log. */
export interface ErasureReceipt {
  contactKey: string;
  erasedAt: string;
  deleted: ErasureCounts;
  suppressed: true;
}

/** Privacy actions. Each runs in one transaction with its audit entry, and is idempotent. */
export function createPrivacyActivities(db: Kysely<Database>) {
  return {
    /** Opt-out: the key joins the suppression list and the contact is marked suppressed; nothing is deleted. */
    async suppressContact(request: PrivacyRequest): Promise<{ contactUpdated: boolean }> {
      return db.transaction().execute(async (trx) => {
        await addSuppression(trx, request.contactKey, 'opt_out');
        const contactUpdated = await markContactSuppressed(trx, request.contactKey);
        await writeAudit(trx, {
          actor: request.actor,
          action: 'suppress',
          subjectKey: request.contactKey,
          detail: { contactUpdated },
        });
        return { contactUpdated };
      });
    },

    /** Erasure: everything held about the contact is deleted and only the keyed hash stays, on the suppression list. */
    async eraseContact(request: PrivacyRequest): Promise<ErasureReceipt> {
      return db.transaction().execute(async (trx) => {
        const deleted = await eraseContactData(trx, request.contactKey);
        await addSuppression(trx, request.contactKey, 'erasure');
        const receipt: ErasureReceipt = {
          contactKey: request.contactKey,
          erasedAt: new Date().toISOString(),
          deleted,
          suppressed: true,
        };
        await writeAudit(trx, {
          actor: request.actor,
          action: 'erase',
          subjectKey: request.contactKey,
          detail: { deleted },
        });
        return receipt;
      });
    },
  };
}

export type PrivacyActivities = ReturnType<typeof createPrivacyActivities>;
