import type { ContactRecord } from '../../schemas/contact-record.js';

/**
 * Providers whose data US law restricts: FEC contributor data may not be used to solicit contributions
 * (52 U.S.C. §30111(a)(4)), so it stays out of segments and OSDI exports unless the purpose is research.
 */
export const RESTRICTED_PROVIDERS: ReadonlySet<string> = new Set(['fec']);

/** Why exports keep something back; `research` is the only purpose that may see restricted data. */
export const EXPORT_PURPOSES = ['outreach', 'research'] as const;
export type ExportPurpose = (typeof EXPORT_PURPOSES)[number];

/**
 * The record's fields that restricted data decides: `donations` whenever it is there, and every field whose best
 * source (the first of its provenance) is a restricted provider, e.g. `work.occupation` known only from the FEC.
 * Sorted, so the list stored beside the record is stable.
 */
export function restrictedFields(record: ContactRecord): string[] {
  const fields = new Set<string>();
  if (record.donations) fields.add('donations');
  for (const [field, entries] of Object.entries(record.provenance)) {
    const best = entries[0];
    if (best && RESTRICTED_PROVIDERS.has(best.provider) && field !== 'profiles') fields.add(field);
  }
  return [...fields].sort();
}

/**
 * The record with one dotted field emptied, copying only the objects on the way to it (the rest is shared): a
 * district is removed, as absent districts are; any other field becomes null.
 */
function withoutField(node: Record<string, unknown>, parts: string[], district: boolean): Record<string, unknown> {
  const [head, ...rest] = parts as [string, ...string[]];
  if (!Object.hasOwn(node, head)) return node;
  if (rest.length === 0) {
    if (!district) return { ...node, [head]: null };
    const { [head]: _removed, ...others } = node;
    return others;
  }
  const child = node[head];
  if (!child || typeof child !== 'object' || Array.isArray(child)) return node;
  return { ...node, [head]: withoutField(child as Record<string, unknown>, rest, district) };
}

const fromRestricted = (e: { provider: string }) => RESTRICTED_PROVIDERS.has(e.provider);

/**
 * The record as an export for `purpose` may show it. For research, all of it. Otherwise the restricted fields are
 * emptied (`donations` null, a work field known only from the FEC null), and what restricted providers reported
 * is dropped from `provenance` and `conflicts`, so nothing of it leaks through the evidence either. The record
 * given is not changed (what is changed is copied; exports run this for every row, so nothing else is).
 */
export function recordForPurpose(record: ContactRecord, purpose: ExportPurpose): ContactRecord {
  if (purpose === 'research') return record;
  let copy = record as unknown as Record<string, unknown>;
  for (const field of restrictedFields(record)) {
    const parts = field.split('.');
    copy = withoutField(copy, parts, parts[0] === 'location' && parts[1] === 'districts' && parts.length === 3);
  }
  const result = { ...(copy as unknown as ContactRecord), donations: null };
  if (Object.values(record.provenance).some((entries) => entries.some(fromRestricted))) {
    const provenance: ContactRecord['provenance'] = {};
    for (const [field, entries] of Object.entries(record.provenance)) {
      const kept = entries.some(fromRestricted) ? entries.filter((e) => !fromRestricted(e)) : entries;
      if (kept.length > 0) provenance[field] = kept;
    }
    result.provenance = provenance;
  }
  if (record.conflicts.some((c) => c.values.some(fromRestricted))) {
    result.conflicts = record.conflicts
      .map((c) => (c.values.some(fromRestricted) ? { ...c, values: c.values.filter((v) => !fromRestricted(v)) } : c))
      .filter((c) => c.values.length > 1);
  }
  return result;
}
