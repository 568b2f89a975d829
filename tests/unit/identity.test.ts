import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerToken, secretsEqual, signatureValid } from '../../domain/secrets.js';
import { contactKeyFor, contactKeyFromRef } from '../../domain/contact-key.js';
import { EmailSchema, normalizeEmail } from '../../schemas/email.js';
import {
  contactKeyFromWorkflowId,
  enrichContactWorkflowId,
  lookupActivityName,
  providerTaskQueue,
} from '../../schemas/ids.js';

const KEY = 'test-pseudonym-key-0123456789';
const OTHER_KEY = 'another-pseudonym-key-98765';

describe('normalizeEmail', () => {
  it('trims and lower-cases the address', () => {
    expect(normalizeEmail('  Dana.Ruiz@Example.ORG \n')).toBe('dana.ruiz@example.org');
  });

  it('composes Unicode to NFC, so two spellings of one character are one address', () => {
    const decomposed = 'Jose\u0301@example.org';
    expect(normalizeEmail(decomposed)).toBe('jos\u00e9@example.org');
  });

  it('keeps provider-specific dots and plus tags', () => {
    expect(normalizeEmail('dana.ruiz+news@gmail.com')).toBe('dana.ruiz+news@gmail.com');
  });
});

describe('EmailSchema', () => {
  it('accepts a plausible address and returns it normalised', () => {
    expect(EmailSchema.parse(' Dana.Ruiz@Example.org ')).toBe('dana.ruiz@example.org');
  });

  it.each([
    ['not-an-email', 'must be an email address'],
    ['dana@localhost', 'the domain must have at least two labels, like example.org'],
    ['dana ruiz@example.org', 'contains a space'],
    ['@example.org', 'the local part (before the @) is empty'],
    ['dana@', 'the domain (after the @) is empty'],
    ['a@b@example.org', 'contains more than one @'],
    ['', 'is empty'],
  ])('rejects %j with a message naming the reason', (bad, message) => {
    const result = EmailSchema.safeParse(bad);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(message);
  });

  it('rejects an address longer than 254 octets', () => {
    const result = EmailSchema.safeParse(`${'a'.repeat(64)}@${'x'.repeat(63)}.${'x'.repeat(63)}.${'x'.repeat(60)}.io`);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toContain('is longer than 254 octets');
  });
});

describe('contactKeyFor', () => {
  it('is the HMAC-SHA256 hex of the normalised email under the pseudonym key', () => {
    const expected = createHmac('sha256', KEY).update('dana.ruiz@example.org').digest('hex');

    const key = contactKeyFor('dana.ruiz@example.org', KEY);

    expect(key).toBe(expected);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same key for case and whitespace variants of one address', () => {
    const key = contactKeyFor('dana.ruiz@example.org', KEY);

    expect(contactKeyFor('  Dana.Ruiz@EXAMPLE.org ', KEY)).toBe(key);
    expect(contactKeyFor('DANA.RUIZ@EXAMPLE.ORG', KEY)).toBe(key);
  });

  it('gives a different key under another pseudonym key and for another address', () => {
    const key = contactKeyFor('dana.ruiz@example.org', KEY);

    expect(contactKeyFor('dana.ruiz@example.org', OTHER_KEY)).not.toBe(key);
    expect(contactKeyFor('dana.ruiz+news@example.org', KEY)).not.toBe(key);
  });

  it('never contains the email or its parts', () => {
    const key = contactKeyFor('dana.ruiz@example.org', KEY);

    expect(key).not.toContain('dana');
    expect(key).not.toContain('example');
    expect(key).not.toContain('@');
  });
});

describe('contactKeyFromRef', () => {
  const key = contactKeyFor('dana.ruiz@example.org', KEY);

  it('derives the key from an email in any case', () => {
    expect(contactKeyFromRef('Dana.Ruiz@Example.org', KEY)).toBe(key);
    expect(contactKeyFromRef('  dana.ruiz@example.org  ', KEY)).toBe(key);
  });

  it('accepts a contact key as is, lower-casing it', () => {
    expect(contactKeyFromRef(key, KEY)).toBe(key);
    expect(contactKeyFromRef(key.toUpperCase(), KEY)).toBe(key);
  });

  it('reads the key out of an enrichment workflow ID', () => {
    expect(contactKeyFromRef(`enrich-contact:${key}`, KEY)).toBe(key);
    expect(contactKeyFromRef(` ${enrichContactWorkflowId(key)} `, KEY)).toBe(key);
  });

  it.each([
    '',
    'dana',
    '1234',
    key.slice(0, 63),
    `${key}0`,
    `enrich-contact:${key.slice(1)}`,
    `other-workflow:${key}`,
    `${key.slice(0, 63)}g`,
  ])('answers undefined for %j', (garbage) => {
    expect(contactKeyFromRef(garbage, KEY)).toBeUndefined();
  });
});

describe('workflow ids', () => {
  const key = contactKeyFor('dana.ruiz@example.org', KEY);

  it('names the enrichment workflow after the contact key, never the email', () => {
    expect(enrichContactWorkflowId(key)).toBe(`enrich-contact:${key}`);
  });

  it('reads the contact key back from an enrichment workflow ID', () => {
    expect(contactKeyFromWorkflowId(enrichContactWorkflowId(key))).toBe(key);
  });

  it.each([
    'enrich-contact:',
    `enrich-contact:${key.toUpperCase()}`,
    `enrich-contact:${key}x`,
    `merge-contact:${key}`,
    key,
    ` enrich-contact:${key}`,
  ])('finds no contact key in %j', (id) => {
    expect(contactKeyFromWorkflowId(id)).toBeUndefined();
  });

  it('names a provider task queue after the workflow task queue', () => {
    expect(providerTaskQueue('enrichment', 'gravatar')).toBe('enrichment-gravatar');
    expect(providerTaskQueue('test-1', 'github')).toBe('test-1-github');
  });

  it('names a provider lookup activity lookup<Provider>', () => {
    expect(lookupActivityName('gravatar')).toBe('lookupGravatar');
    expect(lookupActivityName('github')).toBe('lookupGithub');
  });
});

describe('secretsEqual', () => {
  it('accepts the same secret', () => {
    expect(secretsEqual('s3cret-token', 's3cret-token')).toBe(true);
  });

  it('refuses a different secret of the same or another length', () => {
    expect(secretsEqual('s3cret-tokeN', 's3cret-token')).toBe(false);
    expect(secretsEqual('s3cret', 's3cret-token')).toBe(false);
    expect(secretsEqual('', 's3cret-token')).toBe(false);
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer authorization header, whatever the scheme case', () => {
    expect(bearerToken('Bearer abc.def-123')).toBe('abc.def-123');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Bearer   abc  ')).toBe('abc');
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'Token abc'])(
    'answers undefined for %j',
    (header) => {
      expect(bearerToken(header)).toBeUndefined();
    },
  );
});

describe('signatureValid', () => {
  const secret = 'webhook-secret';
  const body = Buffer.from('{"email":"dana.ruiz@example.org"}');
  const signature = createHmac('sha256', secret).update(body).digest('hex');

  it('accepts sha256=<hex> of the raw body under the secret, in either hex case', () => {
    expect(signatureValid(`sha256=${signature}`, body, secret)).toBe(true);
    expect(signatureValid(`sha256=${signature.toUpperCase()}`, body, secret)).toBe(true);
    expect(signatureValid(` sha256=${signature} `, body, secret)).toBe(true);
  });

  it('refuses a signature made with another secret or over another body', () => {
    expect(signatureValid(`sha256=${signature}`, body, 'other-secret')).toBe(false);
    expect(signatureValid(`sha256=${signature}`, Buffer.from('{"email":"dana.ruiz@example.org" }'), secret)).toBe(
      false,
    );
  });

  it.each([
    undefined,
    '',
    signature,
    `sha1=${signature}`,
    `sha256=${signature.slice(2)}`,
    `sha256=${signature}00`,
    `sha256=${'z'.repeat(64)}`,
  ])('refuses the header %j', (header) => {
    expect(signatureValid(header, body, secret)).toBe(false);
  });
});
