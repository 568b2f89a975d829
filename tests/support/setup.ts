import { createLogger } from '../../logger.js';
import { installTemporalRuntime } from '../../worker/runtime.js';

// Before anything creates the Temporal runtime. Tests provoke failures on purpose, so only errors are logged
// unless TEST_LOG_LEVEL asks for more (e.g. TEST_LOG_LEVEL=info npx vitest …).
const level = process.env.TEST_LOG_LEVEL ?? 'error';
installTemporalRuntime(createLogger(level, 'test'), level.toUpperCase() as 'ERROR');
