// Failure messages and stack traces moved into payloads, where the codec encrypts them: an error message can
// quote personal data. Temporal loads a failure converter by path (`failureConverterPath`), in workers' workflow
// bundles and in clients alike; CommonJS so that plain `require` can load it everywhere (tsx, vitest, node).
const { DefaultFailureConverter } = require('@temporalio/common');

module.exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
