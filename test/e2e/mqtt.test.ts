// Several laptops (issue 11): the teacher's host is the parameter server, a student's host joins
// over MQTT and its boards become workers of the same run. Two host processes on this machine, each
// with its own virtual Picos: the teacher with the broker it embeds (aedes), or with Mosquitto
// (--broker); a student that vanishes mid-run is one unplugged board to the teacher, and a student
// that joins late takes its place. Also the one-line errors: no broker, a port in use, a run that ended.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatF32, parseRecord, type DoneRecord, type ProtocolRecord, type StartRecord } from '../../shared/protocol.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { boardFile } from '../../host/distributed/boards.ts';
import { replayBoardRun } from '../../host/distributed/replay.ts';
import { parseCsvText } from '../../host/csv.ts';
import { tempDir } from '../helpers/temp.ts';
import { host, hostInBackground, ROOT, type Running } from './cli.ts';

const DATA = join(ROOT, 'test/fixtures/data/two-features.csv');
// In rounds (--round 1); the worker role has a test of its own below.
const EASGD = ['--algorithm', 'easgd', '--data', DATA, '--lr', '0.02', '--batch', '1', '--format', 'ndjson', '--round', '1'];
const dir = tempDir('pico-mqtt-');
const env = { PICO_TRAINER_HUBS: join(dir, 'hubs') };
const picos: VirtualPico[] = [];

// Debian installs it in /usr/sbin, which a user's PATH may leave out.
const MOSQUITTO = spawnSync('sh', ['-c', 'command -v mosquitto || { test -x /usr/sbin/mosquitto && echo /usr/sbin/mosquitto; }'], { encoding: 'utf8' }).stdout.trim();
const hasMosquitto = MOSQUITTO !== '';
if (!hasMosquitto) {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! SKIPPING the Mosquitto test: no mosquitto binary on this machine.\n!! Install it with: apt-get install -y mosquitto   (.ci/run does this on CI)\n${line}\n`);
}

function records(file: string): ProtocolRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => parseRecord(l))
    .filter((r): r is ProtocolRecord => r !== null);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(what: string, ok: () => boolean, ms = 20000, watch: Running[] = []): Promise<void> {
  for (const t0 = Date.now(); !ok(); ) {
    if (Date.now() - t0 > ms) throw new Error(`waited ${ms} ms for ${what}\n${watch.map((r) => `stderr: ${r.err()}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Its exit code, within `ms` (else it is killed and the test fails with its output). */
async function exitOf(r: Running, ms = 40000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      r.child.kill('SIGKILL');
      reject(new Error(`did not finish in ${ms} ms\nstdout: ${r.out().slice(-2000)}\nstderr: ${r.err()}`));
    }, ms);
  });
  try {
    return await Promise.race([r.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

const teacher = (out: string, args: string[]) => hostInBackground(['distributed', ...EASGD, '--out', out, ...args], { env });
const student = (url: string, boards: VirtualPico[]) => hostInBackground(['distributed', '--join', url, ...boards.flatMap((p) => ['--port', p.path])], { env });

function expectTruth(done: DoneRecord, tol: number): void {
  expect(Math.abs(done.w[0] - 2)).toBeLessThan(tol);
  expect(Math.abs(done.w[1] + 3)).toBeLessThan(tol);
  expect(Math.abs(done.b - 1)).toBeLessThan(tol);
}

beforeAll(async () => {
  for (let i = 0; i < 4; i++) picos.push(await startVirtualPico());
  const flashes = await Promise.all(picos.map((p) => host(['flash', '--port', p.path], { env, timeoutMs: 120000 })));
  for (const f of flashes) expect(f.code, f.stderr).toBe(0);
}, 180000);

afterAll(async () => {
  await Promise.all(picos.map((p) => p.close()));
});

describe('the server over MQTT', () => {
  it('trains one model with a teacher (embedded broker, one board) and a student (two boards)', async () => {
    const port = await freePort();
    const out = join(mkdtempSync(join(dir, 'aedes-')), 'run.ndjson');
    const t = teacher(out, ['--listen', '--mqtt-port', String(port), '--workers', '3', '--port', picos[0].path, '--epochs', '100']);
    const url = `mqtt://127.0.0.1:${port}`;
    await until('the join command', () => t.err().includes(`npx host distributed --join ${url} --port <their board>`), 20000, [t]);
    expect(t.err()).toMatch(/waiting for 3 workers: 1 here/);
    const s = student(url, [picos[1], picos[2]]);
    expect(await exitOf(t), t.err()).toBe(0);
    expect(await exitOf(s, 10000), s.err()).toBe(0);
    expect(t.err()).toMatch(/joined: .+:\/dev\/pts\/\d+ \(2 of 3 workers\)/);
    expect(t.err()).toMatch(/joined: .+:\/dev\/pts\/\d+ \(3 of 3 workers\)/);
    expect(s.err()).toMatch(/joined run \w+ \(easgd\)/);
    expect(s.err()).toMatch(/the run ended \(epochs\)/);

    const recs = records(out);
    const start = recs[0] as StartRecord;
    expect(start).toMatchObject({ type: 'start', source: 'board', parallel: { algorithm: 'easgd', workers: 3 } });
    const names = start.parallel?.ports as string[];
    expect(names[0]).toBe(picos[0].path);
    for (const p of [picos[1], picos[2]]) expect(names.some((n) => n.endsWith(`:${p.path}`))).toBe(true);
    const done = recs[recs.length - 1] as DoneRecord;
    expect(done).toMatchObject({ type: 'done', reason: 'epochs', counts: { lost_boards: 0 } });
    expectTruth(done, 1e-4);
    // The student's boards' own records came over the network to files beside the server's, and
    // the run replays on the desktop bit for bit: every round started where the server said (its
    // parameters crossed as float32 bits) and ended where the board's done record says.
    const boards = [0, 1, 2].map((k) => records(boardFile(out, k)));
    for (const b of boards) {
      expect(b[0]).toMatchObject({ type: 'start', source: 'board' });
      expect(b.filter((r) => r.type === 'done').length).toBeGreaterThan(10);
    }
    const replay = replayBoardRun(recs, boards, parseCsvText(readFileSync(DATA, 'utf8'), DATA));
    expect(replay.mismatches).toEqual([]);
    expect(replay.rounds).toBe(done.counts?.updates);
    expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
  }, 60000);

  it('gives one clear line for a broker that does not answer and for a port in use', async () => {
    const nobody = await freePort();
    const r = await host(['distributed', '--join', `mqtt://127.0.0.1:${nobody}`, '--port', picos[3].path], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^host: --join mqtt://127\\.0\\.0\\.1:${nobody}: no MQTT broker answers \\(connection refused\\); is the teacher's host running`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
    const taken = (busy.address() as AddressInfo).port;
    try {
      const t = await host(['distributed', ...EASGD, '--listen', '--mqtt-port', String(taken), '--workers', '2'], { env });
      expect(t.code).toBe(1);
      expect(t.stderr).toBe(`host: --mqtt-port ${taken}: the port is in use (another MQTT broker, such as Mosquitto?); choose another --mqtt-port, or use that broker with --broker mqtt://127.0.0.1:${taken}\n`);
    } finally {
      busy.close();
    }
    const j = await host(['distributed', '--join', 'mqtt://127.0.0.1:1', '--algorithm', 'easgd', '--port', picos[3].path], { env });
    expect(j.stderr).toMatch(/^host: --algorithm: the teacher's host chooses the run's settings; with --join give only this laptop's boards/);
  }, 30000);

  describe.skipIf(!hasMosquitto)('with Mosquitto as the broker', () => {
    let mosquitto: ChildProcess | null = null;
    let port = 0;
    beforeAll(async () => {
      port = await freePort();
      const conf = join(dir, 'mosquitto.conf');
      writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\n`);
      mosquitto = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((ok) => {
          const c = createConnection(port, '127.0.0.1', () => (c.end(), ok(true)));
          c.on('error', () => ok(false));
        });
        if (up) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('mosquitto did not start');
    });
    afterAll(() => {
      mosquitto?.kill('SIGTERM');
    });

    it('trains one model through Mosquitto, and a run that ended says so', async () => {
      const url = `mqtt://127.0.0.1:${port}`;
      const out = join(mkdtempSync(join(dir, 'mosquitto-')), 'run.ndjson');
      const t = teacher(out, ['--broker', url, '--workers', '2', '--port', picos[0].path, '--epochs', '100']);
      await until('the join command', () => t.err().includes(`--join ${url}`), 20000, [t]);
      const s = student(url, [picos[1]]);
      expect(await exitOf(t), t.err()).toBe(0);
      expect(await exitOf(s, 10000), s.err()).toBe(0);
      const done = records(out).pop() as DoneRecord;
      expect(done).toMatchObject({ type: 'done', reason: 'epochs' });
      expectTruth(done, 1e-4);
      // The broker keeps the announcement: a student that comes now hears that the run ended.
      const late = await host(['distributed', '--join', url, '--port', picos[3].path], { env });
      expect(late.code).toBe(1);
      expect(late.stderr).toMatch(new RegExp(`^host: --join ${url}: run \\w+ has ended \\(epochs\\); ask the teacher for the next one\\n$`));
    }, 60000);

    it('trains one model through Mosquitto in the worker role, replayed push for push', async () => {
      const url = `mqtt://127.0.0.1:${port}`;
      const out = join(mkdtempSync(join(dir, 'mosquitto-worker-')), 'run.ndjson');
      const t = hostInBackground(['distributed', ...EASGD.slice(0, -2), '--out', out, '--broker', url, '--workers', '2', '--port', picos[0].path, '--epochs', '6000'], { env });
      await until('the join command', () => t.err().includes(`--join ${url}`), 20000, [t]);
      const s = student(url, [picos[1]]);
      expect(await exitOf(t), t.err()).toBe(0);
      expect(await exitOf(s, 10000), s.err()).toBe(0);
      expect(s.err()).toMatch(/training in its worker role/);
      const recs = records(out);
      const done = recs[recs.length - 1] as DoneRecord;
      expect(done).toMatchObject({ type: 'done', reason: 'epochs' });
      expectTruth(done, 1e-4);
      const replay = replayBoardRun(recs, [0, 1].map((k) => records(boardFile(out, k))), parseCsvText(readFileSync(DATA, 'utf8'), DATA));
      expect(replay.mismatches).toEqual([]);
      expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
    }, 60000);
  });

  it('treats a student that vanishes like an unplugged board; a late joiner takes its place; Ctrl-C leaves', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const out = join(mkdtempSync(join(dir, 'vanish-')), 'run.ndjson');
    const t = teacher(out, ['--listen', '--mqtt-port', String(port), '--workers', '2', '--port', picos[0].path, '--epochs', '600']);
    await until('the join command', () => t.err().includes(`--join ${url}`), 20000, [t]);
    const a = student(url, [picos[1]]);
    const epochs = () => (t.out().match(/"type":"epoch"/g) ?? []).length;
    await until('some epochs with both workers', () => epochs() >= 20, 30000, [t, a]);
    a.child.kill('SIGKILL');
    await until('the teacher to notice', () => /board 2 \(.+\) is gone/.test(t.err()), 20000, [t]);
    expect(t.err()).toMatch(new RegExp(`board 2 \\(.+:${picos[1].path}\\) is gone: .+'s host vanished \\(its connection to the broker dropped\\); the server goes on with the others`));
    // A student that joins now takes the free place; one that stops with Ctrl-C says it leaves.
    const b = student(url, [picos[2]]);
    await until('the late joiner to train', () => b.err().includes('training rounds'), 20000, [t, b]);
    expect(t.err()).toMatch(new RegExp(`.+:${picos[2].path} takes the place of board 2: its shard, from the current parameters`));
    b.child.kill('SIGINT');
    expect(await exitOf(b, 10000), b.err()).toBe(0);
    expect(b.err()).toMatch(/left run \w+ \(Ctrl-C\); the teacher goes on without this board/);
    expect(await exitOf(t), t.err()).toBe(0);
    expect(t.err()).toMatch(new RegExp(`board 2 \\(.+:${picos[2].path}\\) is gone: .+ left the run \\(Ctrl-C on .+\\); the server goes on with the others`));
    const recs = records(out);
    const done = recs[recs.length - 1] as DoneRecord;
    expect(done).toMatchObject({ type: 'done', reason: 'epochs', counts: { lost_boards: 2, joined_late: 1 } });
    expectTruth(done, 1e-4);
    // Replayed: place 2's file holds the vanished student's rounds, then the late joiner's, from the
    // server's parameters when it took the place; the server's end comes out bit for bit.
    const boards = [0, 1].map((k) => records(boardFile(out, k)));
    const replay = replayBoardRun(recs, boards, parseCsvText(readFileSync(DATA, 'utf8'), DATA));
    expect(replay.mismatches).toEqual([]);
    expect(replay.rounds).toBe(done.counts?.updates);
    expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
  }, 60000);

  it("the worker role over the network: boards push while they train, a late joiner takes a vanished student's place, and the run replays push for push", async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const out = join(mkdtempSync(join(dir, 'worker-')), 'run.ndjson');
    const args = EASGD.slice(0, -2);
    const t = hostInBackground(['distributed', ...args, '--out', out, '--listen', '--mqtt-port', String(port), '--workers', '2', '--port', picos[0].path, '--epochs', '20000'], { env });
    await until('the join command', () => t.err().includes(`--join ${url}`), 20000, [t]);
    const a = student(url, [picos[1]]);
    await until('the student to train in its worker role', () => a.err().includes('training in its worker role'), 20000, [t, a]);
    const pushes = (k: number) => {
      try {
        return records(boardFile(out, k)).filter((r) => r.type === 'push').length;
      } catch {
        return 0;
      }
    };
    await until('pushes from both boards', () => pushes(0) > 5 && pushes(1) > 5, 30000, [t, a]);
    a.child.kill('SIGKILL');
    await until('the teacher to notice', () => /board 2 \(.+\) is gone/.test(t.err()), 20000, [t]);
    const b = student(url, [picos[2]]);
    await until('the late joiner to train', () => b.err().includes('training in its worker role'), 20000, [t, b]);
    expect(t.err()).toMatch(new RegExp(`.+:${picos[2].path} takes the place of board 2: its shard, from the current parameters`));
    expect(await exitOf(t), t.err()).toBe(0);
    expect(await exitOf(b, 10000), b.err()).toBe(0);
    const recs = records(out);
    const start = recs[0] as StartRecord;
    expect(start.parallel).toMatchObject({ algorithm: 'easgd', workers: 2, push: [4, 4] });
    const done = recs[recs.length - 1] as DoneRecord;
    expect(done).toMatchObject({ type: 'done', reason: 'epochs', counts: { lost_boards: 1, joined_late: 1 } });
    expectTruth(done, 1e-4);
    // Place 2's file: the vanished student's run, then the late joiner's, from the server's parameters then.
    const boards = [0, 1].map((k) => records(boardFile(out, k)));
    expect(boards[1].filter((r) => r.type === 'start')).toHaveLength(2);
    const replay = replayBoardRun(recs, boards, parseCsvText(readFileSync(DATA, 'utf8'), DATA));
    expect(replay.mismatches).toEqual([]);
    expect(replay.rounds).toBeGreaterThanOrEqual(done.counts?.updates ?? 0);
    expect(Array.from(replay.server, formatF32)).toEqual([...done.w, done.b].map(formatF32));
  }, 90000);
});
