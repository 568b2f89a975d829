import { z } from 'zod';

/** OSDI and Action Network send `null` or leave out what they do not know. */
const nullableString = z.string().nullish();
const nullableBoolean = z.boolean().nullish();

export const OsdiEmailAddressSchema = z.object({
  address: nullableString,
  primary: nullableBoolean,
  /** `subscribed`, `unsubscribed`, `bouncing`, `spam complaints`: list status, not consent to enrichment. */
  status: nullableString,
});

export const OsdiPostalAddressSchema = z.object({
  primary: nullableBoolean,
  address_lines: z.array(z.string()).nullish(),
  locality: nullableString,
  /** ISO 3166-2 subdivision suffix, e.g. `NC`. */
  region: nullableString,
  postal_code: nullableString,
  /** ISO 3166-1 alpha-2. */
  country: nullableString,
});

export const OsdiPhoneNumberSchema = z.object({
  primary: nullableBoolean,
  /** Digits including the country code. */
  number: nullableString,
  /** OSDI's flexenum: `Home`, `Work`, `Mobile`, `Other`, `Daytime`, `Evening`, `Fax`, or another value. */
  number_type: nullableString,
});

/**
 * The fields of an OSDI person (OSDI 1.2 `people`, as Action Network sends it) that a signup can use. In
 * submission and signature events it holds only what the activist typed in.
 */
export const OsdiPersonSchema = z.object({
  given_name: nullableString,
  family_name: nullableString,
  email_addresses: z.array(OsdiEmailAddressSchema).nullish(),
  postal_addresses: z.array(OsdiPostalAddressSchema).nullish(),
  phone_numbers: z.array(OsdiPhoneNumberSchema).nullish(),
  birthdate: z.object({ year: z.number().int().nullish() }).nullish(),
  /** A flat string map; values are strings in OSDI, but senders are lenient. */
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
});
export type OsdiPerson = z.infer<typeof OsdiPersonSchema>;
