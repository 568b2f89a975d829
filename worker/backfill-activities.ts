import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { AdmitRowsInput, AdmitRowsResult, AdmittedRow, BackfillActivities } from '../schemas/backfill.js';
import type { ProviderName } from '../schemas/providers.js';
import { SOCIAL_PROVIDERS } from '../schemas/providers.js';
import { SignupSchema, type Signup } from '../schemas/signup.js';
import type { Database } from '../store/database.js';
import { countActiveBackfills, markAdmitted, rowsToAdmit, setBackfillState } from '../store/backfills.js';
import { buildEnrichContactInput, startEnrichment } from '../client/start-enrichment.js';
import { contactKeyFor } from '../domain/contact-key.js';
import { STAGE_ONE, stageOneInput } from '../workflows/lookup-plan.js';

/** The stage-1 providers an enrichment of `signup` will ask (enabled, with a lawful basis and the input they need). */
export function plannedProviders(config: Config, signup: Signup): ProviderName[] {
  const contactKey = contactKeyFor(signup.email, config.pseudonymKey);
  const input = buildEnrichContactInput(config, contactKey, signup, new Date(0), 'backfill');
  return input.providers
    .filter((plan) => STAGE_ONE.includes(plan.name) && plan.enabled)
    .filter(
      (plan) =>
        !SOCIAL_PROVIDERS.includes(plan.name) ||
        input.socialLookupBasis !== 'consent' ||
        input.signup.consent?.socialProfiles === true,
    )
    .filter((plan) =>
      stageOneInput(plan.name, contactKey, input.signup, { voterfileCountries: input.voterfileCountries }),
    )
    .map((plan) => plan.name);
}

/**
 * The backfill workflow's activities, on the workflows queue. `admitBackfillRows` reads the next page of staged rows
 * and starts each one's enrichment (the worker's own client, encrypted like every other), answering only ordinals,
 * outcomes and provider names: no personal data enters the backfill's history. Each row's outcome is written back
 * (`admitted`), so an attempt retried after a crash answers the rows it had already started as they were.
 */
export function createBackfillActivities(db: Kysely<Database>, config: Config): BackfillActivities {
  return {
    async admitBackfillRows(input: AdmitRowsInput): Promise<AdmitRowsResult> {
      const rows = await rowsToAdmit(db, input.backfillId, input.afterSeq, input.max + 1);
      const page = rows.slice(0, input.max);
      const admitted: AdmittedRow[] = [];
      for (const row of page) {
        const signup = SignupSchema.parse(row.signup);
        let status = row.admitted as AdmittedRow['status'] | null;
        if (!status) {
          const started = await startEnrichment(Context.current().client, config, signup, new Date(), {
            priority: 'backfill',
            backfill: { workflowId: input.workflowId, seq: row.seq },
          });
          status = started.status;
          await markAdmitted(db, input.backfillId, row.seq, status);
        }
        admitted.push({ seq: row.seq, status, providers: plannedProviders(config, signup) });
        Context.current().heartbeat(row.seq);
      }
      return { rows: admitted, exhausted: rows.length <= input.max, activeBackfills: await countActiveBackfills(db) };
    },
    async setBackfillState({ backfillId, state }) {
      await setBackfillState(db, backfillId, state);
    },
  };
}
