// The page as the classroom console, in chromium: `host serve` holds a virtual Pico, and everything
// goes through the page as a teacher clicks it: a bad CSV (the error as `host send` words it), the
// real one, a run of Adam, a comparison, the history with each run's own numbers and its file,
// Pause/Resume/Stop and the notice of a run that new data ends. A stand-in console checks the form
// and the layout on their own, and that a page without a console stays as it was.
//
// PICO_TRAINER_SCREENSHOTS=1 npx vitest run test/web/console.test.ts  rewrites docs/img/console.png
// (the README's picture); without it the screenshot goes to a temporary folder.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, OPTIMIZERS } from '../../shared/config.ts';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import type { HistoryEntry } from '../../host/monitor/history.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { formOptions, type ConsoleApi } from '../../host/web/console.ts';
import { startDashboard, type Dashboard } from '../../host/web/server.ts';
import { host, ROOT } from '../e2e/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';
import { trainInto, type Feed } from './live.ts';

const hasChromium = existsSync(CHROMIUM);
const dir = tempDir('pico-console-');
// This file's hubs keep their registry to themselves.
const env = { PICO_TRAINER_HUBS: join(dir, 'hubs') };
const TWO_FEATURES = join(ROOT, 'test/fixtures/data/two-features.csv');
const SCREENSHOT = process.env.PICO_TRAINER_SCREENSHOTS === '1' ? join(ROOT, 'docs/img/console.png') : join(dir, 'console.png');

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function records(text: string): ProtocolRecord[] {
  return text
    .split('\n')
    .map((l) => parseRecord(l))
    .filter((r): r is ProtocolRecord => r !== null);
}

/** The rows of the history table, newest first, as the page shows them. */
function historyRows(page: Page) {
  return page.$$eval('#c-runs tr', (trs) =>
    trs.map((tr) => {
      const cell = (c: string) => (tr.querySelector(`.${c}`)?.textContent ?? '').trim();
      return {
        id: Number((tr as HTMLElement).dataset.id),
        run: Number(cell('run')),
        label: (tr.querySelector('.what b')?.textContent ?? '').trim(),
        settings: cell('settings'),
        state: cell('state'),
        epochs: cell('epochs'),
        loss: cell('loss'),
        href: tr.querySelector('a.file')?.getAttribute('href') ?? '',
      };
    }),
  );
}

/** The JSON body of the next POST to `path` the page sends. */
function nextPost(page: Page, path: string): Promise<unknown> {
  return page.waitForRequest((r: Request) => r.method() === 'POST' && new URL(r.url()).pathname === path).then((r) => JSON.parse(r.postData() ?? 'null'));
}

// ------------------------------------------------------------------ a stand-in console

/** A console that answers as the real one does, without a board: for the form and the layout. */
function standIn(): ConsoleApi & { trained: Record<string, string | boolean>[] } {
  const trained: Record<string, string | boolean>[] = [];
  const history: HistoryEntry[] = [
    { id: 1, run: 4, kind: 'train', settings: 'adam, lr 0.05, full batch, 30 epochs', config: { ...defaultConfig('adam'), lr: 0.05, epochs: 30 }, state: 'done', epoch: 30, loss: 0.0123, reason: 'epochs', file: '/nowhere/a.ndjson', started: '' },
    { id: 2, run: 5, kind: 'train', settings: 'sgd, lr 0.01, full batch, 20 epochs', config: { ...defaultConfig('sgd'), epochs: 20 }, group: 'compare 1', label: 'sgd', state: 'running', epoch: 7, loss: 2.5, file: '/nowhere/b.ndjson', started: '' },
  ];
  return {
    trained,
    async info() {
      const defaults = Object.fromEntries(OPTIMIZERS.map((o) => [o, defaultConfig(o)]));
      const options = formOptions();
      return { port: '/dev/pts/99', status: { type: 'status', state: 'training', epoch: 7, samples: 40, features: 2, heap: { total: 1, used: 1 } }, defaults, options };
    },
    async upload() {
      return { rows: 40, features: 2, crc: '0badf00d', notice: null };
    },
    async train(options) {
      trained.push(options);
      return { run: 6, warnings: ['--eps does nothing with --optimizer sgd; only adagrad, adadelta, rmsprop, adam or adamw read it'], notice: 'stopped run 5 (sgd, epoch 7) to start this one' };
    },
    async compare() {
      return { labels: [], note: null, notice: null };
    },
    history: () => history,
    file: () => null,
  };
}

describe.skipIf(!hasChromium)('the console page (a stand-in console, chromium)', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(dash: Dashboard, width = 1280, height = 720): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width, height });
    await page.goto(dash.url);
    return { page, errors };
  }

  it('fills the form with each optimizer\'s defaults, keeps what was typed, and sends only what differs', async () => {
    const api = standIn();
    const dash = await startDashboard({ title: 'pico-trainer · /dev/pts/99', console: api, control: { pause() {}, resume() {}, stop() {} } });
    const { page, errors } = await open(dash);
    try {
      await page.waitForSelector('#c-optimizer');
      expect(await page.locator('#c-board').textContent()).toBe('/dev/pts/99: 40 samples × 2 features on the board');
      const shown = () => page.$$eval('#c-train-section label.field', (ls) => ls.filter((l) => l.getClientRects().length > 0 && !l.closest('details:not([open])')).map((l) => l.querySelector('span')!.textContent));
      expect(await page.inputValue('#c-lr')).toBe('0.01');
      expect(await shown()).toEqual(['optimizer', 'lr', 'momentum', 'batch', 'epochs', 'val-split', 'nesterov', 'shuffle', 'standardize']);

      await page.fill('#c-epochs', '30');
      await page.selectOption('#c-optimizer', 'adam');
      expect(await page.inputValue('#c-lr')).toBe('0.001'); // Adam's default, refilled
      expect(await page.inputValue('#c-epochs')).toBe('30'); // typed: kept
      expect(await shown()).toEqual(['optimizer', 'lr', 'beta1', 'beta2', 'batch', 'epochs', 'val-split', 'shuffle', 'standardize']);
      await page.click('#c-more summary');
      const more = await shown();
      expect(more).toEqual(expect.arrayContaining(['weight-decay', 'eps', 'amsgrad', 'schedule', 'seed', 'bias']));
      expect(more).not.toContain('momentum');
      expect(more).not.toContain('step-size');
      await page.selectOption('#c-schedule', 'step');
      expect(await shown()).toEqual(expect.arrayContaining(['step-size', 'gamma']));
      await page.selectOption('#c-schedule', 'constant');
      await page.selectOption('#c-optimizer', 'nesterov');
      expect(await page.isChecked('#c-nesterov')).toBe(true);
      expect(await page.inputValue('#c-momentum')).toBe('0.9');
      await page.selectOption('#c-optimizer', 'adam');

      const sent = nextPost(page, '/api/train');
      await page.fill('#c-lr', '0.05');
      await page.click('#c-train');
      // The schedule went back to its default: not sent; nor Adam's untouched defaults.
      expect(await sent).toEqual({ options: { optimizer: 'adam', lr: '0.05', epochs: '30' } });
      await page.waitForSelector('#c-train-msg .msg.ok');
      expect(await page.locator('#c-train-msg .msg').allTextContents()).toEqual([
        'run 6 started',
        'warning: --eps does nothing with --optimizer sgd; only adagrad, adadelta, rmsprop, adam or adamw read it',
        'stopped run 5 (sgd, epoch 7) to start this one',
      ]);

      // The history, newest first; a running run's epochs out of its total.
      await page.waitForSelector('#c-runs tr');
      const rows = await historyRows(page);
      expect(rows.map((r) => [r.run, r.label, r.settings, r.state, r.epochs, r.loss, r.href])).toEqual([
        [5, 'sgd', 'sgd, lr 0.01, full batch, 20 epochs', 'running', '7/20', '2.5', 'api/runs/2/file'],
        [4, '', 'adam, lr 0.05, full batch, 30 epochs', 'done', '30', '0.0123', 'api/runs/1/file'],
      ]);

      await page.click('#c-reset');
      expect(await page.inputValue('#c-epochs')).toBe('100');
      expect(await page.inputValue('#c-lr')).toBe('0.001');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dash.close();
    }
  });

  it('keeps both charts in view at 1280×720 beside the console, and shows the page\'s address and the class\'s with a QR code', async () => {
    const classroom = ['http://192.0.2.10:8080/', 'http://198.51.100.7:8080/'];
    const dash = await startDashboard({ title: 'pico-trainer · /dev/pts/99', console: standIn(), classroom, control: { pause() {}, resume() {}, stop() {} } });
    const feed: Feed = trainInto(dash, { optimizer: 'adam', lr: 0.05, epochs: 400, valSplit: 0.25 }, 2000);
    const { page, errors } = await open(dash);
    try {
      await page.waitForFunction(() => Number(document.body.dataset.points) > 300, undefined, { timeout: 30_000 });
      await page.waitForTimeout(300);
      for (const id of ['#loss-chart', '#params-chart']) {
        const box = (await page.locator(`${id} .uplot`).boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height, `${id} ends below the fold`).toBeLessThanOrEqual(720);
        expect(box.height).toBeGreaterThan(200);
        expect(box.width).toBeGreaterThan(280);
      }
      const panel = (await page.locator('aside').boundingBox())!;
      expect(panel.x).toBeGreaterThan(700);
      expect(panel.y + panel.height).toBeLessThanOrEqual(720);
      // The page does not scroll; the panel does, on its own.
      expect(await page.evaluate(() => document.scrollingElement!.scrollHeight)).toBeLessThanOrEqual(720);
      expect(await page.$eval('aside', (a) => a.scrollHeight > a.clientHeight && getComputedStyle(a).overflowY === 'auto')).toBe(true);

      expect(await page.locator('#address').textContent()).toBe(dash.url);
      expect(await page.locator('#classroom-urls li').allTextContents()).toEqual(classroom);
      const qr = (await page.locator('#qr').boundingBox())!;
      expect(qr.y + qr.height).toBeLessThanOrEqual(200);
      expect(await page.$eval('#qr', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      feed.stop();
      await page.close();
      await dash.close();
    }
  });

  it('stays as it was without a console: no panel, the address in the header', async () => {
    const dash = await startDashboard({ title: 'several boards' });
    const { page, errors } = await open(dash);
    try {
      await page.waitForFunction(() => document.querySelector('#address')!.textContent !== '');
      expect(await page.locator('#address').textContent()).toBe(dash.url);
      expect(await page.locator('#console').isHidden()).toBe(true);
      expect(await page.locator('#classroom').isHidden()).toBe(true);
      expect(await page.locator('#settings-section').isVisible()).toBe(true);
      expect(await page.evaluate(() => document.body.classList.contains('with-console'))).toBe(false);
      expect((await fetch(dash.url + 'api/console')).status).toBe(501);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dash.close();
    }
  });
});

// ------------------------------------------------------------------ host serve on a virtual Pico

interface Serve {
  child: ChildProcess;
  err: () => string;
  stop(): Promise<void>;
}

/**
 * `host serve` in the background, in `cwd`, without the virtual Pico's pty descriptors (node-pty
 * leaves them open across exec; see test/e2e/cli.ts).
 */
function serve(args: string[], cwd: string): Serve {
  const closeInherited = 'for f in /proc/$$/fd/*; do n=${f##*/}; case "$(readlink "$f")" in /dev/ptmx|/dev/pts/*) [ "$n" -gt 2 ] && eval "exec $n<&-";; esac; done; exec "$0" "$@"';
  const child = spawn('/bin/bash', ['-c', closeInherited, process.execPath, join(ROOT, 'host/bin.js'), 'serve', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout?.resume();
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    err: () => err,
    stop: async () => {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

describe.skipIf(!hasChromium)('the classroom console on a virtual Pico (host serve, chromium)', () => {
  let pico: VirtualPico;
  let server: Serve;
  let url: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    pico = await startVirtualPico();
    const flash = await host(['flash', '--port', pico.path], { env, timeoutMs: 120_000 });
    expect(flash.code, flash.stderr + flash.stdout).toBe(0);
    server = serve(['--port', pico.path, '--web-port', '0'], mkdtempSync(join(dir, 'class-')));
    await until(() => /page (http:\/\/\S+)/.test(server.err()), 'the page address');
    url = /page (http:\/\/\S+)/.exec(server.err())![1];
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(url);
    await page.waitForSelector('#c-optimizer');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await pico?.close();
  });

  it('shows a bad CSV\'s error as host send words it, then sends the real one', async () => {
    expect(await page.locator('#c-board').textContent()).toMatch(/: no data on the board yet$/);
    const bad = 'x,y\n1,2\n3,oops\n';
    await page.setInputFiles('#c-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.waitForSelector('#c-data-msg .msg.error');
    // Word for word what the server answers (and `host send` prints).
    const answer = (await fetch(url + 'api/upload', { method: 'POST', body: bad, headers: { 'x-dashboard': '1', 'x-file-name': 'bad.csv' } }).then((r) => r.json())) as { error: string };
    expect(answer.error).toMatch(/^bad\.csv:3:\d+: "oops" is not a number/);
    expect(await page.locator('#c-data-msg .msg').allTextContents()).toEqual([answer.error]);

    await page.setInputFiles('#c-file', TWO_FEATURES);
    await page.waitForSelector('#c-data-msg .msg.ok:has-text("sent")');
    expect(await page.locator('#c-data-msg .msg').allTextContents()).toEqual([expect.stringMatching(/^two-features\.csv: 40 samples × 2 features sent \(checksum [0-9a-f]{8}\)$/)]);
    await page.waitForFunction(() => /40 samples × 2 features on the board$/.test(document.querySelector('#c-board')!.textContent!));
  });

  it('trains Adam with lr 0.05 for 30 epochs, and the run appears done in the history', async () => {
    await page.selectOption('#c-optimizer', 'adam');
    await page.fill('#c-lr', '0.05');
    await page.fill('#c-epochs', '30');
    const sent = nextPost(page, '/api/train');
    await page.click('#c-train');
    expect(await sent).toEqual({ options: { optimizer: 'adam', lr: '0.05', epochs: '30' } });
    await page.waitForSelector('#c-train-msg .msg.ok');
    expect(await page.locator('#c-train-msg .msg').allTextContents()).toEqual([expect.stringMatching(/^run \d+ started$/)]);
    await page.waitForSelector('#c-runs tr[data-state="done"]', { timeout: 30_000 });
    const [row] = await historyRows(page);
    expect(row).toMatchObject({ label: '', settings: 'adam, lr 0.05, full batch, 30 epochs', state: 'done', epochs: '30' });
    expect(Number(row.loss)).toBeGreaterThan(0);
    // The charts follow the run: 31 epoch records (0 to 30).
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-state') === 'done');
    expect(await page.locator('#counter').textContent()).toBe('30 / 30');
  });

  it('compares sgd and adam:0.05 for 20 epochs, one row each with its own numbers, and every run\'s file downloads', async () => {
    await page.fill('#c-epochs', '20');
    await page.check('#cmp-sgd');
    await page.fill('#cmp-adam-lr', '0.05');
    expect(await page.isChecked('#cmp-adam')).toBe(true); // a learning rate ticks it
    expect(await page.locator('#c-compare-shared').textContent()).toBe('Run options from the form: epochs 20.');
    const sent = nextPost(page, '/api/compare');
    await page.click('#c-compare');
    expect(await sent).toEqual({ optimizers: 'sgd,adam:0.05', options: { epochs: '20' } });
    await page.waitForSelector('#c-compare-msg .msg.ok');
    expect(await page.locator('#c-compare-msg .msg.ok').textContent()).toBe('comparing sgd, adam:0.05: one after another');

    await page.waitForFunction(() => [...document.querySelectorAll('#c-runs tr')].filter((tr) => (tr as HTMLElement).dataset.state === 'done').length === 3, undefined, { timeout: 60_000 });
    const rows = await historyRows(page);
    expect(rows.map((r) => [r.label, r.settings, r.state, r.epochs])).toEqual([
      ['adam:0.05', 'adam, lr 0.05, full batch, 20 epochs', 'done', '20'],
      ['sgd', 'sgd, lr 0.01, full batch, 20 epochs', 'done', '20'],
      ['', 'adam, lr 0.05, full batch, 30 epochs', 'done', '30'],
    ]);
    // Board run numbers in order; each row its own final loss, as the server's history has it.
    expect(rows[1].run).toBe(rows[2].run + 1);
    expect(rows[0].run).toBe(rows[1].run + 1);
    const entries = (await fetch(url + 'api/runs').then((r) => r.json())) as HistoryEntry[];
    for (const r of rows) {
      const e = entries.find((x) => x.id === r.id)!;
      expect(Number(r.loss)).toBeCloseTo(e.loss!, 4);
    }
    expect(new Set(rows.map((r) => r.loss)).size).toBe(3);
    // The charts follow the records (sent in batches), which may come a moment after the history.
    const lossSeries = () => page.evaluate(() => (window as unknown as { dashboard: { lossSeries(): string[] } }).dashboard.lossSeries());
    await page.waitForFunction(() => (window as unknown as { dashboard: { lossSeries(): string[] } }).dashboard.lossSeries().length === 3, undefined, { timeout: 10_000 }).catch(() => undefined);
    expect(await lossSeries()).toEqual(['adam #1', 'sgd', 'adam #2']);

    // Each run's file through its link: its start record first, its done record last.
    for (const r of rows) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#c-runs tr[data-id="${r.id}"] a.file`)]);
      const text = readFileSync((await download.path())!, 'utf8');
      const rs = records(text);
      expect(download.suggestedFilename()).toMatch(/\.ndjson$/);
      expect(rs[0]).toMatchObject({ type: 'start', run: r.run });
      expect(rs.filter((x) => x.type === 'start')).toHaveLength(1);
      expect(rs[rs.length - 1]).toMatchObject({ type: 'done', reason: 'epochs', epoch: Number(r.epochs) });
    }

    // The README's picture: the charts of the three runs beside the console, the history in view.
    await page.waitForTimeout(300);
    await page.$eval('#c-history', (h) => h.scrollIntoView({ block: 'end' }));
    for (const id of ['#loss-chart', '#params-chart']) {
      const box = (await page.locator(`${id} .uplot`).boundingBox())!;
      expect(box.y + box.height, `${id} ends below the fold`).toBeLessThanOrEqual(720);
    }
    writeFileSync(SCREENSHOT, await page.screenshot());
  });

  it('pauses, resumes and stops a run from the buttons, and names the run that new data ends', async () => {
    await page.fill('#c-epochs', '1000000');
    await page.click('#c-train');
    await page.waitForSelector('#c-runs tr[data-state="running"]');
    await page.click('#pause');
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-state') === 'paused');
    await page.click('#resume');
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-state') === 'training');
    await page.click('#stop');
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-state') === 'stopped');
    await page.waitForSelector('#c-runs tr[data-state="stopped"]');

    await page.click('#c-train');
    await page.waitForFunction(() => (document.querySelector('#c-runs tr') as HTMLElement | null)?.dataset.state === 'running');
    const [running] = await historyRows(page);
    await page.setInputFiles('#c-file', TWO_FEATURES);
    await page.waitForSelector('#c-data-msg .msg.notice');
    expect(await page.locator('#c-data-msg .msg.notice').textContent()).toMatch(new RegExp(`^stopped run ${running.run} \\(adam, epoch \\d+\\) to replace the board's data$`));
    await page.waitForFunction((id) => (document.querySelector(`#c-runs tr[data-id="${id}"]`) as HTMLElement | null)?.dataset.state === 'stopped', running.id);
    expect(errors).toEqual([]);
  });
});
