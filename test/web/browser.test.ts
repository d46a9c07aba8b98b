// The dashboard in a real browser: Debian's chromium driven by playwright-core. The desktop engine
// trains into the dashboard at 2,000 records/s as a board would; the page must plot live, survive a
// reload, serve two tabs, and turn its buttons into control calls.

import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../host/web/server.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';
import { trainInto, walkInto, type Feed } from './live.ts';
import { trainLines } from '../plot/records.ts';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! SKIPPING the dashboard browser tests: ${CHROMIUM} is not installed.\n!! Install it with: apt-get install -y chromium   (.ci/run does this on CI)\n${line}\n`);
}

const num = (page: Page, attr: string) => page.evaluate((a) => Number(document.body.dataset[a] || 0), attr);
/** Waits (no deadline of its own beyond the test's) until the page's counter passes `min`. */
const waitAbove = (page: Page, attr: string, min: number) => page.waitForFunction(([a, m]) => Number(document.body.dataset[a as string] || 0) > (m as number), [attr, min], { timeout: 30_000 });

describe.skipIf(!hasChromium)('dashboard in chromium', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let dash: Dashboard;
  let feed: Feed;
  /** The tab the tests go on using after the first one. */
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    let ctl: Feed | null = null;
    dash = await startDashboard({ title: 'Browser test', control: { pause: () => ctl!.pause(), resume: () => ctl!.resume(), stop: () => ctl!.stop() } });
    // Long enough that it only ends when Stop is pressed.
    feed = ctl = trainInto(dash, { optimizer: 'adam', lr: 0.05, epochs: 1_000_000, valSplit: 0.25 }, 2000);
  });
  afterAll(async () => {
    feed?.stop();
    await dash?.close();
    await browser?.close();
  });

  it('plots the loss live, keeps it through a reload, and shows it in a second tab', async () => {
    page = await browser.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dash.url);
    await waitAbove(page, 'points', 0);
    const before = await num(page, 'points');
    await waitAbove(page, 'points', before + 200);
    expect(await page.locator('#state').getAttribute('data-state')).toBe('training');
    expect(await page.locator('#settings').textContent()).toContain('adam');
    expect(await page.locator('#counter').textContent()).toMatch(/^\d+ \/ 1000000$/);
    // The uPlot instance holds what the attribute says.
    expect(await page.evaluate(() => (window as unknown as { dashboard: { lossPoints(): number } }).dashboard.lossPoints())).toBeGreaterThan(before + 200);

    const beforeReload = await num(page, 'points');
    await page.reload();
    await waitAbove(page, 'points', 0);
    const firstEpoch = await page.evaluate(() => (window as unknown as { dashboard: { store(): { runs: { track: { cols: number[][] } }[] } } }).dashboard.store().runs[0].track.cols[0][0]);
    expect(firstEpoch).toBe(0); // the history from epoch 0, not only what came after the reload
    expect(await num(page, 'points')).toBeGreaterThanOrEqual(beforeReload);

    const second = await browser.context.newPage();
    second.on('pageerror', (e) => errors.push(e.message));
    await second.goto(dash.url);
    await waitAbove(second, 'points', 0);
    const p2 = await num(second, 'points');
    await waitAbove(second, 'points', p2 + 100);
    await waitAbove(page, 'points', p2 + 100); // the first tab goes on too
    await second.close();
  });

  it('switches the loss axis to a log scale and back', async () => {
    await page.click('#scale');
    await page.waitForFunction(() => document.querySelector('#scale')!.getAttribute('aria-pressed') === 'true');
    expect(await page.evaluate(() => (window as unknown as { dashboard: { logScale(): boolean } }).dashboard.logScale())).toBe(true);
    const p = await num(page, 'points');
    await waitAbove(page, 'points', p + 50);
    await page.click('#scale');
    await page.waitForFunction(() => document.querySelector('#scale')!.getAttribute('aria-pressed') === 'false');
  });

  it('pauses, resumes and stops the run from the buttons', async () => {
    await page.click('#pause');
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-state') === 'paused');
    await page.click('#resume');
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-state') === 'training');
    await page.click('#stop');
    await feed.finished; // the engine printed its done record
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-state') === 'stopped');
    expect(feed.calls).toEqual(['pause', 'resume', 'stop']);
    // Nothing lost on the way at 2,000 records/s: the page has seen every record the server got.
    await page.waitForFunction((n) => Number(document.body.dataset.records) === n, dash.store.records);
    expect(errors).toEqual([]);
  });

  it('overlays the runs that follow, one colour per optimizer', async () => {
    for (const line of trainLines({ optimizer: 'sgd', lr: 0.02, epochs: 50 })) dash.push(line);
    await page.waitForFunction(() => (window as unknown as { dashboard: { lossSeries(): string[] } }).dashboard.lossSeries().length === 3);
    expect(await page.evaluate(() => (window as unknown as { dashboard: { lossSeries(): string[] } }).dashboard.lossSeries())).toEqual(['adam', 'adam (val)', 'sgd']);
    expect(await page.locator('#counter').textContent()).toBe('50 / 50');
    expect(await page.locator('#state').getAttribute('data-state')).toBe('done');
  });

  it('draws descent paths over the contours as the walk goes', async () => {
    for (const optimizer of ['momentum', 'adam'] as const) await walkInto(dash, { fn: 'rosenbrock', optimizer, steps: 200 }, 2000).finished;
    await page.waitForFunction(() => Number(document.body.dataset.steps) === 402);
    const view = page.locator('#walk-view');
    expect(await view.locator('g.walk').count()).toBe(2);
    expect(await view.locator('path.contour').count()).toBeGreaterThan(8);
    expect(await view.locator('g.legend .entry').allTextContents()).toEqual(['momentum', 'adam']);
    expect(await page.locator('#counter-label').textContent()).toBe('step');
  });
});
