import type { Signup } from '../../schemas/signup.js';
import type { FieldIssue } from '../../api/mappers/signup-draft.js';
import type { ListStatus } from '../../schemas/list-status.js';

/**
 * One data row of the input: a valid signup (with what the list says about the person, when the row says it), or
 * why it was rejected (naming the field as the file names it).
 */
export type BackfillRow = { line: number; signup: Signup; statuses?: ListStatus[] } | { line: number; reason: string };

/** `email: must be an email address; zip: …`: each issue with its field, never the value (it may be personal). */
export function reasonFromIssues(issues: FieldIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}
