import { createLogger } from '../../logger.js';
import { installTemporalRuntime } from '../../worker/runtime.js';

// Before anything creates the Temporal runtime: quiet SDK logs (warnings and errors only) through pino.
installTemporalRuntime(createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test'), 'WARN');
