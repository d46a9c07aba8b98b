// Boards in the firmware's worker role (issue 11): four virtual Picos at the real board's pace train
// their shards, push every few samples and take the server's answers between two slices (Downpour
// and EASGD without a pause; Hogwild and AdaRevision wait for each answer, as their workers do). The server's parameters converge; every update records its staleness; and the run,
// replayed on the desktop from the boards' records (each board trained again by the Trainer with
// the answers taken where the board took them, the pushes applied in the server's order), meets
// every push bit for bit and ends at the server's parameters. The faults: a board unplugged, a
// board reset, a board far slower than the rest, Ctrl-C.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatF32, type DoneRecord, type PushRecord, type StartRecord, type UpdateRecord } from '../../shared/protocol.ts';
import { parseCsvText } from '../../host/csv.ts';
import { replayBoardRun } from '../../host/distributed/replay.ts';
import { startVirtualPico } from '../../host/sim/virtual-pico.ts';
import { DEFAULT_WEIGHTS } from '../../host/sim/cost-model.ts';
import { tempDir } from '../helpers/temp.ts';
import { fileRecords, host, hostInBackground, ROOT } from './cli.ts';
import { expectTrueEnd, flashedPicos } from './picos.ts';
import { CHROMIUM, launchChromium } from '../web/chromium.ts';

const TWO = join(ROOT, 'test/fixtures/data/two-features.csv');
// PICO_TRAINER_SCREENSHOTS=1 rewrites the README's picture of a board run's page.
const SCREENSHOT_NAME = 'distributed-boards.png';
const SEED = join(ROOT, 'test/fixtures/data/seed.csv');
const dir = tempDir('pico-workers-');
const env = { PICO_TRAINER_HUBS: join(dir, 'hubs') };
const SCREENSHOT = process.env.PICO_TRAINER_SCREENSHOTS === '1' ? join(ROOT, 'docs/img', SCREENSHOT_NAME) : join(dir, SCREENSHOT_NAME);
const picos = flashedPicos(4, env, 'board');

const records = fileRecords;

const ports = (n = picos.length) => picos.slice(0, n).flatMap((p) => ['--port', p.path]);
const boardFiles = (out: string) =>
  readdirSync(join(out, '..'))
    .filter((f) => /-board\d\.ndjson$/.test(f))
    .sort()
    .map((f) => join(out, '..', f));

/** The run replayed on the desktop: every push met bit for bit, and the server's end. */
function expectReplay(out: string, data: string): void {
  const recs = records(out);
  const done = recs[recs.length - 1] as DoneRecord;
  const replay = replayBoardRun(recs, boardFiles(out).map(records), parseCsvText(readFileSync(data, 'utf8'), data));
  expect(replay.mismatches).toEqual([]);
  expect(replay.rounds).toBeGreaterThanOrEqual(recs.filter((x) => x.type === 'update').length);
  expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
}


async function until(ok: () => boolean, ms = 20000): Promise<void> {
  for (let t = 0; t < ms && !ok(); t += 50) await new Promise((r) => setTimeout(r, 50));
}


describe('boards in their worker role', () => {
  const SETTINGS: Record<string, string[]> = {
    downpour: ['--lr', '0.3', '--local-lr', '0.02', '--batch', '1', '--epochs', '800'],
    easgd: ['--lr', '0.02', '--batch', '1', '--epochs', '400'],
    // These two wait for each answer: a push every sample, as the simulated cluster's workers read θ every step.
    hogwild: ['--lr', '0.02', '--batch', '1', '--epochs', '100'],
    adarevision: ['--lr', '0.3', '--batch', '1', '--epochs', '100'],
  };
  for (const [algorithm, options] of Object.entries(SETTINGS)) {
    it(`${algorithm}: four boards pushing while they train reach the true parameters within 1e-4; the replay meets every push`, async () => {
      const out = join(mkdtempSync(join(dir, `${algorithm}-`)), 'run.ndjson');
      const r = await host(['distributed', '--algorithm', algorithm, ...ports(), '--data', TWO, ...options, '--format', 'ndjson', '--out', out], { env, timeoutMs: 150000 });
      expect(r.code, r.stderr).toBe(0);
      const recs = records(out);
      // A push every step (Downpour's --push-every 1, Hogwild, AdaRevision), every τ = 4 steps of EASGD: in samples, with batches of 1.
      const push = algorithm === 'easgd' ? 4 : 1;
      expect(recs[0]).toMatchObject({ type: 'start', source: 'board', parallel: { algorithm, workers: 4, push: [push, push, push, push], ports: picos.map((p) => p.path) } });
      // Staleness per update: boards push while the others' updates land.
      const { updates } = expectTrueEnd(recs, 1e-4);
      expect(Math.max(...updates.map((u) => u.staleness))).toBeGreaterThan(0);
      // AdaRevision records each update's backlog (the others' gradients since its read), EASGD its elastic move.
      if (algorithm === 'adarevision') expect(updates.some((u) => (u.backlog ?? 0) > 0)).toBe(true);
      if (algorithm === 'easgd') expect(updates.every((u) => typeof u.elastic === 'number')).toBe(true);
      // One run per board: a start, pushes and the acks of the answers it took, and its done record.
      for (const f of boardFiles(out)) {
        const b = records(f);
        expect(b.filter((x) => x.type === 'start')).toHaveLength(1);
        expect((b[0] as StartRecord).config).toMatchObject({ optimizer: 'sgd', batch: 1 });
        expect(b.filter((x) => x.type === 'push').length).toBeGreaterThan(5);
        expect(b.filter((x) => x.type === 'ack').length).toBeGreaterThan(5);
        expect(b[b.length - 1]).toMatchObject({ type: 'done', reason: 'stopped' });
        // Pushes come where they are due: every `push` training samples, or later when the board waited for an answer.
        const at = b.filter((x): x is PushRecord => x.type === 'push').map((x) => x.at);
        expect(at).toEqual([...at].sort((x, y) => x - y));
      }
      expectReplay(out, TWO);
    }, 180000);
  }

  const SEED_SETTINGS: Record<string, string[]> = {
    downpour: ['--lr', '0.3', '--local-lr', '0.02', '--batch', '1', '--epochs', '1200'],
    easgd: ['--lr', '0.02', '--epochs', '1200'],
    hogwild: ['--lr', '0.02', '--batch', '1', '--epochs', '300'],
    adarevision: ['--lr', '0.3', '--batch', '1', '--epochs', '300'],
  };
  for (const [algorithm, options] of Object.entries(SEED_SETTINGS)) {
    it(`${algorithm}: three boards, one seed sample each, fit the seed scripts' y = w·x (w = 2 within 1e-4)`, async () => {
      const out = join(mkdtempSync(join(dir, `seed-${algorithm}-`)), 'run.ndjson');
      const r = await host(['distributed', '--algorithm', algorithm, ...ports(3), '--data', SEED, '--no-bias', ...options, '--format', 'ndjson', '--out', out], { env, timeoutMs: 150000 });
      expect(r.code, r.stderr).toBe(0);
      const done = records(out).pop() as DoneRecord;
      expect(done.reason).toBe('epochs');
      expect(Math.abs(done.w[0] - 2)).toBeLessThan(1e-4);
      expect(done.b).toBe(0);
      expectReplay(out, SEED);
    }, 180000);
  }

  it('goes on when a board is unplugged and takes it back when it is plugged in again, gives a reset board its shard and the current parameters, and stops every board on Ctrl-C with the files complete', async () => {
    // The fourth board is registered as `npx host sim` registers one, in a registry of this test's
    // own: unplugged and plugged back in, it comes back on a new port with the same serial number.
    const realTmp = process.env.TMPDIR;
    const tmp = mkdtempSync(join(dir, 'registry-'));
    process.env.TMPDIR = tmp;
    const fourth = await startVirtualPico({ pace: 'board', register: true });
    try {
      const envHere = { ...env, TMPDIR: tmp };
      expect((await host(['flash', '--port', fourth.path], { env: envHere, timeoutMs: 120000 })).code).toBe(0);
      const out = join(mkdtempSync(join(dir, 'faults-')), 'run.ndjson');
      const run = hostInBackground(['distributed', '--algorithm', 'downpour', ...ports(3), '--port', fourth.path, '--data', TWO, '--lr', '0.3', '--local-lr', '0.02', '--batch', '1', '--epochs', '100000', '--format', 'ndjson', '--out', out], { env: envHere });
      const pushesOf = (k: number) => {
        const f = boardFiles(out)[k];
        return f ? records(f).filter((x) => x.type === 'push').length : 0;
      };
      await until(() => pushesOf(2) > 20 && pushesOf(3) > 20);
      await fourth.unplug();
      await until(() => /board 4 .* is gone/.test(run.err()));
      expect(run.err()).toMatch(/board 4 \(\/dev\/pts\/\d+\) is gone: .*the server goes on with the others/);
      const before = pushesOf(3);
      const path = await fourth.replug();
      await until(() => /board 4 .* is plugged back in/.test(run.err()));
      expect(run.err()).toMatch(new RegExp(`board 4 \\(${path}\\) is plugged back in: it has its shard again and starts from the current parameters`));
      await until(() => pushesOf(3) > before + 5);
      expect(pushesOf(3)).toBeGreaterThan(before + 5);
      await picos[2].reset();
      await until(() => /board 3 .* restarted/.test(run.err()));
      expect(run.err()).toMatch(/board 3 \(\/dev\/pts\/\d+\) restarted: it has its shard again and starts from the current parameters/);
      // It trains again: its file gains a second run that pushes.
      const afterReboot = () => {
        const b = records(boardFiles(out)[2]);
        return b.slice(b.findIndex((x) => x.type === 'hello') + 1).filter((x) => x.type === 'push').length;
      };
      await until(() => afterReboot() > 5);
      expect(afterReboot()).toBeGreaterThan(5);
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
      const recs = records(out);
      expect(recs[recs.length - 1]).toMatchObject({ type: 'done', reason: 'stopped', message: 'stopped by Ctrl-C', counts: { lost_boards: 1, rejoined: 2 } });
      expect(recs.filter((x) => x.type === 'worker_state')).toEqual([
        expect.objectContaining({ worker: 3, state: 'gone' }),
        expect.objectContaining({ worker: 3, state: 'back' }),
        expect.objectContaining({ worker: 2, state: 'back' }),
      ]);
      // Every board ends its file with its done record (the fourth's second run too).
      for (const f of boardFiles(out)) {
        const b = records(f);
        expect(b[b.length - 1].type).toBe('done');
      }
      // The replay covers the unplugged board's two runs and the reset board's two.
      expectReplay(out, TWO);
    } finally {
      await fourth.close();
      if (realTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = realTmp;
    }
  }, 240000);

  it("applies a far slower board's stale pushes, recording their staleness, and never waits for it", async () => {
    // A board eight times slower than the real one, among three at its pace.
    const weights = Object.fromEntries(Object.entries(DEFAULT_WEIGHTS).map(([k, v]) => [k, v * 8])) as typeof DEFAULT_WEIGHTS;
    const slow = await startVirtualPico({ pace: 'board', weights });
    try {
      expect((await host(['flash', '--port', slow.path], { env, timeoutMs: 240000 })).code).toBe(0);
      const out = join(mkdtempSync(join(dir, 'slow-')), 'run.ndjson');
      const r = await host(['distributed', '--algorithm', 'easgd', ...ports(3), '--port', slow.path, '--data', TWO, '--lr', '0.02', '--batch', '1', '--epochs', '150', '--format', 'ndjson', '--out', out], { env, timeoutMs: 180000 });
      expect(r.code, r.stderr).toBe(0);
      const recs = records(out);
      const updates = recs.filter((x): x is UpdateRecord => x.type === 'update');
      const fromSlow = updates.filter((u) => u.worker === 3);
      const fromFast = updates.filter((u) => u.worker < 3);
      expect(fromSlow.length).toBeGreaterThan(0);
      expect(fromFast.length).toBeGreaterThan(3 * fromSlow.length);
      expect(Math.max(...fromSlow.map((u) => u.staleness))).toBeGreaterThan(Math.max(...fromFast.map((u) => u.staleness)));
      expect((recs[recs.length - 1] as DoneRecord).reason).toBe('epochs');
      expectReplay(out, TWO);
    } finally {
      await slow.close();
    }
  }, 300000);

  it.skipIf(!existsSync(CHROMIUM))('shows the class the run live: the global loss over the four boards, each training, the pushes per second and the staleness, in 1280×720', async () => {
    const out = join(mkdtempSync(join(dir, 'page-')), 'run.ndjson');
    const run = hostInBackground(['distributed', '--algorithm', 'easgd', ...ports(), '--data', TWO, '--lr', '0.02', '--batch', '1', '--epochs', '100000', '--log', '--web', '--web-port', '0', '--format', 'ndjson', '--out', out], { env });
    const browser = await launchChromium();
    try {
      await until(() => /live dashboard: \S+/.test(run.err()));
      const found = /live dashboard: (\S+)/.exec(run.err());
      expect(found, run.err()).not.toBeNull();
      const url = found![1];
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(url);
      // Some epochs in, every board training and pushing.
      await page.waitForFunction(() => Number(document.body.dataset.points) >= 60 && document.querySelectorAll('#stale-view rect.bar').length > 0, undefined, { timeout: 60000 });
      const rows = await page.$$eval('#workers tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      // Each board by its number and its port, training.
      expect(rows.map((r) => [r[0], r[1]])).toEqual(picos.map((p, k) => [`board ${k + 1}${p.path}`, 'training']));
      for (const r of rows) expect(Number(r[3])).toBeGreaterThan(0);
      expect(await page.evaluate('window.dashboard.lossSeries()')).toEqual(['board 1', 'board 2', 'board 3', 'board 4', 'global']);
      expect(await page.locator('#rate-label').textContent()).toBe('pushes/s');
      expect(Number((await page.locator('#rate').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
      expect(await page.$eval('#rate', (e) => parseFloat(getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(32);
      await page.waitForTimeout(300);
      await page.screenshot({ path: SCREENSHOT });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await browser.close();
      // Ctrl-C ends the run; the page stays up for the class until a second one.
      run.child.kill('SIGINT');
      await until(() => /the run is over/.test(run.err()), 20000);
      run.child.kill('SIGINT');
      await Promise.race([run.exited, new Promise((r) => setTimeout(r, 10000))]);
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    const recs = records(out);
    expect(recs[recs.length - 1]).toMatchObject({ type: 'done', reason: 'stopped', message: 'stopped by Ctrl-C' });
  }, 120000);
});
