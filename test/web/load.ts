// Measures the dashboard under load: `npx tsx test/web/load.ts [history]`. Fills the server with
// `history` epoch records (default 1,000,000), opens the page, then streams 2,000 records/s for
// 5 s and prints how long the snapshot took to draw, redraw times, how far the page lagged and memory.

import type { Page } from 'playwright-core';
import type { EpochRecord } from '../../shared/protocol.ts';
import { startDashboard } from '../../host/web/server.ts';
import { launchChromium } from './chromium.ts';

const history = Number(process.argv[2] || 1_000_000);
const dash = await startDashboard({ title: 'load' });
const rec = (e: number): EpochRecord => ({ type: 'epoch', epoch: e, w: [2 + 1 / (e + 1)], b: 1 - 1 / (e + 2), loss: 1 / (e + 1), val_loss: 1.1 / (e + 1), lr: 0.01 });
let e = 0;
const t0 = performance.now();
for (; e < history; e++) dash.push(rec(e));
console.log(`server: ${history} records pushed in ${(performance.now() - t0).toFixed(0)} ms; kept ${dash.store.size} points; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);

const browser = await launchChromium();
const page: Page = await browser.context.newPage();
const t1 = performance.now();
await page.goto(dash.url);
await page.waitForFunction(() => Number(document.body.dataset.points) > 0, undefined, { timeout: 120_000 });
console.log(`page: snapshot of ${await page.evaluate(() => document.body.dataset.points)} points drawn ${(performance.now() - t1).toFixed(0)} ms after opening`);

const renders: number[] = [];
const lags: number[] = [];
const start = Date.now();
const timer = setInterval(() => {
  const due = history + ((Date.now() - start) / 1000) * 2000;
  while (e < due) dash.push(rec(e++));
}, 10);
for (let i = 0; i < 10; i++) {
  await new Promise((r) => setTimeout(r, 500));
  const [ms, seen] = await page.evaluate(() => [Number(document.body.dataset.renderMs), Number(document.body.dataset.records)]);
  renders.push(ms);
  lags.push(dash.store.records - seen);
}
clearInterval(timer);
await page.waitForFunction((n) => Number(document.body.dataset.records) === n, dash.store.records, { timeout: 60_000 });
const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
renders.sort((a, b) => a - b);
console.log(`streaming 2000 records/s for 5 s: redraw median ${renders[5]} ms, max ${renders[9]} ms; page behind by at most ${Math.max(...lags)} records, caught up to all ${dash.store.records}`);
console.log(`page JS heap ${(heap / 2 ** 20).toFixed(0)} MiB; server rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, ${dash.store.size} points kept`);
await browser.close();
await dash.close();
