/**
 * `npx tsx scripts/zones-screenshot.ts zones.html [docs/images/zones.png]`: opens a zone report (`enrich zones
 * --format html`) in headless Chromium — Debian's `chromium` (`apt-get install chromium`), or CHROME_PATH — with
 * the network cut off, checks what a reader sees (one shape per zone of the map, the legend, the ranked table, both
 * charts, and no request leaving the page), and saves a screenshot of the map and the top of the table (the README's
 * picture). Exits 1 naming what is missing. Not part of the test suite: vitest checks the SVG's structure
 * (tests/unit/zone-html.test.ts); this checks it renders.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const [input, output = 'docs/images/zones.png'] = process.argv.slice(2);
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';
if (!input) {
  process.stderr.write('usage: npx tsx scripts/zones-screenshot.ts zones.html [out.png]\n');
  process.exit(1);
}
if (!existsSync(CHROME)) {
  process.stderr.write(`zones-screenshot: no Chromium at ${CHROME}; apt-get install chromium, or set CHROME_PATH\n`);
  process.exit(1);
}

const browser = await puppeteer.launch({ executablePath: CHROME, args: ['--no-sandbox'], headless: true });
try {
  const page = await browser.newPage();
  const outside: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url().startsWith('file:')) return void request.continue();
    outside.push(request.url());
    void request.abort();
  });
  await page.setViewport({ width: 1150, height: 1100, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(resolve(input)).href, { waitUntil: 'load' });
  const count = async (selector: string) => (await page.$$(selector)).length;
  // a shape counts when the browser laid it out with an area
  const boxes = await Promise.all(
    (await page.$$('svg.zone-map path.zone, svg.zone-map circle.supporter')).map((shape) => shape.boundingBox()),
  );
  const seen = {
    shapes: boxes.filter((box) => box !== null && box.width > 0 && box.height > 0).length,
    legend: await count('svg.zone-map g.legend rect'),
    rows: await count('table.zones tbody tr'),
    charts: await count('svg.chart'),
  };
  const problems = [
    seen.shapes === 0 ? 'the map draws nothing' : '',
    seen.legend < 2 ? 'the map has no legend' : '',
    seen.rows === 0 ? 'the table has no rows' : '',
    seen.charts !== 2 ? `${seen.charts} charts instead of 2` : '',
    outside.length ? `the page asked for ${outside[0]}` : '',
  ].filter(Boolean);
  if (problems.length) {
    process.stderr.write(`zones-screenshot: ${problems.join('; ')}\n`);
    process.exitCode = 1;
  } else {
    await page.screenshot({ path: output, clip: { x: 0, y: 0, width: 1150, height: 1100 } });
    process.stdout.write(`ok: ${seen.shapes} shapes drawn, a legend, ${seen.rows} rows, 2 charts; ${output}\n`);
  }
} finally {
  await browser.close();
}
