// The classroom path in a real browser: a virtual Pico trains, `host train --monitor --web` serves
// the page, the page's loss plot gains points live, and the page's Stop button stops the board
// (the board's own `done` record with reason "stopped" closes the run file).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../shared/protocol.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { CHROMIUM, launchChromium } from '../web/chromium.ts';
import { host, ROOT } from './cli.ts';
import { tempDir } from '../helpers/temp.ts';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`\n!! SKIPPING the board dashboard browser test: ${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run does this on CI)\n`);

describe.skipIf(!hasChromium)('live dashboard over a virtual Pico', () => {
  let pico: VirtualPico;
  let train: ChildProcess;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const out = join(tempDir('pico-web-'), 'run.ndjson');
  let stderr = '';

  beforeAll(async () => {
    pico = await startVirtualPico();
    expect((await host(['flash', '--port', pico.path], { timeoutMs: 120000 })).code).toBe(0);
    expect((await host(['send', 'test/fixtures/data/seed.csv', '--port', pico.path])).code).toBe(0);
    browser = await launchChromium();
  }, 180000);

  afterAll(async () => {
    train?.kill('SIGKILL');
    await browser?.close();
    await pico?.close();
  });

  it('plots the board’s records live and Stop stops the board', async () => {
    // Far more epochs than the test waits for: only Stop ends this run.
    train = spawn(process.execPath, ['host/bin.js', 'train', '--port', pico.path, '--lr', '0.001', '--epochs', '10000000', '--monitor', '--web', '--no-plot', '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    train.stderr!.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no dashboard URL: ' + stderr)), 30000);
      train.stderr!.on('data', () => {
        const m = /live dashboard: (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    const points = () => page.evaluate(() => Number(document.body.dataset.points || 0));
    await page.waitForFunction(() => Number(document.body.dataset.points || 0) > 0, null, { timeout: 30000 });
    const first = await points();
    await page.waitForFunction((n) => Number(document.body.dataset.points || 0) > n + 20, first, { timeout: 30000 });
    expect(await page.locator('#settings').textContent()).toContain('sgd');

    await page.click('#stop');
    // The board answers with its done record: the run file ends with it, and the page says so.
    await expect.poll(() => {
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      return parseRecord(lines[lines.length - 1]);
    }, { timeout: 30000 }).toMatchObject({ type: 'done', reason: 'stopped' });
    await page.waitForFunction(() => document.querySelector('#state')?.getAttribute('data-state') !== 'training', null, { timeout: 30000 });
    const stoppedAt = await points();
    await new Promise((r) => setTimeout(r, 500));
    expect(await points()).toBe(stoppedAt); // nothing more arrives: the board stopped
    expect(errors).toEqual([]);

    // The monitor keeps the page up after the run until Ctrl-C, then leaves cleanly.
    const exit = new Promise<number | null>((resolve) => train.on('close', resolve));
    train.kill('SIGINT');
    expect(await exit).toBe(0);
  });
});
