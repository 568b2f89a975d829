/** Turns zod issues into one line per bad field, so demo-data mistakes are easy to find. */
import type { z } from 'zod';

/** e.g. `[3].profile.hash: must be a SHA-256 hex digest` */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`).join('\n');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .replace(/^\./, '');
}

/** Parses or throws an Error whose message starts with `what` and lists each bad field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new Error(`${what}\n${formatIssues(result.error)}`, { cause: result.error });
}
