// Boards as workers in rounds (issue 11's first form, --round): four virtual Picos through serialport train one model
// with this computer as the parameter server. Every supported algorithm converges on noiseless data;
// the run file holds the server's records (updates with their staleness, the global curve, each
// board's own) and each board's records sit beside it; an unplugged board leaves the others going.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatF32, type DoneRecord, type StartRecord, type UpdateRecord } from '../../shared/protocol.ts';
import { parseCsvText } from '../../host/csv.ts';
import { boardFile } from '../../host/distributed/boards.ts';
import { replayBoardRun } from '../../host/distributed/replay.ts';
import { startVirtualPico } from '../../host/sim/virtual-pico.ts';
import { tempDir } from '../helpers/temp.ts';
import { fileRecords, host, hostInBackground, ROOT } from './cli.ts';
import { expectTrueEnd, flashedPicos } from './picos.ts';

const DATA = join(ROOT, 'test/fixtures/data/two-features.csv');
const dir = tempDir('pico-boards-');
const env = { PICO_TRAINER_HUBS: join(dir, 'hubs') };
const picos = flashedPicos(4, env);

const records = fileRecords;

const ports = () => picos.flatMap((p) => ['--port', p.path]);

/** A `host` command left running, to interrupt. */
const spawnHost = (args: string[]) => hostInBackground(args, { env });


describe('boards as workers', () => {
  const SETTINGS: Record<string, string[]> = {
    downpour: ['--lr', '0.3', '--local-lr', '0.02', '--batch', '1', '--epochs', '300', '--round', '1'],
    easgd: ['--lr', '0.02', '--batch', '1', '--epochs', '100', '--round', '1'],
    sync: ['--lr', '0.05', '--epochs', '600'],
  };
  for (const [algorithm, options] of Object.entries(SETTINGS)) {
    it(`${algorithm}: four boards reach the true parameters within 1e-4, and the run file says how`, async () => {
      const out = join(mkdtempSync(join(dir, `${algorithm}-`)), 'run.ndjson');
      const r = await host(['distributed', '--algorithm', algorithm, ...ports(), '--data', DATA, ...options, '--format', 'ndjson', '--out', out], { env, timeoutMs: 120000 });
      expect(r.code, r.stderr).toBe(0);
      const recs = records(out);
      expect(recs[0]).toMatchObject({ type: 'start', source: 'board', parallel: { algorithm, workers: 4, ports: picos.map((p) => p.path) } });
      const { done, updates } = expectTrueEnd(recs, 1e-4);
      if (algorithm === 'sync') expect(updates.every((u) => u.staleness === 0)).toBe(true);
      else expect(Math.max(...updates.map((u) => u.staleness))).toBeGreaterThan(0);
      expect(recs.filter((x) => x.type === 'worker')).toHaveLength(4 * recs.filter((x) => x.type === 'epoch').length);
      // Each board's own records, beside the server's: rounds, each opening with its start record.
      const boards = readdirSync(join(out, '..')).filter((f) => /-board\d\.ndjson$/.test(f)).sort();
      expect(boards).toHaveLength(4);
      for (const f of boards) {
        const b = records(join(out, '..', f));
        expect(b[0].type).toBe('start');
        expect((b[0] as StartRecord).source).toBe('board');
      }
      // Replayed on the desktop in the order the server applied the pushes: every round ends where
      // the board's did, and the server's parameters come out bit for bit.
      const replay = replayBoardRun(recs, boards.map((f) => records(join(out, '..', f))), parseCsvText(readFileSync(DATA, 'utf8'), DATA));
      expect(replay.mismatches).toEqual([]);
      expect(replay.rounds).toBe(updates.length);
      expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
    }, 120000);
  }

  it("sync: three boards, one seed sample each, fit the seed scripts' y = w·x at the barrier (w = 2 within 1e-4)", async () => {
    const SEED = join(ROOT, 'test/fixtures/data/seed.csv');
    const out = join(mkdtempSync(join(dir, 'seed-sync-')), 'run.ndjson');
    const r = await host(['distributed', '--algorithm', 'sync', ...picos.slice(0, 3).flatMap((p) => ['--port', p.path]), '--data', SEED, '--no-bias', '--lr', '0.05', '--epochs', '200', '--format', 'ndjson', '--out', out], { env, timeoutMs: 120000 });
    expect(r.code, r.stderr).toBe(0);
    const recs = records(out);
    const done = recs[recs.length - 1] as DoneRecord;
    expect(done.reason).toBe('epochs');
    expect(Math.abs(done.w[0] - 2)).toBeLessThan(1e-4);
    const replay = replayBoardRun(recs, [0, 1, 2].map((k) => records(boardFile(out, k))), parseCsvText(readFileSync(SEED, 'utf8'), SEED));
    expect(replay.mismatches).toEqual([]);
    expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
  }, 120000);

  it('goes on with the others when a board is unplugged, and says so', async () => {
    const out = join(mkdtempSync(join(dir, 'unplug-')), 'run.ndjson');
    const run = host(['distributed', '--algorithm', 'easgd', '--round', '1', ...ports(), '--data', DATA, '--lr', '0.02', '--batch', '1', '--epochs', '300', '--format', 'ndjson', '--out', out], { env, timeoutMs: 120000 });
    // Pull one board's cable once the rounds are going.
    let heard = 0;
    const off = picos[3].onOutput((b) => (heard += b.length));
    for (let i = 0; i < 200 && heard < 20000; i++) await new Promise((r) => setTimeout(r, 50));
    off();
    await picos[3].unplug();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/board 4 \(\/dev\/pts\/\d+\) is gone: .*the server goes on with the others/);
    const all = records(out);
    const done = all.pop() as DoneRecord;
    expect(done).toMatchObject({ type: 'done', reason: 'epochs', counts: { lost_boards: 1 } });
    // The run file says when it happened, as a worker_state record.
    expect(all.filter((x) => x.type === 'worker_state')).toEqual([expect.objectContaining({ type: 'worker_state', worker: 3, state: 'gone', message: expect.stringMatching(/^board 4 .* is gone/) })]);
    expect(Math.abs(done.w[0] - 2)).toBeLessThan(1e-3);
    const path = await picos[3].replug();
    expect((await host(['flash', '--port', path], { env, timeoutMs: 120000 })).code).toBe(0);
  }, 180000);

  it('applies a far slower board\'s stale pushes, recording their staleness, and never waits for it', async () => {
    // A fifth board at the real board's pace among four at desktop pace.
    const slow = await startVirtualPico({ pace: 'board' });
    try {
      expect((await host(['flash', '--port', slow.path], { env, timeoutMs: 180000 })).code).toBe(0);
      const out = join(mkdtempSync(join(dir, 'slow-')), 'run.ndjson');
      const r = await host(['distributed', '--algorithm', 'easgd', '--round', '1', ...ports(), '--port', slow.path, '--data', DATA, '--lr', '0.02', '--batch', '1', '--epochs', '60', '--format', 'ndjson', '--out', out], { env, timeoutMs: 180000 });
      expect(r.code, r.stderr).toBe(0);
      const recs = records(out);
      const updates = recs.filter((x): x is UpdateRecord => x.type === 'update');
      const fromSlow = updates.filter((u) => u.worker === 4);
      const fromFast = updates.filter((u) => u.worker < 4);
      expect(fromSlow.length).toBeGreaterThan(0);
      // The fast boards pushed many times for each of the slow board's pushes, which arrive stale.
      expect(fromFast.length).toBeGreaterThan(4 * fromSlow.length);
      expect(Math.max(...fromSlow.map((u) => u.staleness))).toBeGreaterThan(10);
      expect((recs[recs.length - 1] as DoneRecord).reason).toBe('epochs');
    } finally {
      await slow.close();
    }
  }, 240000);

  it('gives a board that restarts mid-run its shard again and the current parameters, and stops every board on Ctrl-C with the files complete', async () => {
    const out = join(mkdtempSync(join(dir, 'reset-')), 'run.ndjson');
    const run = spawnHost(['distributed', '--algorithm', 'downpour', '--round', '1', ...ports(), '--data', DATA, '--lr', '0.3', '--local-lr', '0.02', '--batch', '1', '--epochs', '100000', '--format', 'ndjson', '--out', out]);
    let heard = 0;
    const off = picos[2].onOutput((b) => (heard += b.length));
    for (let i = 0; i < 200 && heard < 20000; i++) await new Promise((r) => setTimeout(r, 50));
    off();
    await picos[2].reset();
    for (let i = 0; i < 200 && !/board 3 .* restarted/.test(run.err()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(run.err()).toMatch(/board 3 \(\/dev\/pts\/\d+\) restarted: it has its shard again and starts from the current parameters/);
    // It trains again: its file gains rounds after the reboot.
    const boardFile3 = () => readdirSync(join(out, '..')).find((x) => /-board3\.ndjson$/.test(x)) as string;
    const afterReboot = () => {
      const b = records(join(out, '..', boardFile3()));
      return b.slice(b.findIndex((x) => x.type === 'hello') + 1).filter((x) => x.type === 'done').length;
    };
    for (let i = 0; i < 200 && afterReboot() < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(afterReboot()).toBeGreaterThanOrEqual(2);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const recs = records(out);
    expect(recs[recs.length - 1]).toMatchObject({ type: 'done', reason: 'stopped', message: 'stopped by Ctrl-C', counts: { lost_boards: 0, rejoined: 1 } });
    expect(recs.filter((x) => x.type === 'worker_state')).toEqual([expect.objectContaining({ worker: 2, state: 'back' })]);
    // Every board file ends with a complete round: its done record.
    const boardFiles = readdirSync(join(out, '..')).filter((x) => /-board\d\.ndjson$/.test(x)).sort();
    for (const f of boardFiles) {
      const b = records(join(out, '..', f));
      expect(b[b.length - 1].type).toBe('done');
    }
    // Replayed on the desktop, the restart included (board 3's unfinished round passed over, its
    // next round from the server's parameters when it came back): the server's end, bit for bit.
    const done = recs[recs.length - 1] as DoneRecord;
    const replay = replayBoardRun(recs, boardFiles.map((f) => records(join(out, '..', f))), parseCsvText(readFileSync(DATA, 'utf8'), DATA));
    expect(replay.mismatches).toEqual([]);
    expect(replay.rounds).toBe(recs.filter((x) => x.type === 'update').length);
    expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
  }, 120000);

  it('refuses what boards cannot do yet, before anything is sent', async () => {
    const r = await host(['distributed', '--algorithm', 'hogwild', '--round', '2', ...ports(), '--data', DATA], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--algorithm hogwild: boards train downpour, easgd, sync in rounds \(--round\); hogwild runs on boards in their worker role \(leave out --round\), or simulated/);
    const s = await host(['distributed', '--algorithm', 'easgd', ...ports(), '--data', DATA, '--latency-us', '5'], { env });
    expect(s.stderr).toMatch(/--latency-us: a setting of the simulated cluster; with boards the real ones count/);
  }, 60000);
});
