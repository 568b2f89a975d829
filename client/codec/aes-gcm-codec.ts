import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const ProtoPayload = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One AES-256 key and the id stored next to what it encrypted, so old payloads stay readable after a rotation. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** Runs `fn` so that what it throws arrives as a rejection, as callers of an async codec expect. */
const settle = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

/**
 * Encrypts every Temporal payload (workflow and activity inputs and results, signals, queries, updates, failure
 * messages) with AES-256-GCM: a random 12-byte IV, the 16-byte tag appended, the key id in the metadata. Encodes
 * with the first (newest) key; decodes with whichever key the payload names; passes unencrypted payloads through.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly #encryptWith: PayloadKey;
  readonly #byId: Map<string, Buffer>;

  constructor(keys: PayloadKey[]) {
    if (keys.length === 0) throw new Error('AesGcmPayloadCodec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`payload key ${k.id} must be 32 bytes (AES-256)`);
    this.#encryptWith = keys[0]!;
    this.#byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() =>
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', this.#encryptWith.key, iv);
        const plain = ProtoPayload.encode(payload).finish();
        const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
        return {
          metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.#encryptWith.id) },
          data,
        };
      }),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() =>
      payloads.map((payload) => {
        if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
        const keyId = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
        const key = this.#byId.get(keyId);
        if (!key)
          throw new Error(
            `no payload key "${keyId}" among PAYLOAD_KEYS: it was encrypted with a key that is no longer configured`,
          );
        const data = Buffer.from(payload.data ?? new Uint8Array());
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return ProtoPayload.decode(plain);
      }),
    );
  }
}

/**
 * Reads PAYLOAD_KEYS: `id:base64key[,id:base64key…]`, newest first. Throws naming the entry that is wrong.
 */
export function parsePayloadKeys(value: string): PayloadKey[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [id, encoded] = entry.split(':', 2);
      if (!id || !encoded) throw new Error(`PAYLOAD_KEYS: "${id ?? entry}" must be id:base64key`);
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32) throw new Error(`PAYLOAD_KEYS: key "${id}" must decode to 32 bytes, got ${key.length}`);
      return { id, key };
    });
}

/** Without PAYLOAD_KEYS, a key derived from PSEUDONYM_KEY (HKDF-SHA256): every process with the same secret agrees. */
export function derivedPayloadKey(pseudonymKey: string): PayloadKey {
  const key = Buffer.from(hkdfSync('sha256', pseudonymKey, 'contact-enrichment', 'payload encryption key v1', 32));
  return { id: 'derived-v1', key };
}
