// One board, many windows: the first process that opens the board (a monitor) becomes its hub, and
// every other command goes through it instead of failing with "busy". Runs have identities: each
// run file begins with its own start record, a monitor follows new runs, and a command that ends a
// run says so in one line. Through serialport against the virtual Pico, as a teacher runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, type ProtocolRecord, type StartRecord } from '../../shared/protocol.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { host, ROOT } from './cli.ts';

let pico: VirtualPico;
const dir = mkdtempSync(join(tmpdir(), 'pico-hub-'));
// Each test run keeps its hubs' registry to itself.
const env = { PICO_TRAINER_HUBS: join(dir, 'hubs') };
const SEED = join(ROOT, 'test/fixtures/data/two-features.csv');

interface Background {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Sends SIGINT and resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/** A `host` command left running (a monitor), in `cwd`. */
function background(args: string[], cwd: string): Background {
  const child = spawn(process.execPath, [join(ROOT, 'host/bin.js'), ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    interrupt: async () => {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 15000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function records(file: string): ProtocolRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => parseRecord(l))
    .filter((r): r is ProtocolRecord => r !== null);
}

const run = (args: string[]) => host([...args, '--port', pico.path], { env, timeoutMs: 120000 });

beforeAll(async () => {
  pico = await startVirtualPico();
  const flash = await run(['flash']);
  expect(flash.code, flash.stderr + flash.stdout).toBe(0);
  const send = await run(['send', SEED]);
  expect(send.code, send.stderr).toBe(0);
}, 180000);

afterAll(async () => {
  await pico?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the hub', () => {
  it('lets other commands use the board a monitor holds, follows each new run into its own file, and says when a command ends a run', async () => {
    const cwd = mkdtempSync(join(dir, 'class-'));
    const monitor = background(['monitor', '--port', pico.path, '--no-plot'], cwd);
    try {
      await until(() => /waiting for a run/.test(monitor.out()), 'the monitor to wait for a run');

      // Another command while the monitor holds the port: no "busy".
      const status = await run(['status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/idle, no run; data 40 samples × 2 features; .*shared through host monitor \(pid \d+\)/);

      // A long run, started detached; then a second one with --monitor, which ends it.
      const first = await run(['train', '--epochs', '1000000', '--lr', '0.001']);
      expect(first.code, first.stderr).toBe(0);
      const firstRun = Number(/Training run (\d+) started/.exec(first.stdout)?.[1]);
      expect(firstRun).toBeGreaterThan(0);
      await until(() => /Epoch: 20 /.test(monitor.out()), 'the first run to train');

      const out = join(cwd, 'adam.ndjson');
      const second = await run(['train', '--optimizer', 'adam', '--epochs', '25', '--monitor', '--no-plot', '--out', out]);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(new RegExp(`^stopped run ${firstRun} \\(sgd, epoch \\d+\\) to start this one$`, 'm'));
      const own = records(out);
      expect(own[0]).toMatchObject({ type: 'start', run: firstRun + 1, config: { optimizer: 'adam' } });
      expect(own.filter((r) => r.type === 'start')).toHaveLength(1);
      expect(own.filter((r) => r.type === 'epoch')).toHaveLength(26);
      expect(own[own.length - 1]).toMatchObject({ type: 'done', reason: 'epochs', epoch: 25 });

      // The monitor heard the notice, and kept each run in its own file, each beginning with its start.
      await until(() => new RegExp(`run ${firstRun + 1} ended`).test(monitor.out()), 'the monitor to see the second run end');
      expect(monitor.out()).toMatch(new RegExp(`stopped run ${firstRun} \\(sgd, epoch \\d+\\) to start this one`));
      const files = readdirSync(join(cwd, 'runs')).map((f) => join(cwd, 'runs', f));
      expect(files).toHaveLength(2);
      const starts = files.map((f) => records(f)[0] as StartRecord).sort((a, b) => (a.run ?? 0) - (b.run ?? 0));
      expect(starts.map((s) => [s.type, s.run, s.config.optimizer])).toEqual([
        ['start', firstRun, 'sgd'],
        ['start', firstRun + 1, 'adam'],
      ]);
      for (const f of files) {
        const rs = records(f);
        expect(rs.filter((r) => r.type === 'start')).toHaveLength(1);
        expect(rs[rs.length - 1].type).toBe('done');
      }

      // New data while a run trains: one line says which run it ended.
      const third = await run(['train', '--epochs', '1000000', '--lr', '0.001']);
      expect(third.code).toBe(0);
      await until(() => monitor.out().split(`run ${firstRun + 2}`).length > 0 && /Epoch: 5 /.test(monitor.out().split('Training on').pop() ?? ''), 'the third run to train');
      const send = await run(['send', SEED]);
      expect(send.code, send.stderr).toBe(0);
      expect(send.stderr).toMatch(new RegExp(`^stopped run ${firstRun + 2} \\(sgd, epoch \\d+\\) to replace the board's data$`, 'm'));

      // Flashing borrows the port from the hub, which takes it back afterwards.
      const flash = await run(['flash', '--no-build']);
      expect(flash.code, flash.stderr).toBe(0);
      expect(flash.stderr).toMatch(/borrowed .* from its hub \(host monitor, pid \d+\)/);
      await until(() => /is back/.test(monitor.out()), 'the hub to reopen the port');
      const after = await run(['status']);
      expect(after.stdout).toMatch(/idle, no run; data 0 samples/);
    } finally {
      expect(await monitor.interrupt()).toBe(0);
    }
    expect(monitor.out()).toMatch(/records saved to /);
    // Sent again for the next test: the flash emptied the board.
    expect((await run(['send', SEED])).code).toBe(0);
  }, 180000);

  it('leaves no file when no run happened, and quits at once on Ctrl-C when the board is idle', async () => {
    const cwd = mkdtempSync(join(dir, 'idle-'));
    const monitor = background(['monitor', '--port', pico.path, '--no-plot'], cwd);
    await until(() => /waiting for a run/.test(monitor.out()), 'the monitor to wait');
    expect(await monitor.interrupt()).toBe(0);
    expect(monitor.out()).toMatch(/no run started: nothing saved/);
    expect(readdirSync(cwd)).toEqual([]);
  }, 60000);

  it('leaves at once on a second Ctrl-C, without blaming the port', async () => {
    const cwd = mkdtempSync(join(dir, 'twice-'));
    expect((await run(['train', '--epochs', '1000000', '--lr', '0.001'])).code).toBe(0);
    const monitor = background(['monitor', '--port', pico.path, '--no-plot'], cwd);
    await until(() => (monitor.out().match(/Epoch: /g) ?? []).length > 3, 'epochs to arrive');
    monitor.child.kill('SIGINT');
    monitor.child.kill('SIGINT');
    expect([0, 130]).toContain(await monitor.interrupt());
    expect(monitor.out() + monitor.err()).not.toMatch(/serial port closed|did not confirm/);
    expect(monitor.out()).toMatch(/records saved to /);
    await run(['stop']);
  }, 60000);

  it('joins a run under way with a start record rebuilt from the board (marked attached)', async () => {
    const cwd = mkdtempSync(join(dir, 'join-'));
    const started = await run(['train', '--epochs', '1000000', '--lr', '0.001', '--optimizer', 'momentum']);
    expect(started.code).toBe(0);
    const monitor = background(['monitor', '--port', pico.path, '--no-plot'], cwd);
    await until(() => /joined run \d+ at epoch \d+/.test(monitor.out()), 'the monitor to join');
    await until(() => (monitor.out().match(/Epoch: /g) ?? []).length > 3, 'epochs to arrive');
    const stop = await run(['stop']);
    expect(stop.stdout).toMatch(/^stopped run \d+ \(momentum, epoch \d+\)/);
    await until(() => /ended \(stopped\)/.test(monitor.out()), 'the run to end');
    await monitor.interrupt();
    const [file] = readdirSync(join(cwd, 'runs'));
    const rs = records(join(cwd, 'runs', file));
    expect(rs[0]).toMatchObject({ type: 'start', attached: true, source: 'board', config: { optimizer: 'momentum', momentum: 0.9 }, samples: 40, train: 40, val: 0 });
    expect(rs[rs.length - 1]).toMatchObject({ type: 'done', reason: 'stopped' });
  }, 60000);
});

describe('host serve and the console', () => {
  it('holds the board for the class: the page uploads a CSV (validated as host send), trains, compares, and lists each run with its file', async () => {
    const cwd = mkdtempSync(join(dir, 'serve-'));
    const serve = background(['serve', '--port', pico.path, '--web-port', '0'], cwd);
    try {
      await until(() => /page (http:\/\/\S+)/.test(serve.err()), 'the page address');
      const url = /page (http:\/\/\S+)/.exec(serve.err())![1].replace(/\/$/, '');
      const post = (path: string, body: string, headers: Record<string, string> = {}) =>
        fetch(url + path, { method: 'POST', body, headers: { 'x-dashboard': '1', ...headers } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

      // Other commands go through serve's hub.
      const status = await run(['status']);
      expect(status.stdout).toMatch(/shared through host serve \(pid \d+\), page http:/);

      const bad = await post('/api/upload', 'x,y\n1,2\n3,oops\n', { 'x-file-name': 'bad.csv' });
      expect(bad).toEqual({ status: 400, body: { error: expect.stringMatching(/^bad\.csv:3:\d+: "oops" is not a number/) } });
      const up = await post('/api/upload', readFileSync(SEED, 'utf8'), { 'x-file-name': 'two-features.csv' });
      expect(up).toMatchObject({ status: 200, body: { rows: 40, features: 2 } });

      const refused = await post('/api/train', JSON.stringify({ options: { optimizer: 'adam', beta1: '1' } }));
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(/--beta1/);
      const trained = await post('/api/train', JSON.stringify({ options: { optimizer: 'adam', lr: '0.05', epochs: '30' } }));
      expect(trained).toMatchObject({ status: 200, body: { run: expect.any(Number) } });
      const compared = await post('/api/compare', JSON.stringify({ optimizers: 'sgd,adam:0.05', options: { epochs: '20' } }));
      expect(compared).toMatchObject({ status: 200, body: { labels: ['sgd', 'adam:0.05'] } });

      type Entry = { id: number; run: number; label?: string; settings: string; state: string; epoch: number; file: string };
      let runs: Entry[] = [];
      for (let i = 0; i < 100 && !(runs.length === 3 && runs.every((r) => r.state === 'done')); i++) {
        runs = (await fetch(url + '/api/runs').then((r) => r.json())) as Entry[];
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(runs.map((r) => [r.settings, r.label ?? null, r.epoch])).toEqual([
        ['adam, lr 0.05, full batch, 30 epochs', null, 30],
        ['sgd, lr 0.01, full batch, 20 epochs', 'sgd', 20],
        ['adam, lr 0.05, full batch, 20 epochs', 'adam:0.05', 20],
      ]);
      for (const r of runs) {
        const text = await fetch(`${url}/api/runs/${r.id}/file`).then((x) => x.text());
        const rs = text.split('\n').map((l) => parseRecord(l)).filter((x): x is ProtocolRecord => x !== null);
        expect(rs[0]).toMatchObject({ type: 'start', run: r.run });
        expect(rs[rs.length - 1]).toMatchObject({ type: 'done', epoch: r.epoch });
      }
      expect(serve.out()).toMatch(/run \d+ started: sgd, lr 0\.01, 20 epochs/);
    } finally {
      await serve.interrupt();
    }
  }, 90000);
});
