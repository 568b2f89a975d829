import { z } from 'zod';

/** NationBuilder sends `null` for every empty field, so each optional field may be a value, null or absent. */
const nullableString = z.string().nullish();
const nullableBoolean = z.boolean().nullish();

/** An address resource of NationBuilder's people API (`primary_address`, `home_address`, …). */
export const NationBuilderAddressSchema = z.object({
  address1: nullableString,
  address2: nullableString,
  address3: nullableString,
  city: nullableString,
  state: nullableString,
  zip: nullableString,
  country_code: nullableString,
});
export type NationBuilderAddress = z.infer<typeof NationBuilderAddressSchema>;

/**
 * The fields of a NationBuilder person (webhook payload version 4) that a signup can use. NationBuilder sends
 * a hundred more; they are dropped here and never reach workflow history.
 */
export const NationBuilderPersonSchema = z.object({
  id: z.number().int().nullish(),
  email: nullableString,
  email1: nullableString,
  email1_is_bad: nullableBoolean,
  email2: nullableString,
  email2_is_bad: nullableBoolean,
  email3: nullableString,
  email3_is_bad: nullableBoolean,
  email4: nullableString,
  email4_is_bad: nullableBoolean,
  first_name: nullableString,
  last_name: nullableString,
  mobile: nullableString,
  phone: nullableString,
  work_phone_number: nullableString,
  /** `YYYY-MM-DD`. */
  birthdate: nullableString,
  primary_address: NationBuilderAddressSchema.nullish(),
  /** What the person typed as one line, e.g. `12 Elm St Raleigh, NC 27601`; kept unparsed. */
  submitted_address: nullableString,
  /** Consent to email correspondence: deliberately NOT read as consent to social matching. */
  email_opt_in: nullableBoolean,
  /** The list's own opt-outs: honoured (the person is not enriched), see schemas/list-status.ts. */
  do_not_contact: nullableBoolean,
  is_deceased: nullableBoolean,
  /** When the person unsubscribed from the nation's email, or null. */
  unsubscribed_at: nullableString,
  tags: z.array(z.string()).nullish(),
  created_at: nullableString,
});
export type NationBuilderPerson = z.infer<typeof NationBuilderPersonSchema>;

/**
 * The person of payload versions 3 and below (`payload.signup`, NationBuilder's older webhook documentation): the
 * same fields spelled as the people export spells them: `email1`…`email4`, `phone_number`, `mobile_number`,
 * `work_phone_number`, `tag_list` (one comma-separated string), `born_at`, and the address under `address` (or
 * `primary_address`).
 */
export const NationBuilderLegacySignupSchema = z.object({
  nationbuilder_id: z.number().int().nullish(),
  email: nullableString,
  email1: nullableString,
  email2: nullableString,
  email3: nullableString,
  email4: nullableString,
  first_name: nullableString,
  last_name: nullableString,
  phone_number: nullableString,
  mobile_number: nullableString,
  work_phone_number: nullableString,
  born_at: nullableString,
  address: NationBuilderAddressSchema.nullish(),
  primary_address: NationBuilderAddressSchema.nullish(),
  email_opt_in: nullableBoolean,
  do_not_contact: nullableBoolean,
  is_deceased: nullableBoolean,
  unsubscribed_at: nullableString,
  tag_list: nullableString,
});
export type NationBuilderLegacySignup = z.infer<typeof NationBuilderLegacySignupSchema>;

/**
 * Just enough of any NationBuilder webhook to authenticate it: the shared secret travels in the body as `token`
 * (there is no signature), so it is checked before anything else about the body is looked at.
 */
export const NationBuilderTokenSchema = z.object({ token: z.string() });

/**
 * The envelope of every NationBuilder webhook: `{nation_slug, payload, token, version}`. The event name is not in
 * it (each registered webhook has one URL and one event); the payload's key tells person events (`person`) from
 * contact (`person_call`) and donation (`donation`) events.
 */
export const NationBuilderEnvelopeSchema = z.object({
  nation_slug: z.string().trim().min(1).max(80),
  token: z.string(),
  version: z.union([z.number(), z.string()]).optional(),
  payload: z.record(z.string(), z.unknown()),
});
export type NationBuilderEnvelope = z.infer<typeof NationBuilderEnvelopeSchema>;

/** A person event of payload version ≤ 3: `payload.signup`, and the nation's slug may be missing. */
export const NationBuilderLegacyWebhookSchema = z.object({
  nation_slug: z.string().trim().min(1).max(80).nullish(),
  token: z.string(),
  version: z.union([z.number(), z.string()]).optional(),
  payload: z.object({ signup: NationBuilderLegacySignupSchema }),
});
export type NationBuilderLegacyWebhook = z.infer<typeof NationBuilderLegacyWebhookSchema>;

/** A person event (`person_creation`, `person_update`): the envelope with `payload.person`. */
export const NationBuilderPersonWebhookSchema = NationBuilderEnvelopeSchema.extend({
  payload: z.object({ person: NationBuilderPersonSchema }),
});
export type NationBuilderPersonWebhook = z.infer<typeof NationBuilderPersonWebhookSchema>;
