import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BoundariesError, parseBoundaries } from '../../domain/zones/boundaries.js';
import { renderZoneReport } from '../../domain/zones/render.js';
import { buildZoneReport } from '../../domain/zones/zone-report.js';
import { choroplethSvg } from '../../domain/zones/zone-map.js';

/** Four zones of 100–200 voters and a small one, with invented counts. */
function report() {
  const zones = ['DURHAM:01', 'DURHAM:02', 'DURHAM:03', 'DURHAM:04'];
  const parties = zones.flatMap((zone, i) => [
    { zone, party: 'DEM', registered: 60 + 20 * i, votedTarget: 30 + 10 * i, recentVotes: 80 + 20 * i },
    { zone, party: 'REP', registered: 80 - 10 * i, votedTarget: 40, recentVotes: 100 },
  ]);
  parties.push({ zone: 'DURHAM:05', party: 'DEM', registered: 9, votedTarget: 3, recentVotes: 6 });
  const supporters = zones.map((zone, i) => ({
    zone,
    supporters: 2 + i,
    matched: 1 + i,
    matchedVotedTarget: i,
    matchedRecentVotes: i,
  }));
  const election = { position: 0, date: '2024-11-05', election: '11/05/2024 GENERAL', general: true };
  return buildZoneReport(parties, supporters, new Map([['DEM', 3]]), {
    level: 'precinct',
    elections: { target: election, recent: [election] },
    minVoters: 50,
    rank: 'canvass',
  });
}

const square = (zone: string, i: number, clockwise: boolean) => {
  const ring: Array<[number, number]> = [
    [-78.9 + i * 0.01, 36],
    [-78.89 + i * 0.01, 36],
    [-78.89 + i * 0.01, 36.01],
    [-78.9 + i * 0.01, 36.01],
    [-78.9 + i * 0.01, 36],
  ];
  return {
    type: 'Feature' as const,
    properties: { zone },
    geometry: { type: 'Polygon' as const, coordinates: [clockwise ? [...ring].reverse() : ring] },
  };
};

/** Every number of a path's `d`, as [x, y] pairs. */
const pathPoints = (d: string) => {
  const numbers = d.match(/-?\d+(\.\d+)?/g)!.map(Number);
  return Array.from({ length: numbers.length / 2 }, (_, i) => [numbers[2 * i]!, numbers[2 * i + 1]!]);
};

describe('the zone report page', () => {
  it('draws one shape per zone inside the map, whichever way the rings turn, and a legend', () => {
    const features = ['DURHAM:01', 'DURHAM:02', 'DURHAM:03', 'DURHAM:05'].map((zone, i) => ({
      zone,
      feature: square(zone, i, i % 2 === 0),
    }));
    const svg = choroplethSvg(features, report().rows, 'canvass', 50);
    const shapes = [...svg.matchAll(/<path class="zone" data-zone="([^"]+)" d="([^"]+)" fill="([^"]+)"/g)];
    expect(shapes.map((s) => s[1])).toEqual(['DURHAM:01', 'DURHAM:02', 'DURHAM:03', 'DURHAM:05']);
    for (const [, , d] of shapes) {
      // four equal squares side by side fill the map's width: each about a quarter of it (a ring read the wrong way
      // round would be the whole globe, and the others specks)
      const xs = pathPoints(d!).map(([x]) => x!);
      expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(150);
      expect(Math.max(...xs) - Math.min(...xs)).toBeLessThan(200);
      for (const [x, y] of pathPoints(d!)) {
        expect(x).toBeGreaterThanOrEqual(-1);
        expect(x).toBeLessThanOrEqual(721);
        expect(y).toBeGreaterThanOrEqual(-1);
        expect(y).toBeLessThanOrEqual(481);
      }
    }
    // DURHAM:05 has 9 voters: no row of its own, grey; the others coloured, the best canvass score greenest
    expect(shapes.map((s) => s[3] === '#d9d9d9')).toEqual([false, false, false, true]);
    expect(svg).toMatch(/<g class="legend"[\s\S]*<linearGradient id="ramp">(<stop [^>]+>){11}<\/linearGradient>/);
    expect(svg).toContain('under 50 voters (merged or withheld)');
  });

  it('is one self-contained page: the table, both charts and the map, nothing fetched', async () => {
    const boundaries = await readFile('demo/data/demo-precincts.geojson', 'utf8');
    const r = report();
    const features = parseBoundaries('demo-precincts.geojson', boundaries, 'zone', new Set(r.rows.map((x) => x.zone)));
    const html = renderZoneReport(r, 'html', { features, points: [], index: 'canvass', generatedAt: 'now' });
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect([...html.matchAll(/<path class="zone"/g)]).toHaveLength(25);
    expect([...html.matchAll(/<tr class="zone-row"/g)]).toHaveLength(4);
    expect([...html.matchAll(/<tr class="merged"/g)]).toHaveLength(0);
    expect(html).toContain('<svg class="chart turnout-chart"');
    expect(html).toContain('<svg class="chart party-chart"');
    expect([...html.matchAll(/<g class="bar" data-zone=/g)]).toHaveLength(8);
  });

  it('escapes zone ids and party codes from the voter file', () => {
    const r = report();
    const row = { ...r.rows[0]!, zone: '<img src=x onerror=alert(1)>', partyShares: { '"><b>': 1 } };
    const html = renderZoneReport({ ...r, rows: [row] }, 'html', { points: [], index: 'canvass', generatedAt: 'now' });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('"><b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('refuses a file that is not GeoJSON, or whose ids match no zone, naming the problem', () => {
    const ids = new Set(['DURHAM:01']);
    expect(() => parseBoundaries('a.geojson', '{"type":"Topology"}', 'zone', ids)).toThrow(
      /^--boundaries a\.geojson: not GeoJSON, expected a FeatureCollection/,
    );
    const other = JSON.stringify({ type: 'FeatureCollection', features: [square('WAKE:01', 0, true)] });
    expect(() => parseBoundaries('b.geojson', other, 'zone', ids)).toThrow(BoundariesError);
    expect(() => parseBoundaries('b.geojson', other, 'zone', ids)).toThrow(/its values look like WAKE:01/);
  });
});
