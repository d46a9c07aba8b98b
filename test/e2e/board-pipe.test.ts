// The board pipe end to end, as a teacher runs it: `host flash`, `host send`, `host train
// --monitor` through serialport against the virtual Pico (QuickJS running the real firmware
// bundle behind a pseudo-terminal), and the run file compared with `host run` on the desktop.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { host } from './cli.ts';
import { tempDir } from '../helpers/temp.ts';

let pico: VirtualPico;
const dir = tempDir('pico-e2e-');

function records(text: string): ProtocolRecord[] {
  return text
    .split('\n')
    .map((l) => parseRecord(l))
    .filter((r): r is ProtocolRecord => r !== null);
}

/** The records that must agree between board and desktop: every epoch and the done record. */
function trajectory(rs: ProtocolRecord[]): ProtocolRecord[] {
  return rs.filter((r) => r.type === 'epoch' || r.type === 'done');
}

async function boardVsDesktop(data: string, options: string[]): Promise<{ board: ProtocolRecord[]; desktop: ProtocolRecord[] }> {
  const send = await host(['send', data, '--port', pico.path]);
  expect(send.code, send.stderr).toBe(0);
  expect(send.stdout).toMatch(/the board confirmed \d+ samples, checksum [0-9a-f]{8}/);

  const out = join(dir, `run-${Date.now()}.ndjson`);
  const train = await host(['train', '--port', pico.path, ...options, '--monitor', '--no-plot', '--out', out], { timeoutMs: 120000 });
  expect(train.code, train.stderr + train.stdout).toBe(0);
  const board = records(readFileSync(out, 'utf8'));

  const run = await host(['run', '--data', data, ...options, '--format', 'ndjson']);
  expect(run.code, run.stderr).toBe(0);
  const desktop = records(run.stdout);
  return { board, desktop };
}

beforeAll(async () => {
  pico = await startVirtualPico();
  const flash = await host(['flash', '--port', pico.path], { timeoutMs: 120000 });
  expect(flash.code, flash.stderr + flash.stdout).toBe(0);
}, 180000);

afterAll(async () => {
  await pico?.close();
});

describe('the board pipe against the virtual Pico', () => {
  it('full-batch GD on the seed data: the run file equals `host run`, record for record', async () => {
    const { board, desktop } = await boardVsDesktop('test/fixtures/data/seed.csv', ['--no-bias', '--lr', '0.01', '--epochs', '100']);
    expect(board[0]).toMatchObject({ type: 'start', source: 'board', samples: 3, features: 1 });
    expect(desktop[0]).toMatchObject({ type: 'start', source: 'desktop' });
    expect((board[0] as { config: unknown }).config).toEqual((desktop[0] as { config: unknown }).config);
    expect(trajectory(board)).toHaveLength(102);
    // Float32 values print as their shortest exact decimal: equal text means equal bits.
    expect(trajectory(board)).toEqual(trajectory(desktop));
    const done = board[board.length - 1];
    expect(done).toMatchObject({ type: 'done', reason: 'epochs', epoch: 100 });
    expect(Math.abs((done as { w: number[] }).w[0] - 1.99994433)).toBeLessThan(2e-7);
  });

  it('Adam with shuffled mini-batches and a seed: the same trajectory on the board and the desktop', async () => {
    const opts = ['--optimizer', 'adam', '--lr', '0.05', '--batch', '4', '--shuffle', '--seed', '7', '--epochs', '60', '--val-split', '0.2', '--standardize'];
    const { board, desktop } = await boardVsDesktop('test/fixtures/data/two-features-noisy.csv', opts);
    const b = trajectory(board);
    expect(b.length).toBeGreaterThan(10);
    expect(b).toEqual(trajectory(desktop));
    expect(b[1]).toHaveProperty('val_loss');
  });

  it('rejects a CSV cell that holds JavaScript before anything is sent', async () => {
    const bad = join(dir, 'evil.csv');
    writeFileSync(bad, 'x,y\n1,2\n2,1);process.exit(\n');
    const sent: number[] = [];
    const off = pico.onInput((bytes) => sent.push(bytes.length));
    const res = await host(['send', bad, '--port', pico.path]);
    off();
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/evil\.csv:3:3: .*not a number/);
    expect(sent).toEqual([]);
  });

  it('a board without the firmware gets a message that says what to run', async () => {
    const blank = await startVirtualPico();
    try {
      const res = await host(['send', 'test/fixtures/data/seed.csv', '--port', blank.path]);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/runs Kaluma 1\.2\.1 but not the pico-trainer firmware: run `npm run flash`/);
    } finally {
      await blank.close();
    }
  });
});
