import { z } from 'zod';
import { EmailSchema } from './email.js';

const text = (max: number) => z.string().trim().min(1).max(max);

export const PostalAddressSchema = z.object({
  lines: z.array(text(200)).max(4).optional(),
  locality: text(100).optional(),
  region: text(100).optional(),
  postalCode: text(20).optional(),
  country: z.string().trim().toUpperCase().length(2, 'must be an ISO 3166-1 alpha-2 code').optional(),
});
export type PostalAddress = z.infer<typeof PostalAddressSchema>;

export const ConsentSchema = z.object({
  socialProfiles: z.boolean(),
  at: z.iso.datetime({ offset: true }).optional(),
  noticeVersion: text(50).optional(),
});
export type Consent = z.infer<typeof ConsentSchema>;

/** The generic signup body of `POST /v1/signups` and of `enrich signup` (product.md). */
export const SignupSchema = z.object({
  email: EmailSchema,
  givenName: text(100).optional(),
  familyName: text(100).optional(),
  phone: text(40).optional(),
  birthYear: z.coerce.number().int().min(1900).max(2100).optional(),
  postalAddress: PostalAddressSchema.optional(),
  source: text(100).optional(),
  consent: ConsentSchema.optional(),
});
export type Signup = z.infer<typeof SignupSchema>;
