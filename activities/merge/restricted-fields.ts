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

/** Sets a dotted field of the (copied) record to null; a district is removed, as absent districts are. */
function clearField(record: Record<string, unknown>, field: string): void {
  const parts = field.split('.');
  let node: unknown = record;
  for (const part of parts.slice(0, -1)) {
    if (!node || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[part];
  }
  const last = parts.at(-1)!;
  if (!node || typeof node !== 'object' || !(last in node)) return;
  if (parts[0] === 'location' && parts[1] === 'districts') delete (node as Record<string, unknown>)[last];
  else (node as Record<string, unknown>)[last] = null;
}

/**
 * The record as an export for `purpose` may show it. For research, all of it. Otherwise the restricted fields are
 * emptied (`donations` null, a work field known only from the FEC null), and what restricted providers reported
 * is dropped from `provenance` and `conflicts`, so nothing of it leaks through the evidence either.
 */
export function recordForPurpose(record: ContactRecord, purpose: ExportPurpose): ContactRecord {
  if (purpose === 'research') return record;
  const copy = structuredClone(record);
  for (const field of restrictedFields(record)) clearField(copy, field);
  copy.donations = null;
  const provenance: ContactRecord['provenance'] = {};
  for (const [field, entries] of Object.entries(copy.provenance)) {
    const kept = entries.filter((e) => !RESTRICTED_PROVIDERS.has(e.provider));
    if (kept.length > 0) provenance[field] = kept;
  }
  copy.provenance = provenance;
  copy.conflicts = copy.conflicts
    .map((c) => ({ ...c, values: c.values.filter((v) => !RESTRICTED_PROVIDERS.has(v.provider)) }))
    .filter((c) => c.values.length > 1);
  return copy;
}
