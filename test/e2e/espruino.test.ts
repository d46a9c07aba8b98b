// The board pipe on Espruino, end to end as a teacher runs it: `host flash` finds the runtime by
// asking and uploads the Espruino bundle into Storage, then `host send` and `host train --monitor`
// run through serialport against the virtual Espruino, and the run file is compared with `host run`
// record for record. Espruino prints decimals inexactly and reads them inexactly, so every value
// crosses as bits both ways; equal records mean equal bits.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatF32, parseRecord, type DoneRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { boardFile } from '../../host/distributed/boards.ts';
import { replayBoardRun } from '../../host/distributed/replay.ts';
import { parseCsvText } from '../../host/csv.ts';
import { startVirtualEspruino, type VirtualEspruino } from '../../host/sim/espruino/virtual-espruino.ts';
import { BoardLink } from '../../host/link/board.ts';
import { openPort } from '../../host/link/port.ts';
import { resolveConfig } from '../../shared/config.ts';
import { host } from './cli.ts';
import { tempDir } from '../helpers/temp.ts';

let board: VirtualEspruino;
let second: VirtualEspruino;
const dir = tempDir('espruino-e2e-');

/** The trajectory records of every run file in a folder (compare and surface write one per optimizer). */
function runFiles(folder: string): Map<string, ProtocolRecord[]> {
  const out = new Map<string, ProtocolRecord[]>();
  for (const f of readdirSync(folder).filter((f) => f.endsWith('.ndjson')).sort()) {
    out.set(f, records(readFileSync(join(folder, f), 'utf8')).filter((r) => r.type === 'epoch' || r.type === 'done' || r.type === 'step'));
  }
  return out;
}

function records(text: string): ProtocolRecord[] {
  return text
    .split('\n')
    .map((l) => parseRecord(l))
    .filter((r): r is ProtocolRecord => r !== null);
}

/** The records that must agree between board and desktop: every epoch and the done record. */
const trajectory = (rs: ProtocolRecord[]): ProtocolRecord[] => rs.filter((r) => r.type === 'epoch' || r.type === 'done');

/** `code`: the exit code both commands end with (2: the run diverged). */
async function boardVsDesktop(data: string, options: string[], code = 0): Promise<{ board: ProtocolRecord[]; desktop: ProtocolRecord[] }> {
  const send = await host(['send', data, '--port', board.path], { timeoutMs: 120000 });
  expect(send.code, send.stderr).toBe(0);
  expect(send.stdout).toMatch(/the board confirmed \d+ samples, checksum [0-9a-f]{8}/);
  const out = join(dir, `run-${Date.now()}.ndjson`);
  const train = await host(['train', '--port', board.path, ...options, '--monitor', '--no-plot', '--out', out], { timeoutMs: 240000 });
  expect(train.code, train.stderr + train.stdout).toBe(code);
  const run = await host(['run', '--data', data, ...options, '--format', 'ndjson']);
  expect(run.code, run.stderr).toBe(code);
  return { board: records(readFileSync(out, 'utf8')), desktop: records(run.stdout) };
}

beforeAll(async () => {
  board = await startVirtualEspruino();
  // No --runtime: the flash asks the board which runtime it runs.
  const flash = await host(['flash', '--port', board.path], { timeoutMs: 180000 });
  expect(flash.code, flash.stderr + flash.stdout).toBe(0);
  expect(flash.stderr).toMatch(/built dist\/espruino\.js for Espruino/);
  expect(flash.stdout).toMatch(/firmware [\d.]+ on espruino 2v29/);
  // An Espruino Pico's 5,100 variables: the firmware (run from flash) and the reserve for a run
  // leave room for a few hundred samples (README, "Espruino"), as its hello says.
  const cap = Number(/capacity (\d+) samples/.exec(flash.stdout)?.[1]);
  expect(cap).toBeGreaterThanOrEqual(300);
  expect(cap).toBeLessThan(1024);
}, 240000);

afterAll(async () => {
  await board?.close();
  await second?.close();
});

describe('the board pipe against the virtual Espruino', () => {
  it('full-batch GD on the seed data (lr 0.01, 100 epochs): the run file equals `host run`, bit for bit', async () => {
    const { board: b, desktop } = await boardVsDesktop('test/fixtures/data/seed.csv', ['--no-bias', '--lr', '0.01', '--epochs', '100']);
    expect(b[0]).toMatchObject({ type: 'start', source: 'board', samples: 3, features: 1 });
    // The settings come back as the numbers sent (Espruino writes their bits, not its decimals).
    expect((b[0] as { config: unknown }).config).toEqual((desktop[0] as { config: unknown }).config);
    expect(trajectory(b)).toHaveLength(102);
    expect(trajectory(b)).toEqual(trajectory(desktop));
  });

  it('Adam with shuffled mini-batches, a seed, a validation split and standardization: the same trajectory', async () => {
    const opts = ['--optimizer', 'adam', '--lr', '0.05', '--batch', '4', '--shuffle', '--seed', '7', '--epochs', '60', '--val-split', '0.2', '--standardize'];
    const { board: b, desktop } = await boardVsDesktop('test/fixtures/data/two-features-noisy.csv', opts);
    expect(trajectory(b).length).toBeGreaterThan(10);
    expect(trajectory(b)).toEqual(trajectory(desktop));
    expect(trajectory(b)[1]).toHaveProperty('val_loss');
  });

  it('per-sample SGD: the same trajectory', async () => {
    const opts = ['--optimizer', 'sgd', '--lr', '0.02', '--batch', '1', '--epochs', '30'];
    const { board: b, desktop } = await boardVsDesktop('test/fixtures/data/two-features.csv', opts);
    expect(trajectory(b)).toHaveLength(32);
    expect(trajectory(b)).toEqual(trajectory(desktop));
  });

  it('per-sample SGD with momentum, with decimals Espruino would read inexactly (momentum 0.95): the same trajectory', async () => {
    const opts = ['--optimizer', 'momentum', '--momentum', '0.95', '--lr', '0.003', '--batch', '1', '--epochs', '40'];
    const { board: b, desktop } = await boardVsDesktop('test/fixtures/data/two-features.csv', opts);
    expect((trajectory(b).pop() as { reason: string }).reason).toBe('epochs');
    expect(trajectory(b)).toEqual(trajectory(desktop));
  });

  it("a run that diverges names its numbers in the message as `host run` does", async () => {
    const opts = ['--no-bias', '--lr', '3', '--epochs', '20'];
    const { board: b, desktop } = await boardVsDesktop('test/fixtures/data/seed.csv', opts, 2);
    const done = trajectory(b).pop() as { reason: string; message: string };
    expect(done.reason).toBe('diverged');
    expect(done.message).toMatch(/the learning rate 3 is too high for this data; try --lr 0\.3 or smaller/);
    expect(trajectory(b)).toEqual(trajectory(desktop));
  });

  it('keeps the firmware across a power cycle (it runs from Storage at boot) and says hello again', async () => {
    let out = '';
    const off = board.onOutput((b) => (out += Buffer.from(b).toString('latin1')));
    try {
      await board.reset();
      const t0 = Date.now();
      while (!/"type":"hello"/.test(out) && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 50));
    } finally {
      off();
    }
    expect(out).toMatch(/"type":"hello".*"runtime":"espruino 2v29/);
    // A power cycle loses the dataset (RAM): the next test sends its own.
  });

  it('refuses what Espruino cannot compute exactly, with the reason', async () => {
    const res = await host(['train', '--port', board.path, '--data', 'test/fixtures/data/seed.csv', '--schedule', 'cosine', '--epochs', '5', '--no-plot']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/cosine schedule needs Math\.cos, which Espruino approximates/);
  });

  it('a dataset larger than the board holds gets a message that names its limit, before anything is sent', async () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'x,y\n' + Array.from({ length: 1100 }, (_, i) => `${i / 100},${i / 50}`).join('\n') + '\n');
    const res = await host(['send', big, '--port', board.path]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/1100 rows do not fit the board's capacity of \d+ samples \(what this Espruino board's free memory held when its firmware started\)/);
  });
});

describe('the other board commands on Espruino boards', () => {
  beforeAll(async () => {
    second = await startVirtualEspruino();
    const flash = await host(['flash', '--port', second.path], { timeoutMs: 180000 });
    expect(flash.code, flash.stderr + flash.stdout).toBe(0);
  }, 240000);

  it('compare: two optimizers on two Espruino boards run as on the desktop', async () => {
    const common = ['--optimizers', 'sgd,adam:0.05', '--data', 'test/fixtures/data/seed.csv', '--no-bias', '--epochs', '30'];
    const desk = join(dir, 'cmp-desk');
    const boards = join(dir, 'cmp-boards');
    expect((await host(['compare', ...common, '--desktop', '--runs', desk])).code).toBe(0);
    const b = await host(['compare', ...common, '--port', board.path, '--port', second.path, '--runs', boards], { timeoutMs: 180000 });
    expect(b.code, b.stderr).toBe(0);
    const fromBoards = runFiles(boards);
    expect([...fromBoards.keys()]).toEqual(['1-sgd.ndjson', '2-adam_0.05.ndjson']);
    for (const [name, recs] of fromBoards) expect(recs, name).toEqual(runFiles(desk).get(name));
  });

  it('surface: a walk on Rosenbrock, step for step as on the desktop', async () => {
    const args = ['surface', '--fn', 'rosenbrock', '--optimizers', 'momentum,adam', '--steps', '120'];
    const desk = join(dir, 'surf-desk');
    const boards = join(dir, 'surf-board');
    expect((await host([...args, '--desktop', '--runs', desk])).code).toBe(0);
    const b = await host([...args, '--port', board.path, '--runs', boards], { timeoutMs: 180000 });
    expect(b.code, b.stderr).toBe(0);
    const fromBoard = runFiles(boards);
    expect(fromBoard.size).toBe(2);
    for (const [name, recs] of fromBoard) {
      expect(recs.filter((r) => r.type === 'step')).toHaveLength(121);
      expect(recs, name).toEqual(runFiles(desk).get(name));
    }
  });

  it('the parallel chapter: two Espruino boards as workers of a synchronous run reach the true parameters', async () => {
    const out = join(dir, 'sync.ndjson');
    const r = await host(['distributed', '--algorithm', 'sync', '--port', board.path, '--port', second.path, '--data', 'test/fixtures/data/two-features.csv', '--lr', '0.05', '--epochs', '600', '--format', 'ndjson', '--out', out], {
      timeoutMs: 240000,
      env: { PICO_TRAINER_HUBS: join(dir, 'hubs') },
    });
    expect(r.code, r.stderr).toBe(0);
    const recs = records(readFileSync(out, 'utf8'));
    expect(recs[0]).toMatchObject({ type: 'start', source: 'board', parallel: { algorithm: 'sync', workers: 2 } });
    const done = recs[recs.length - 1] as { type: string; w: number[]; b: number };
    expect(done.type).toBe('done');
    expect(Math.abs(done.w[0] - 2)).toBeLessThan(1e-4);
    expect(Math.abs(done.w[1] + 3)).toBeLessThan(1e-4);
    expect(Math.abs(done.b - 1)).toBeLessThan(1e-4);
  });

  it('the worker role: two Espruino boards pushing while they train (EASGD), replayed on the desktop push for push', async () => {
    const out = join(dir, 'workers', 'run.ndjson');
    const data = 'test/fixtures/data/two-features.csv';
    const r = await host(['distributed', '--algorithm', 'easgd', '--port', board.path, '--port', second.path, '--data', data, '--lr', '0.02', '--batch', '1', '--epochs', '4000', '--format', 'ndjson', '--out', out], {
      timeoutMs: 240000,
      env: { PICO_TRAINER_HUBS: join(dir, 'hubs') },
    });
    expect(r.code, r.stderr).toBe(0);
    const recs = records(readFileSync(out, 'utf8'));
    expect(recs[0]).toMatchObject({ type: 'start', source: 'board', parallel: { algorithm: 'easgd', workers: 2, push: [4, 4] } });
    const done = recs[recs.length - 1] as DoneRecord;
    expect(done.reason).toBe('epochs');
    const boards = [0, 1].map((k) => records(readFileSync(boardFile(out, k), 'utf8')));
    for (const b of boards) expect(b.filter((x) => x.type === 'push').length).toBeGreaterThan(3);
    const replay = replayBoardRun(recs, boards, parseCsvText(readFileSync(data, 'utf8'), data));
    expect(replay.mismatches).toEqual([]);
    expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
  });
});

describe('the variable budget of an Espruino Pico', () => {
  it('holds as many samples of 8 features as its hello says, and trains them with the costliest settings without running out', async () => {
    const link = new BoardLink(await openPort(board.path));
    try {
      link.runtime = 'espruino';
      const status = await link.status();
      const n = status.capacity!.samples;
      const packed = new Float32Array(n * 9);
      for (let i = 0; i < packed.length; i++) packed[i] = Math.fround(((i * 7919) % 1000) / 500 - 1);
      await link.uploadDataset(packed, 8);
      const config = resolveConfig({ optimizer: 'rmsprop', centered: true, momentum: 0.9, lr: 0.001, batch: 8, shuffle: true, valSplit: 0.2, standardize: true, epochs: 2 }, 8);
      const done = link.waitForRecord((r) => r.type === 'done', 120000);
      let out = '';
      const off = board.onOutput((b) => (out += Buffer.from(b).toString('latin1')));
      await link.sendCommand({ op: 'config', config: config as unknown as Record<string, unknown> });
      await link.sendCommand({ op: 'start' });
      expect(await done).toMatchObject({ type: 'done', reason: 'epochs', epoch: 2 });
      off();
      expect(out).not.toMatch(/Out of Memory/);
      expect(board.stats().peakVariables).toBeLessThanOrEqual(5100);
    } finally {
      await link.close();
    }
  }, 180000);
});
