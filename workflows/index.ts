// The worker's workflowsPath: every workflow type this project registers.
export { enrichContact, retryLookupsSignal, retryLookupsUpdate, statusQuery } from './enrich-contact.js';
export { eraseContact, suppressContact } from './privacy.js';
export { purgeExpired } from './retention.js';
