import { describe, expect, it } from 'vitest';
import { contactKeyFor, contactKeyFromRef } from '../../domain/contact-key.js';
import { EmailSchema, normalizeEmail } from '../../schemas/email.js';

const KEY = 'test-pseudonym-key-0123456789';
const LOCAL_64 = 'a'.repeat(64);

/** Addresses real mail systems accept, and the normalised form each is stored (and keyed) under. */
const ACCEPTED: Array<[string, string]> = [
  ['dana.ruiz@example.org', 'dana.ruiz@example.org'],
  ['dana.ruiz+news@gmail.com', 'dana.ruiz+news@gmail.com'],
  ["o'brien@example.ie", "o'brien@example.ie"],
  ['first_last-2@mail.sub.example.co.uk', 'first_last-2@mail.sub.example.co.uk'],
  ["!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org"],
  ['  Dana.Ruiz@EXAMPLE.Org \n', 'dana.ruiz@example.org'],
  ['user@bücher.de', 'user@xn--bcher-kva.de'],
  ['user@Bücher.DE', 'user@xn--bcher-kva.de'],
  ['user@xn--bcher-kva.de', 'user@xn--bcher-kva.de'],
  ['用户@例子.广告', '用户@xn--fsqu00a.xn--4rr70v'],
  ['用户@例子。广告', '用户@xn--fsqu00a.xn--4rr70v'],
  ['josé@example.org', 'josé@example.org'],
  ['Jose\u0301@example.org', 'jos\u00e9@example.org'],
  ['δοκιμή@παράδειγμα.δοκιμή', 'δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp'],
  ['x@اختبار.مصر', 'x@xn--mgbachtv.xn--wgbh1c'],
  ['a@ｅｘａｍｐｌｅ.org', 'a@example.org'],
  [`${LOCAL_64}@example.org`, `${LOCAL_64}@example.org`],
  [
    `${LOCAL_64}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(57)}.org`,
    `${LOCAL_64}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(57)}.org`,
  ],
];

/** Addresses refused, each with the reason its message must give. */
const REFUSED: Array<[string, string]> = [
  // What the API fuzzer got accepted with 202.
  ['ada\u0000@example.org', 'contains a control or bidirectional formatting character (U+0000)'],
  ['ada\u202e@example.org', 'contains a control or bidirectional formatting character (U+202E)'],
  ['ada\u2067@example.org', 'contains a control or bidirectional formatting character (U+2067)'],
  ['ada\u200f@example.org', 'contains a control or bidirectional formatting character (U+200F)'],
  ['ada\u0085@example.org', 'contains a control or bidirectional formatting character (U+0085)'],
  ['ada\u200b@example.org', 'contains an invisible formatting character (U+200B)'],
  ['ada@exa\u00admple.org', 'contains an invisible formatting character (U+00AD)'],
  ['ada\ud800@example.org', 'contains a lone surrogate (U+D800), which is not text'],
  ['<ada@example.org>', 'is wrapped in angle brackets; give the bare address'],
  ['mailto:ada@example.org', 'starts with a URL scheme (mailto:); give the bare address'],
  ['javascript:alert(1)//@x.org', 'starts with a URL scheme (javascript:); give the bare address'],
  ['ada@example..org', 'the domain has an empty label'],
  ['ada@-example.org', 'a domain label starts or ends with a hyphen'],
  ['ada@example-.org', 'a domain label starts or ends with a hyphen'],
  ['ada@.example.org', 'the domain has an empty label'],
  ['ada@example.org.', 'the domain has an empty label'],
  ['ada@😀.example', 'the domain contains "😀", which is not a letter, digit or hyphen'],
  ['ada@xn--i28h.example', 'the domain contains "😄", which is not a letter, digit or hyphen'],
  ['ada\ufffd@example.org', 'the local part contains "\ufffd", which is not allowed'],
  // Not addresses, or not in the forms we take.
  ['', 'is empty'],
  ['not-an-email', 'must be an email address'],
  ['dana ruiz@example.org', 'contains a space'],
  ['"dana ruiz"@example.org', 'has a quoted local part ("…"@), which is not accepted'],
  ['a@b@example.org', 'contains more than one @'],
  ['@example.org', 'the local part (before the @) is empty'],
  ['.dana@example.org', 'the local part starts or ends with a dot'],
  ['dana.@example.org', 'the local part starts or ends with a dot'],
  ['dana..ruiz@example.org', 'the local part has two dots in a row'],
  ['dana(comment)@example.org', 'the local part contains "(", which is not allowed'],
  ['dana😀@example.org', 'the local part contains "😀", which is not allowed'],
  [`${LOCAL_64}a@example.org`, 'the local part is longer than 64 octets'],
  [`${'é'.repeat(33)}@example.org`, 'the local part is longer than 64 octets'],
  ['dana@', 'the domain (after the @) is empty'],
  ['dana@localhost', 'the domain must have at least two labels, like example.org'],
  ['dana@[192.0.2.1]', 'the domain is an address literal ([…]), which is not accepted'],
  ['dana@192.0.2.1', 'the top-level domain must start with a letter (IP addresses are not accepted)'],
  ['dana@0x7f.1', 'the top-level domain must start with a letter (IP addresses are not accepted)'],
  ['dana@ex_ample.org', 'the domain contains "_", which is not a letter, digit or hyphen'],
  ['dana@xn--zz.example', 'the domain is not a valid internationalised domain name'],
  [`dana@${'d'.repeat(64)}.org`, 'a domain label is longer than 63 octets'],
  [`dana@${`${'d'.repeat(63)}.`.repeat(4)}org`, 'the domain is longer than 253 octets'],
  [`${LOCAL_64}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(58)}.org`, 'is longer than 254 octets'],
];

describe('EmailSchema', () => {
  it.each(ACCEPTED)('accepts %j as %j', (input, normalised) => {
    expect(EmailSchema.parse(input)).toBe(normalised);
  });

  it.each(REFUSED)('refuses %j: %s', (input, reason) => {
    const result = EmailSchema.safeParse(input);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([reason]);
  });

  it('accepts what it returns: a normalised address validates to itself', () => {
    for (const [, normalised] of ACCEPTED) expect(EmailSchema.parse(normalised)).toBe(normalised);
  });
});

describe('normalizeEmail and the contact key', () => {
  it('is what EmailSchema returns for every accepted address', () => {
    for (const [input, normalised] of ACCEPTED) expect(normalizeEmail(input)).toBe(normalised);
  });

  it('gives one key to a domain written in Unicode, in punycode, or in any case', () => {
    const key = contactKeyFor('user@xn--bcher-kva.de', KEY);

    expect(contactKeyFor('user@bücher.de', KEY)).toBe(key);
    expect(contactKeyFor('User@BÜCHER.de', KEY)).toBe(key);
    expect(contactKeyFromRef('user@bücher.de', KEY)).toBe(key);
    expect(contactKeyFor('用户@例子.广告', KEY)).toBe(contactKeyFor('用户@xn--fsqu00a.xn--4rr70v', KEY));
  });

  it('never throws on a string that is not an address', () => {
    for (const [input] of REFUSED) expect(typeof normalizeEmail(input)).toBe('string');
  });
});
