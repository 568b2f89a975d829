// The worker's workflowsPath: every workflow type this project registers.
export {
  backfillSettledSignal,
  enrichContact,
  retryLookupsSignal,
  retryLookupsUpdate,
  statusQuery,
} from './enrich-contact.js';
export { backfill, cancelSignal, pauseSignal, progressQuery, resumeSignal } from './backfill.js';
export { eraseContact, suppressContact } from './privacy.js';
export { purgeExpired } from './retention.js';
