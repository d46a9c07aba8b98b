// The live page of a parallel run (`host distributed --web`): the store counts the update records
// (never keeps them), the server sends the pages their summary instead of the records, each worker's
// state comes from the records alone, and in chromium the page of a simulated-cluster run shows the
// global curve over the 4 workers', the pushes per second and the staleness, all in 1280×720.
//
// PICO_TRAINER_SCREENSHOTS=1 npx vitest run test/web/parallel-page.test.ts  rewrites
// docs/img/distributed.png (the README's picture); without it the screenshot goes to a temporary folder.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, type ProtocolRecord, type StartRecord, type UpdateRecord, type WorkerRecord } from '../../shared/protocol.ts';
import { resolveParallelRun } from '../../host/parallel/cli-options.ts';
import { parallelData, runParallel } from '../../host/parallel/run.ts';
import { fmtRate, fmtStale, headline, parallelLoss, workerStates, workerViews, type ParallelTrack } from '../../host/web/client/parallel.ts';
import { startDashboard, type Dashboard } from '../../host/web/server.ts';
import { RECENT_UPDATES, RecordStore, type ParallelState, type TrainTrack } from '../../host/web/store.ts';
import { hostInBackground, ROOT, type Running } from '../e2e/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';

const hasChromium = existsSync(CHROMIUM);
const TWO_FEATURES = 'test/fixtures/data/two-features.csv';
const dir = tempDir('pico-parallel-page-');
const SCREENSHOT = process.env.PICO_TRAINER_SCREENSHOTS === '1' ? join(ROOT, 'docs/img/distributed.png') : join(dir, 'distributed.png');

/** The records of a run of the simulated cluster (or threads), as `host distributed` makes them. */
async function parallelRecords(algorithm: string, opts: Record<string, string>, threads?: number): Promise<ProtocolRecord[]> {
  const { data } = parallelData({ data: join(ROOT, TWO_FEATURES) });
  const { config, parallel } = resolveParallelRun(threads ? { ...opts, workers: String(threads) } : opts, algorithm, data.features, data.rows);
  const out: ProtocolRecord[] = [];
  await runParallel({ data, config, parallel, threads }, (line) => {
    const r = parseRecord(line);
    if (r) out.push(r);
  });
  return out;
}

/** What the page should say about updates `u` (the latest of them, within the window): the store's rule written out again. */
function expectedRecent(u: UpdateRecord[]): { rate: number; mean: number; max: number } {
  const last = u.slice(-RECENT_UPDATES);
  const first = last[0].t;
  const after = last.filter((r) => r.t > first).length;
  return { rate: (after / (last[last.length - 1].t - first)) * 1e6, mean: last.reduce((a, r) => a + r.staleness, 0) / last.length, max: Math.max(...last.map((r) => r.staleness)) };
}

const downpour = { lr: '0.3', localLr: '0.02', epochs: '5' };

describe('a parallel run in the dashboard store', () => {
  it('keeps each worker\'s loss beside the epoch it follows, and counts the update records without keeping them', async () => {
    const recs = await parallelRecords('downpour', downpour);
    const store = new RecordStore(1000);
    for (const r of recs) store.add(r);
    const run = store.current as TrainTrack;
    const epochs = recs.filter((r) => r.type === 'epoch').length;
    const updates = recs.filter((r): r is UpdateRecord => r.type === 'update');
    expect(epochs).toBe(6);
    expect(updates.length).toBe(200);
    // One point per epoch record: the update records are not points.
    expect(store.size).toBe(epochs);
    expect(store.records).toBe(recs.length);
    for (let k = 0; k < 4; k++) {
      const mine = recs.filter((r): r is WorkerRecord => r.type === 'worker' && r.worker === k);
      expect(run.track.col('k' + k)).toEqual(mine.map((r) => r.loss));
    }
    const state = store.parallelState()!;
    expect(state.run).toBe(0);
    const p = state.parallel;
    expect(p.staleness.n).toBe(200);
    expect(p.staleness.sum).toBe(updates.reduce((a, r) => a + r.staleness, 0));
    expect(p.staleness.counts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(p.workers.map((w) => w.pushes)).toEqual([0, 1, 2, 3].map((k) => updates.filter((r) => r.worker === k).length));
    const want = expectedRecent(updates);
    expect(p.recent.rate).toBeCloseTo(want.rate, 6);
    expect(p.recent.mean).toBeCloseTo(want.mean, 9);
    expect(p.recent.max).toBe(want.max);
    // The page's view of it: workers first, thin, then the global curve, bold.
    const { series, data } = parallelLoss(run as ParallelTrack, false);
    expect(series.map((s) => s.label)).toEqual(['worker 1', 'worker 2', 'worker 3', 'worker 4', 'global']);
    expect(series.map((s) => s.width)).toEqual([1.5, 1.5, 1.5, 1.5, 4]);
    expect(data.map((c) => c.length)).toEqual([6, 6, 6, 6, 6, 6]);
    expect(workerStates(run as ParallelTrack)).toEqual(['done', 'done', 'done', 'done']);
  });

  it('stays small and quick under a million update records, measuring the rate over the latest ones', () => {
    const store = new RecordStore(1000);
    const start: StartRecord = { type: 'start', protocol: 3, source: 'cluster', config: {} as StartRecord['config'], samples: 40, features: 1, train: 40, val: 0, parallel: { algorithm: 'downpour', workers: 4 } };
    store.add(start);
    store.add({ type: 'epoch', epoch: 0, w: [1], b: 0, loss: 1, lr: 0.1, version: 0, time_us: 0 });
    const t0 = performance.now();
    const n = 1_000_000;
    // 4 workers, one update every 10 µs (100,000/s), staleness cycling 0..40.
    for (let i = 0; i < n; i++) store.add({ type: 'update', worker: i % 4, t: i * 10, read: i - (i % 41), version: i + 1, staleness: i % 41 });
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(3000);
    const p = store.parallelState()!.parallel;
    expect(store.size).toBe(1);
    expect(p.staleness.n).toBe(n);
    expect(p.staleness.counts.length).toBe(41);
    expect(p.recent.n).toBe(RECENT_UPDATES);
    expect(p.recent.rate).toBeCloseTo(100_000, 6);
    expect(p.recent.max).toBe(40);
    expect(p.workers.map((w) => w.gap)).toEqual([40, 40, 40, 40]);
    // A snapshot carries the counts, not the records.
    expect(JSON.stringify(store.snapshot()).length).toBeLessThan(5000);
  });

  it("takes the server's word for a board that is gone or back (worker_state records), while the run goes on", () => {
    const store = new RecordStore(1000);
    store.add({
      type: 'start',
      protocol: 3,
      source: 'board',
      config: {} as StartRecord['config'],
      samples: 40,
      features: 1,
      train: 40,
      val: 0,
      parallel: { algorithm: 'easgd', workers: 3, round: 1, ports: ['/dev/ttyACM0', '/dev/ttyACM1', '/dev/ttyACM2'] },
    });
    const run = () => store.current as ParallelTrack;
    store.add({ type: 'epoch', epoch: 0, w: [1], b: 0, loss: 1, lr: 0.1, version: 0, time_us: 0 });
    let v = 0;
    for (let s = 1; s <= 3; s++) for (let k = 0; k < 3; k++) store.add({ type: 'update', worker: k, t: s * 1e6 + k, read: v, version: ++v, staleness: 0 });
    store.add({ type: 'worker_state', worker: 1, t: 3.5e6, state: 'gone', message: 'board 2 (/dev/ttyACM1) is gone: unplugged' });
    store.parallelState();
    expect(workerStates(run())).toEqual(['training', 'gone', 'training']);
    store.add({ type: 'worker_state', worker: 1, t: 4e6, state: 'back', message: 'board 2 (/dev/ttyACM1) restarted' });
    store.parallelState();
    expect(workerStates(run())[1]).not.toBe('gone');
  });

  it('gives each worker its state from the records: training, waiting (silent for a while), gone (the lost boards of the done record)', () => {
    const store = new RecordStore(1000);
    const start: StartRecord = {
      type: 'start',
      protocol: 3,
      source: 'board',
      config: {} as StartRecord['config'],
      samples: 40,
      features: 1,
      train: 40,
      val: 0,
      parallel: { algorithm: 'easgd', workers: 4, round: 1, ports: ['/dev/ttyACM0', '/dev/ttyACM1', '/dev/ttyACM2', '/dev/ttyACM3'] },
    };
    store.add(start);
    const run = () => store.current as ParallelTrack;
    store.add({ type: 'epoch', epoch: 0, w: [1], b: 0, loss: 1, lr: 0.1, version: 0, time_us: 0 });
    expect(workerStates(run())).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
    let v = 0;
    const push = (k: number, t: number) => store.add({ type: 'update', worker: k, t, read: v, version: ++v, staleness: 0 });
    // Every board pushes once a second; then board 4 falls silent while the others go on.
    for (let s = 1; s <= 5; s++) for (let k = 0; k < 4; k++) push(k, s * 1e6 + k * 1000);
    store.parallelState();
    expect(workerStates(run())).toEqual(['training', 'training', 'training', 'training']);
    for (let s = 6; s <= 10; s++) for (let k = 0; k < 3; k++) push(k, s * 1e6 + k * 1000);
    store.parallelState();
    const views = workerViews(run());
    expect(views.map((w) => [w.name, w.port, w.state])).toEqual([
      ['board 1', '/dev/ttyACM0', 'training'],
      ['board 2', '/dev/ttyACM1', 'training'],
      ['board 3', '/dev/ttyACM2', 'training'],
      ['board 4', '/dev/ttyACM3', 'waiting'],
    ]);
    expect(views[3].idle).toBe(10e6 + 2000 - (5e6 + 3000));
    expect(views.map((w) => w.pushes)).toEqual([10, 10, 10, 5]);
    // Two boards lost, but only board 4 fell silent (a late board took the other's seat): one is gone.
    const copy = RecordStore.from(store.snapshot(), 1000);
    copy.add({ type: 'done', reason: 'epochs', epoch: 10, w: [2], b: 1, loss: 0.1, counts: { rounds: 35, pushes: 35, fetches: 35, updates: 35, lost_boards: 2, time_us: 10e6 } });
    expect(workerStates(copy.current as ParallelTrack)).toEqual(['done', 'done', 'done', 'gone']);
    store.add({ type: 'done', reason: 'epochs', epoch: 10, w: [2], b: 1, loss: 0.1, counts: { rounds: 35, pushes: 35, fetches: 35, updates: 35, lost_boards: 1, time_us: 10e6 } });
    expect(workerStates(run())).toEqual(['done', 'done', 'done', 'gone']);
    // A run with no lost boards ends with every board done, silent or not.
    store.add({ ...start, parallel: { algorithm: 'easgd', workers: 4 } });
    v = 0;
    for (let s = 1; s <= 10; s++) for (let k = 0; k < (s <= 5 ? 4 : 3); k++) push(k, s * 1e6 + k * 1000);
    expect(workerStates(run())).toEqual(['training', 'training', 'training', 'waiting']);
    expect(workerViews(run())[3].name).toBe('board 4');
    expect(workerViews(run())[3].port).toBeUndefined();
    store.add({ type: 'done', reason: 'epochs', epoch: 10, w: [2], b: 1, loss: 0.1, counts: { lost_boards: 0 } });
    expect(workerStates(run())).toEqual(['done', 'done', 'done', 'done']);
  });

  it('gives a run on threads (no update records) its updates per second from the epoch records', async () => {
    const recs = await parallelRecords('hogwild', { lr: '0.02', epochs: '3' }, 2);
    const store = new RecordStore(1000);
    for (const r of recs.filter((r) => r.type !== 'done')) store.add(r);
    const run = store.current as ParallelTrack;
    const h = headline(run);
    expect(h.updates).toBe(false);
    expect(h.rateLabel).toBe('updates/s');
    expect(h.rate).toBeGreaterThan(0);
    expect(workerStates(run)).toEqual(['training', 'training']);
    expect(parallelLoss(run, false).series.map((s) => s.label)).toEqual(['worker 1', 'worker 2', 'global']);
  });
});

describe('the dashboard server with a parallel run', () => {
  let dash: Dashboard | null = null;
  afterAll(async () => {
    await dash?.close();
  });

  it('sends the pages the epoch and worker records and a summary of the updates, never the update records', async () => {
    dash = await startDashboard({ flushMs: 20 });
    const recs = await parallelRecords('downpour', downpour);
    const ac = new AbortController();
    const res = await fetch(dash.url + 'events', { signal: ac.signal });
    while (dash.clients() === 0) await new Promise((r) => setTimeout(r, 5));
    for (const r of recs) dash.push(r);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    const events: { event: string; data: string }[] = [];
    const last = () => events.filter((e) => e.event === 'updates').map((e) => JSON.parse(e.data) as { run: number; parallel: ParallelState }).pop();
    while (!(last() && last()!.parallel.staleness.n === 200 && events.some((e) => e.event === 'records' && e.data.includes('"done"')))) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined) events.push({ event, data });
      }
    }
    ac.abort();
    const sent = events.filter((e) => e.event === 'records').flatMap((e) => JSON.parse(e.data) as ProtocolRecord[]);
    expect(sent.map((r) => r.type)).toEqual(recs.filter((r) => r.type !== 'update').map((r) => r.type));
    expect(last()!.run).toBe(0);
    expect(last()!.parallel.workers.map((w) => w.pushes).reduce((a, b) => a + b)).toBe(200);
  });
});

describe.skipIf(!hasChromium)('host distributed --web in chromium', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let cli: Running;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await browser?.close();
  });

  it('shows the global loss over the 4 workers\', their states, the pushes per second and the staleness, in 1280×720', async () => {
    cli = hostInBackground(['distributed', '--algorithm', 'downpour', '--data', TWO_FEATURES, '--lr', '0.3', '--local-lr', '0.02', '--epochs', '40', '--web', '--web-port', '0', '--log', '--format', 'ndjson']);
    const end = Date.now() + 30_000;
    while (!/the run is over/.test(cli.err())) {
      if (Date.now() > end || cli.child.exitCode !== null) throw new Error(`no dashboard: ${cli.err()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /live dashboard: (\S+)/.exec(cli.err())![1];
    const recs = cli.out().split('\n').map((l) => parseRecord(l)).filter((r): r is ProtocolRecord => r !== null);
    const updates = recs.filter((r): r is UpdateRecord => r.type === 'update');
    expect(updates.length).toBe(1600);

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(url);
    await page.waitForFunction(() => Number(document.body.dataset.points) === 41 && Number(document.body.dataset.updates) === 1600 && document.querySelectorAll('#stale-view rect.bar').length > 0);
    await page.waitForTimeout(300);

    // The global curve (bold) over the 4 workers', every epoch-equivalent of each drawn.
    const api = 'window.dashboard';
    expect(await page.evaluate(`${api}.lossSeries()`)).toEqual(['worker 1', 'worker 2', 'worker 3', 'worker 4', 'global']);
    expect(await page.evaluate(`${api}.lossValues()`)).toEqual({ 'worker 1': 41, 'worker 2': 41, 'worker 3': 41, 'worker 4': 41, global: 41 });
    expect(await page.evaluate(`${api}.logScale()`)).toBe(true);

    // The big numbers: epoch, global loss, pushes per second (simulated time), staleness of the latest updates.
    const done = recs.find((r) => r.type === 'done')!;
    const want = expectedRecent(updates);
    expect(await page.locator('#counter').textContent()).toBe('40 / 40');
    expect(await page.locator('#value-label').textContent()).toBe('global loss');
    expect(Number(await page.locator('#value').textContent())).toBeCloseTo((done as { loss: number }).loss, 3);
    expect(await page.locator('#rate-label').textContent()).toBe('pushes/s (sim. time)');
    expect(await page.locator('#rate').textContent()).toBe(fmtRate(want.rate));
    expect(await page.locator('#stale').textContent()).toBe(`${fmtStale(want.mean)} · ${want.max}`);
    const all = updates.reduce((a, r) => a + r.staleness, 0) / updates.length;
    expect(await page.locator('#stale-note').textContent()).toBe(`1,600 updates · mean ${fmtStale(all)}, max ${Math.max(...updates.map((r) => r.staleness))}`);
    // The histogram: a bar for each staleness some update had.
    const bars = await page.$$eval('#stale-view rect.bar', (rs) => rs.map((r) => [Number(r.getAttribute('data-staleness')), Number(r.getAttribute('data-count'))]));
    const counts = new Map<number, number>();
    for (const u of updates) counts.set(u.staleness, (counts.get(u.staleness) ?? 0) + 1);
    expect(new Map(bars as [number, number][])).toEqual(counts);

    // Each worker: its state, its loss on its shard and its pushes.
    const rows = await page.$$eval('#workers tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((r) => [r[0], r[1]])).toEqual([0, 1, 2, 3].map((k) => [`worker ${k + 1}`, 'done']));
    expect(rows.map((r) => Number(r[3]))).toEqual([0, 1, 2, 3].map((k) => updates.filter((u) => u.worker === k).length));
    // No board to pause: no buttons.
    expect(await page.locator('#controls').isHidden()).toBe(true);
    expect(await page.locator('#params-section').isHidden()).toBe(true);

    // All of it in view at 1280×720, with the page not scrolling.
    for (const sel of ['#loss-chart .uplot', '#workers', '#stale-view svg', '#rate', '#stale', '#counter', '#value']) {
      const box = (await page.locator(sel).boundingBox())!;
      expect(box, sel).not.toBeNull();
      expect(box.y, sel).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height, `${sel} ends below the fold`).toBeLessThanOrEqual(720);
      expect(box.x + box.width, `${sel} ends beyond the right edge`).toBeLessThanOrEqual(1280);
    }
    const chart = (await page.locator('#loss-chart .uplot').boundingBox())!;
    expect(chart.width).toBeGreaterThan(700);
    expect(chart.height).toBeGreaterThan(400);
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight)).toBeLessThanOrEqual(720);
    // The big numbers in large type.
    expect(await page.$eval('#rate', (e) => parseFloat(getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(32);
    await page.screenshot({ path: SCREENSHOT });
    expect(errors).toEqual([]);
    await page.close();

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });
});
