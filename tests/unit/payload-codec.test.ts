import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  derivedPayloadKey,
  ENCRYPTED_ENCODING,
  parsePayloadKeys,
} from '../../client/codec/aes-gcm-codec.js';

const key = (id: string) => ({ id, key: randomBytes(32) });
const payload = defaultPayloadConverter.toPayload({ email: 'dana.ruiz@example.org', givenName: 'Dana' });

describe('AesGcmPayloadCodec', () => {
  it('encrypts a payload so nothing of it is readable, and decrypts it back exactly', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const [encrypted] = await codec.encode([payload]);
    expect(new TextDecoder().decode(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encrypted!.data!).includes(Buffer.from('dana.ruiz'))).toBe(false);
    const [decrypted] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decrypted!)).toEqual({
      email: 'dana.ruiz@example.org',
      givenName: 'Dana',
    });
  });

  it('uses a fresh IV each time', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const [a, b] = await codec.encode([payload, payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('encrypts with the newest key and still reads what an older key encrypted', async () => {
    const old = key('2026-01');
    const current = key('2026-11');
    const [byOld] = await new AesGcmPayloadCodec([old]).encode([payload]);
    const rotated = new AesGcmPayloadCodec([current, old]);
    const [byNew] = await rotated.encode([payload]);
    expect(new TextDecoder().decode(byNew!.metadata!['encryption-key-id'])).toBe('2026-11');
    const decoded = await rotated.decode([byOld!, byNew!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { email: 'dana.ruiz@example.org', givenName: 'Dana' },
      { email: 'dana.ruiz@example.org', givenName: 'Dana' },
    ]);
  });

  it('refuses a payload whose key is gone, and one that was tampered with', async () => {
    const [encrypted] = await new AesGcmPayloadCodec([key('gone')]).encode([payload]);
    await expect(new AesGcmPayloadCodec([key('other')]).decode([encrypted!])).rejects.toThrow(/no payload key "gone"/);
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const [sealed] = await codec.encode([payload]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 0xff;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow();
  });

  it('passes unencrypted payloads through, so history from before encryption stays readable', async () => {
    expect(await new AesGcmPayloadCodec([key('k1')]).decode([payload])).toEqual([payload]);
  });
});

describe('payload keys', () => {
  it('reads PAYLOAD_KEYS as id:base64 pairs, newest first', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    expect(parsePayloadKeys(`new:${a}, old:${b}`).map((k) => k.id)).toEqual(['new', 'old']);
  });

  it('names the entry that is wrong', () => {
    expect(() => parsePayloadKeys(`short:${randomBytes(16).toString('base64')}`)).toThrow(
      /key "short" must decode to 32 bytes/,
    );
    expect(() => parsePayloadKeys('nokey')).toThrow(/"nokey" must be id:base64key/);
  });

  it('derives the same key from the same pseudonym key, and another from another', () => {
    expect(derivedPayloadKey('secret-one-0123456789').key.equals(derivedPayloadKey('secret-one-0123456789').key)).toBe(
      true,
    );
    expect(derivedPayloadKey('secret-one-0123456789').key.equals(derivedPayloadKey('secret-two-0123456789').key)).toBe(
      false,
    );
  });
});
