// Regenerates the README's pictures: `npx tsx test/web/screenshots.ts` writes docs/img/*.png —
// each figure kind from runs of the desktop engine, and the live page mid-run (needs chromium).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { autoFigure } from '../../host/plot/figures.ts';
import { svgToPng } from '../../host/plot/files.ts';
import { runsFromRecords } from '../../host/plot/runs.ts';
import { startDashboard } from '../../host/web/server.ts';
import type { OptimizerName } from '../../shared/config.ts';
import { toRecords, trainLines, walkLines } from '../plot/records.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';
import { trainInto, walkInto } from './live.ts';

const OUT = new URL('../../docs/img/', import.meta.url);
mkdirSync(OUT, { recursive: true });
const save = (name: string, png: Buffer) => {
  writeFileSync(new URL(name, OUT), png);
  console.log(`docs/img/${name}`);
};
const figure = (name: string, lines: string[][], log = false) => save(name, svgToPng(autoFigure(lines.flatMap((l, i) => runsFromRecords(toRecords(l), `run${i}`)), { log }).svg));

figure('figure-cost.png', [trainLines({ optimizer: 'sgd', lr: 0.02, epochs: 100, valSplit: 0.25 })]);
const optimizers: OptimizerName[] = ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adadelta', 'adam'];
figure('figure-compare.png', optimizers.map((o) => trainLines({ optimizer: o, lr: o === 'adadelta' ? 1 : 0.02, epochs: 200, valSplit: 0.25 })), true);
figure('figure-path.png', [walkLines({ fn: 'rosenbrock', optimizer: 'momentum' }), walkLines({ fn: 'rosenbrock', optimizer: 'nesterov' }), walkLines({ fn: 'rosenbrock', optimizer: 'adam' })]);
figure('figure-curve.png', [walkLines({ fn: 'quadratic', optimizer: 'sgd' })]);

if (!existsSync(CHROMIUM)) {
  console.warn(`${CHROMIUM} is missing: no screenshots of the page (apt-get install -y chromium)`);
  process.exit(0);
}
const browser = await launchChromium();
const page = await browser.context.newPage();
await page.setViewportSize({ width: 1600, height: 1000 });

const dash = await startDashboard({ title: 'pico-trainer — live', control: { pause() {}, resume() {}, stop() {} } });
await page.goto(dash.url);
const feed = trainInto(dash, { optimizer: 'adam', lr: 0.005, batch: 4, shuffle: true, epochs: 2000, valSplit: 0.25 }, 400);
await page.click('#scale'); // the log scale shows the whole descent
await page.waitForFunction(() => Number(document.body.dataset.points) >= 1200, undefined, { timeout: 60_000 });
save('dashboard.png', await page.screenshot({ fullPage: true }));
feed.stop();
await dash.close();

const walks = await startDashboard({ title: 'pico-trainer — descent paths' });
await page.goto(walks.url);
await walkInto(walks, { fn: 'ravine', optimizer: 'sgd' }, 400).finished;
const last = walkInto(walks, { fn: 'ravine', optimizer: 'momentum', lr: 0.05 }, 100);
await page.waitForFunction(() => Number(document.body.dataset.steps) >= 101 + 60, undefined, { timeout: 60_000 });
save('dashboard-walk.png', await page.screenshot());
last.stop();
await walks.close();
await browser.close();
