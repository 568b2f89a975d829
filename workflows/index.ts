// The worker's workflowsPath: every workflow type this project registers.
export { enrichContact, statusQuery } from './enrich-contact.js';
