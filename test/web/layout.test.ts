// What the class sees on the projector: both charts in view at 1280×720, epoch labels that never run
// together however long the run, and the loss on a log scale when the command had --log.

import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../host/web/server.ts';
import { webSinks } from '../../host/web/sinks.ts';
import { compactNumber } from '../../host/web/client/format.ts';
import type { ProtocolRecord } from '../../shared/protocol.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';
import { trainInto, type Feed } from './live.ts';
import { toRecords, trainLines } from '../plot/records.ts';

const hasChromium = existsSync(CHROMIUM);

interface Api {
  logScale(): boolean;
  epochLabels(which: 'loss' | 'params'): { label: string; left: number; right: number }[];
}

describe('compact epoch labels', () => {
  it('abbreviates thousands and millions, with the decimals the tick step needs', () => {
    expect(compactNumber(0, 2000, 10_000)).toBe('0');
    expect(compactNumber(950, 50)).toBe('950');
    expect(compactNumber(9500, 500)).toBe('9500');
    expect(compactNumber(12_000, 2000)).toBe('12k');
    expect(compactNumber(12_500, 2500)).toBe('12.5k');
    expect(compactNumber(5000, 5000, 15_000)).toBe('5k'); // one unit along the axis
    expect(compactNumber(1_200_000, 200_000)).toBe('1.2M');
    expect(compactNumber(1_250_000, 250_000)).toBe('1.25M');
    expect(compactNumber(3_000_000_000, 1e9)).toBe('3G');
  });
});

describe('--log reaches the page', () => {
  it('webSinks puts the command\'s --log into the page it serves', async () => {
    for (const log of [true, false]) {
      let said = '';
      const saved = process.stderr.write;
      process.stderr.write = ((chunk: string) => ((said += chunk), true)) as typeof process.stderr.write;
      let web: Awaited<ReturnType<typeof webSinks>>;
      try {
        web = await webSinks({ web: true, log }, []);
      } finally {
        process.stderr.write = saved;
      }
      try {
        const url = /live dashboard: (\S+)/.exec(said)![1];
        const html = await (await fetch(url)).text();
        const config = JSON.parse(/<script id="config" type="application\/json">([^<]*)<\/script>/.exec(html)![1]) as { log: boolean };
        expect(config.log).toBe(log);
      } finally {
        await web.close();
      }
    }
  });
});

describe.skipIf(!hasChromium)('the page on a projector (chromium)', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const closers: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await browser?.close();
  });

  async function open(dash: Dashboard, width: number, height: number): Promise<Page> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    closers.push(() => expect(errors).toEqual([]));
    await page.setViewportSize({ width, height });
    await page.goto(dash.url);
    return page;
  }

  it('shows the loss and the w/b charts without scrolling at 1280×720', async () => {
    const dash = await startDashboard({ title: 'pico-trainer — a long title for the projector', control: { pause() {}, resume() {}, stop() {} } });
    closers.push(() => dash.close());
    const feed: Feed = trainInto(dash, { optimizer: 'adam', lr: 0.05, epochs: 1_000_000, valSplit: 0.25 }, 2000);
    closers.push(() => feed.stop());
    const page = await open(dash, 1280, 720);
    await page.waitForFunction(() => Number(document.body.dataset.points) > 300, undefined, { timeout: 30_000 });
    // Let a frame or two settle the sizes.
    await page.waitForTimeout(300);
    for (const id of ['#loss-chart', '#params-chart']) {
      const box = await page.locator(`${id} .uplot`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(1280);
      expect(box!.y + box!.height, `${id} ends below the fold`).toBeLessThanOrEqual(720);
      // And a chart worth the name, not a sliver.
      expect(box!.height).toBeGreaterThan(200);
      expect(box!.width).toBeGreaterThan(300);
    }
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight)).toBeLessThanOrEqual(720);
    await page.close();
  });

  it('keeps the epoch labels apart up to 1.5 million epochs, at 1280×720 and 1600×1000', async () => {
    const dash = await startDashboard({ title: 'long run' });
    closers.push(() => dash.close());
    // A run of 300 epoch records renumbered to reach 1.5M epochs: what a long board run sends, thinned.
    const records = toRecords(trainLines({ optimizer: 'sgd', lr: 0.02, epochs: 300, valSplit: 0.25 }));
    for (const r of records) {
      if (r.type === 'start') r.config.epochs = 1_500_000;
      if (r.type === 'epoch' || r.type === 'done') (r as { epoch: number }).epoch *= 5000;
    }
    const push = (rs: ProtocolRecord[]) => rs.forEach((r) => dash.push(r));
    // The first records alone (epochs up to 10,000, where the labels used to collide), then all of them.
    push(records.filter((r) => r.type === 'start' || (r.type === 'epoch' && r.epoch <= 10_000)));
    for (const [width, height] of [
      [1280, 720],
      [1600, 1000],
    ] as const) {
      const page = await open(dash, width, height);
      await page.waitForFunction(() => Number(document.body.dataset.points) > 0);
      await expectApart(page);
      await page.close();
    }
    push(records.filter((r) => !(r.type === 'start' || (r.type === 'epoch' && r.epoch <= 10_000))));
    for (const [width, height] of [
      [1280, 720],
      [1600, 1000],
      [900, 700],
    ] as const) {
      const page = await open(dash, width, height);
      await page.waitForFunction(() => Number(document.body.dataset.points) === 301);
      const labels = await expectApart(page);
      expect(labels.some((l) => /M$/.test(l))).toBe(true);
      expect(labels.every((l) => l.length <= 6)).toBe(true);
      await page.close();
    }
  });

  async function expectApart(page: Page): Promise<string[]> {
    await page.waitForTimeout(200);
    const all: string[] = [];
    for (const which of ['loss', 'params'] as const) {
      const boxes = await page.evaluate((w) => (window as unknown as { dashboard: Api }).dashboard.epochLabels(w), which);
      expect(boxes.length, which).toBeGreaterThanOrEqual(2);
      expect(new Set(boxes.map((b) => b.label)).size).toBe(boxes.length);
      for (let i = 1; i < boxes.length; i++) expect(boxes[i].left - boxes[i - 1].right, `${boxes[i - 1].label} | ${boxes[i].label}`).toBeGreaterThanOrEqual(8);
      all.push(...boxes.map((b) => b.label));
    }
    return all;
  }

  it('starts the loss chart on a log scale when the command had --log, and on a linear one without', async () => {
    for (const log of [true, false]) {
      const dash = await startDashboard({ title: 'log', log });
      closers.push(() => dash.close());
      for (const r of toRecords(trainLines({ optimizer: 'sgd', lr: 0.02, epochs: 50 }))) dash.push(r);
      const page = await open(dash, 1280, 720);
      await page.waitForFunction(() => Number(document.body.dataset.points) === 51);
      expect(await page.evaluate(() => (window as unknown as { dashboard: Api }).dashboard.logScale())).toBe(log);
      expect(await page.locator('#scale').getAttribute('aria-pressed')).toBe(String(log));
      await page.close();
    }
  });
});
