import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../../config.js';
import { AesGcmPayloadCodec, derivedPayloadKey, parsePayloadKeys } from './aes-gcm-codec.js';

/** The failure converter module that moves messages into payloads; workflow bundles for encrypted payloads include it. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/** The codec every client, worker and the codec endpoints share; undefined when encryption is off. */
export function payloadCodecFor(config: Config): AesGcmPayloadCodec | undefined {
  if (!config.payloads.encryption) return undefined;
  const keys = config.payloads.keys ? parsePayloadKeys(config.payloads.keys) : [derivedPayloadKey(config.pseudonymKey)];
  return new AesGcmPayloadCodec(keys);
}

/**
 * The data converter of every Temporal client and worker of this project: payloads encrypted by the codec, and
 * failure messages and stack traces moved into (encrypted) payloads too, since an error can quote personal data.
 * Workflow IDs and search attributes are never encoded by Temporal: they carry only keyed hashes and statuses.
 */
export function dataConverterFor(config: Config): DataConverter {
  const codec = payloadCodecFor(config);
  return codec ? { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH } : {};
}
