/**
 * Party names for the codes voter files use, so OSDI's `parties[].identification` (a flexenum: "None",
 * "Democratic", "Republican", "Independent" or another free-form name) carries a name a consumer can read. The
 * three-letter codes are North Carolina's `party_cd` (DEM, REP, LIB, GRE, CST, UNA; docs/exports.md says where each
 * was checked); the one-letter ones are those of NationBuilder's party field and single-letter state files.
 * An unknown code is kept as it is: a free-form value is still valid OSDI, and a guess would not be.
 */
const PARTY_NAMES: Record<string, string> = {
  DEM: 'Democratic',
  REP: 'Republican',
  LIB: 'Libertarian',
  GRE: 'Green',
  CST: 'Constitution',
  UNA: 'Unaffiliated',
  D: 'Democratic',
  R: 'Republican',
  L: 'Libertarian',
  G: 'Green',
  I: 'Independent',
};

/** `DEM` → `Democratic`; an unknown code unchanged. */
export function partyName(code: string): string {
  return PARTY_NAMES[code.trim().toUpperCase()] ?? code.trim();
}
