import { z } from 'zod';

/**
 * How the text of one environment variable becomes a value: the parsers the configuration's schemas
 * (schemas/config-env.ts, schemas/provider-env.ts, config.ts) share. Each names what is wrong with a bad value;
 * the variable's name is added by `loadConfig`, which knows where the value came from.
 */

/** A TCP port; `0` lets the system choose. */
export const port = z.coerce.number().int().min(0).max(65535);

/** A number above zero (a rate). */
export const positive = z.coerce.number().positive();

/** A secret (a token, a key); an empty value counts as unset before this is asked. */
export const optionalSecret = z.string().min(1).optional();

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A comma-separated list of durations such as `1h,6h,24h` (units ms, s, m, h, d); `none` or empty for none. */
export const durationList = z
  .string()
  .transform((text, ctx) => {
    const parts = text
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '' && p !== 'none');
    const delays: number[] = [];
    for (const part of parts) {
      const match = /^(\d+)(ms|s|m|h|d)$/.exec(part);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not a duration like 30s, 15m, 6h or 1d` });
        return z.NEVER;
      }
      delays.push(Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]);
    }
    return delays;
  })
  .or(z.array(z.number()));

/** A comma-separated list of host names, lower-cased (`a.example, b.example`). */
export const hostList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((h) => h.trim().toLowerCase().replace(/\.$/, ''))
      .filter(Boolean),
  )
  .or(z.array(z.string()));

/**
 * A comma-separated list of ISO 3166-1 alpha-2 country codes (`US,FR`), upper-cased, without repeats; each code that
 * is not two letters is named in the error. `none` for none where that is allowed; otherwise at least one.
 */
export function countryList({ allowNone }: { allowNone: boolean }) {
  return z.string().transform((text, ctx) => {
    const codes = text
      .split(',')
      .map((c) => c.trim().toUpperCase())
      .filter((c) => c !== '' && !(allowNone && c === 'NONE'));
    const bad = codes.filter((c) => !/^[A-Z]{2}$/.test(c));
    if (bad.length > 0) {
      const named = bad.map((c) => `"${c}"`).join(', ');
      const verb = bad.length > 1 ? 'are not ISO 3166-1 alpha-2 codes' : 'is not an ISO 3166-1 alpha-2 code';
      ctx.addIssue({ code: 'custom', message: `${named} ${verb}; list two-letter codes such as US,FR` });
      return z.NEVER;
    }
    if (codes.length === 0 && !allowNone) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one ISO 3166-1 alpha-2 code such as US or FR' });
      return z.NEVER;
    }
    return [...new Set(codes)];
  });
}

/** A number of days, or `0`/`off` for never (null). */
export const daysOrOff = z
  .union([z.literal('off'), z.coerce.number().int().min(0).max(36_500)], {
    error: 'must be a number of days (0 to 36500), or off',
  })
  .transform((value) => (value === 'off' || value === 0 ? null : value));

/** One window of a provider's rate limit: at most `max` requests in any `windowSeconds` (domain/rate-budget.ts's DocumentedLimit). */
export interface LimitWindow {
  max: number;
  windowSeconds: number;
}

const LIMIT_UNITS_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * `PROVIDER_<NAME>_LIMITS`: the windows of the operator's own plan or instance, comma-separated, each
 * `<max>/<window>` (`30/60s,10/1s`, `300/5m`, `5000/1h`; a window of one unit may drop the 1: `50/s`).
 */
export const limitList = z.string().transform((text, ctx) => {
  const limits: LimitWindow[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^(\d+)\s*\/\s*(\d*)(s|m|h|d)$/.exec(part);
    const max = Number(match?.[1]);
    const windowSeconds =
      Number(match?.[2] || 1) * LIMIT_UNITS_SECONDS[(match?.[3] ?? 's') as keyof typeof LIMIT_UNITS_SECONDS];
    if (!match || max < 1 || windowSeconds < 1) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}" is not a limit like 30/60s, 300/5m or 5000/1h (requests per window)`,
      });
      return z.NEVER;
    }
    limits.push({ max, windowSeconds });
  }
  if (limits.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one limit such as 30/60s' });
    return z.NEVER;
  }
  return limits;
});

/** A base URL; `{instance}` may stand for the host when the provider is asked on each account's own server. */
export const baseUrl = z.string().refine((value) => {
  try {
    return /^https?:$/.test(new URL(value.replace('{instance}', 'instance.example')).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');
