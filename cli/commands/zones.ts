import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import type { Config } from '../../config.js';
import { EXPORT_PURPOSES } from '../../domain/merge/restricted-fields.js';
import {
  BoundariesError,
  checkBoundariesSize,
  DEFAULT_BOUNDARY_ID,
  parseBoundaries,
  type ZoneFeature,
} from '../../domain/zones/boundaries.js';
import { defaultMapIndex, renderZoneReport } from '../../domain/zones/render.js';
import { ZoneElectionError } from '../../domain/zones/zone-counts.js';
import { ZONE_FORMATS, type ZoneFormat } from '../../domain/zones/zone-export.js';
import { MAP_INDEXES, type MapIndex } from '../../domain/zones/zone-map.js';
import { ZONE_RANKINGS } from '../../domain/zones/zone-report.js';
import { readDevStackInfo } from '../../dev/dev-stack-file.js';
import { AUDIT_ACTOR_HEADER, cliActor } from '../../store/audit-actors.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openStore } from '../../store/open-store.js';
import { SegmentFilterError } from '../../store/segments.js';
import { loadAuditedZoneReport, type LoadedZoneReport, type ZoneReportRequest } from '../../store/zone-report.js';
import { parseZoneRequest, ZONE_DEFAULTS, ZoneRequestError, type ZoneRequestInput } from '../../store/zone-request.js';
import { ZoneLevelError } from '../../store/zones.js';
import type { CliContext } from '../context.js';
import { CommandError } from './command-error.js';
import { writeOut } from './segment.js';

export interface ZonesCommandOptions extends ZoneRequestInput {
  where: string[];
  format: ZoneFormat;
  out?: string;
  boundaries?: string;
  boundaryId: string;
  colorBy?: MapIndex;
  actor?: string;
}

/** A bad option, filter, election or boundaries file: one line naming it. */
function asCommandError(err: unknown): unknown {
  if (err instanceof SegmentFilterError) return new CommandError(`zones: ${err.message}`);
  if (
    err instanceof ZoneRequestError ||
    err instanceof ZoneElectionError ||
    err instanceof ZoneLevelError ||
    err instanceof BoundariesError
  )
    return new CommandError(`zones: ${err.message}`);
  return err;
}

/** The query string of `GET /v1/zones` for these options (format `json`: the CLI renders). */
export function zonesApiPath(options: ZonesCommandOptions): string {
  const params = new URLSearchParams();
  for (const expression of options.where) params.append('where', expression);
  const pairs: Array<[string, string | number | undefined]> = [
    ['zone', options.zone],
    ['election', options.election],
    ['elections', options.elections],
    ['minVoters', options.minVoters],
    ['party', options.party],
    ['rank', options.rank],
    ['purpose', options.purpose],
  ];
  for (const [key, value] of pairs) if (value !== undefined) params.set(key, String(value));
  params.set('format', 'json');
  return `/v1/zones?${params.toString()}`;
}

/** Through the running `enrich dev`, which holds the embedded database. */
async function loadThroughApi(apiUrl: string, apiToken: string, options: ZonesCommandOptions) {
  const response = await fetch(`${apiUrl}${zonesApiPath(options)}`, {
    headers: { authorization: `Bearer ${apiToken}`, [AUDIT_ACTOR_HEADER]: cliActor(options.actor) },
  });
  if (response.status === 400) {
    const body = (await response.json()) as { error?: string; issues?: Array<{ expression: string; message: string }> };
    const message = body.issues?.length ? new SegmentFilterError(body.issues).message : (body.error ?? 'bad request');
    throw new CommandError(`zones: ${message}`);
  }
  if (!response.ok) throw new CommandError(`zones: the dev stack's API answered HTTP ${response.status}`);
  return (await response.json()) as LoadedZoneReport;
}

async function loadReport(config: Config, request: ZoneReportRequest, options: ZonesCommandOptions) {
  if (!config.database.url) {
    const dev = await readDevStackInfo(config.database.pgliteDir);
    if (dev) return loadThroughApi(dev.apiUrl, dev.apiToken, options);
    if (!existsSync(config.database.pgliteDir))
      throw new CommandError('zones: no database yet; import a voter file with enrich voters import --history');
  }
  const database = await openStore(config, undefined, 2);
  try {
    if (database.embedded) await migrateToLatest(database.db);
    return await loadAuditedZoneReport(database.db, request, {
      actor: cliActor(options.actor),
      format: options.format,
    });
  } finally {
    await database.close();
  }
}

/** Says before anything is read from the database whether the boundaries file exists and is of a size to read. */
async function checkBoundariesFile(file: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new BoundariesError(`--boundaries ${basename(file)}: cannot be read (${code})`);
  }
  checkBoundariesSize(basename(file), size);
}

async function readBoundaries(file: string, idProperty: string, zoneIds: ReadonlySet<string>): Promise<ZoneFeature[]> {
  return parseBoundaries(basename(file), await readFile(file, 'utf8'), idProperty, zoneIds);
}

/**
 * `enrich zones`: the zone report (docs/zones.md) as CSV, JSONL or a self-contained HTML page with a map, to `--out`
 * or stdout; audited. Returns how many rows.
 */
export async function runZones(config: Config, options: ZonesCommandOptions): Promise<number> {
  try {
    if (options.boundaries && options.format !== 'html')
      throw new ZoneRequestError('--boundaries draws the map of --format html');
    const wantsPoints = options.format === 'html' && !options.boundaries;
    const request = parseZoneRequest(options, wantsPoints);
    if (options.boundaries) await checkBoundariesFile(options.boundaries);
    const loaded = await loadReport(config, request, options);
    const zoneIds = new Set(loaded.report.rows.filter((r) => r.zones === 1).map((r) => r.zone));
    const features = options.boundaries
      ? await readBoundaries(options.boundaries, options.boundaryId, zoneIds)
      : undefined;
    const body = renderZoneReport(loaded.report, options.format, {
      features,
      points: loaded.points,
      index: options.colorBy ?? defaultMapIndex(loaded.report.rank),
      generatedAt: new Date().toISOString(),
    });
    await writeOut(Readable.from([body]), options.out);
    return loaded.report.rows.length;
  } catch (err) {
    throw asCommandError(err);
  }
}

const collect = (expr: string, previous: string[]) => [...previous, expr];

/** `enrich zones`: see {@link runZones}; with --out, says on stderr how many rows were written. */
export function register(program: Command, context: CliContext): void {
  program
    .command('zones')
    .description('turnout, abstention, party shares and supporters per precinct or district, ranked, with a map')
    .option(
      '--zone <level>',
      'precinct, county, or a district of the voter file (congressional, stateHouse, …)',
      ZONE_DEFAULTS.zone,
    )
    .option(
      '--where <expr>',
      'count only the supporters matching it (segment filters), repeatable',
      collect,
      [] as string[],
    )
    .option('--election <date|label>', 'the election whose turnout is shown (default: the newest general)')
    .option('--elections <n>', 'how many of the newest elections the average covers (default 4, or all when fewer)')
    .option(
      '--min-voters <k>',
      'zones under k registered voters are merged into one row, or withheld',
      String(ZONE_DEFAULTS.minVoters),
    )
    .option('--party <code>', "the candidate's party (favourability; default: the commonest among matched supporters)")
    .addOption(new Option('--rank <order>', 'row order').choices(ZONE_RANKINGS).default(ZONE_DEFAULTS.rank))
    .addOption(new Option('--format <format>', 'output format').choices(ZONE_FORMATS).default('csv'))
    .option('--boundaries <file.geojson>', 'zone boundaries for the HTML map (a GeoJSON FeatureCollection)')
    .option('--boundary-id <property>', "the features' property holding the zone id", DEFAULT_BOUNDARY_ID)
    .addOption(new Option('--color-by <index>', 'the index the map colours').choices(MAP_INDEXES))
    .addOption(
      new Option('--purpose <purpose>', 'research also filters on FEC data')
        .choices(EXPORT_PURPOSES)
        .default('outreach'),
    )
    .option('--out <file>', 'write there instead of stdout')
    .option('--actor <name>', 'who asks, for the audit log (default cli:<OS user>)')
    .action(async (opts: ZonesCommandOptions) => {
      const rows = await runZones(context.config, opts);
      if (opts.out) process.stderr.write(`zones: ${rows} row${rows === 1 ? '' : 's'} written to ${opts.out}\n`);
    });
}
