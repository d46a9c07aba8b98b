// A classroom board gets unplugged, reset, fed noise, starved of a reader, interrupted while
// flashing, or found running something else. Each case against the virtual Pico ends with a clear
// message, a run file intact up to the last record received, and a documented way to go on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { buildFirmware } from '../../host/build/firmware.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { host, hostInBackground, type Running } from './cli.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('pico-faults-');
let firmware = '';
const cleanup: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  firmware = (await buildFirmware({ write: false })).code;
});

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function flashedPico(): Promise<VirtualPico> {
  const pico = await startVirtualPico({ program: firmware });
  cleanup.push(() => pico.close());
  expect((await host(['send', 'test/fixtures/data/seed.csv', '--port', pico.path])).code).toBe(0);
  return pico;
}

/** Every line of the run file is a whole record (nothing half-written), in order. */
function runFile(path: string): ProtocolRecord[] {
  const text = readFileSync(path, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  const lines = text.split('\n').filter((l) => l !== '');
  const records = lines.map((l) => parseRecord(l));
  records.forEach((r, i) => expect(r, `line ${i + 1}: ${lines[i]}`).not.toBeNull());
  return records as ProtocolRecord[];
}

function epochsOf(rs: ProtocolRecord[]): number[] {
  return rs.filter((r) => r.type === 'epoch').map((r) => (r as { epoch: number }).epoch);
}

async function until(cond: () => boolean, what: string, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function longTraining(pico: VirtualPico, out: string): Running {
  const run = hostInBackground(['train', '--port', pico.path, '--lr', '0.0001', '--epochs', '10000000', '--monitor', '--no-plot', '--out', out]);
  cleanup.push(() => void run.child.kill('SIGKILL'));
  return run;
}

const recordCount = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0);

describe('faults', () => {
  it('USB unplugged mid-stream: the monitor says what happened, the run file keeps every record', async () => {
    const pico = await flashedPico();
    const out = join(dir, 'unplug.ndjson');
    const run = longTraining(pico, out);
    await until(() => recordCount(out) > 200, '200 records');
    await pico.unplug();
    expect(await run.exited).toBe(1);
    expect(run.out()).toMatch(/lost the board on \/dev\/pts\/\d+ \(unplugged, or reset\?\)\. Every record received is in .*unplug\.ndjson \(\d+\)/);
    expect(run.out()).toMatch(/run `npx host monitor` to re-attach/);
    const recs = runFile(out);
    expect(recs[0].type).toBe('start');
    const epochs = epochsOf(recs);
    expect(epochs.length).toBeGreaterThan(150);
    expect(epochs).toEqual(epochs.map((_, i) => i)); // no gap, no duplicate, nothing lost
  });

  it('the board reset mid-training: the monitor notices the reboot and keeps what arrived', async () => {
    const pico = await flashedPico();
    const out = join(dir, 'reset.ndjson');
    const run = longTraining(pico, out);
    await until(() => recordCount(out) > 100, '100 records');
    await pico.reset();
    expect(await run.exited).toBe(1);
    expect(run.out()).toMatch(/the board restarted \(reset or power loss\): its run is gone\. \d+ records are in .*reset\.ndjson; start again with `npx host train`/);
    const recs = runFile(out);
    expect(recs[recs.length - 1].type).toBe('hello'); // the reboot itself is on record
    const epochs = epochsOf(recs);
    expect(epochs).toEqual(epochs.map((_, i) => i));
  });

  it('garbage and partial lines on the wire do not corrupt the run', async () => {
    const pico = await flashedPico();
    const out = join(dir, 'noise.ndjson');
    const run = hostInBackground(['train', '--port', pico.path, '--lr', '0.01', '--epochs', '3000', '--no-bias', '--monitor', '--no-plot', '--out', out]);
    cleanup.push(() => void run.child.kill('SIGKILL'));
    await until(() => recordCount(out) > 20, 'first records');
    const noise = ['\x00\xff\xfe garbage', '{"type":"epoch","epoch":', '\x1b[31mred\x1b[0m\r', '\r\n}{not json}\r\n', '{"type":"done"', '\x1b[2K\r\x07'];
    for (let i = 0; i < 30; i++) pico.inject(noise[i % noise.length]);
    expect(await run.exited).toBe(0);
    const recs = runFile(out);
    const desktop = await host(['run', '--data', 'test/fixtures/data/seed.csv', '--lr', '0.01', '--epochs', '3000', '--no-bias', '--format', 'ndjson']);
    const want = desktop.stdout.split('\n').map((l) => parseRecord(l)).filter((r) => r && (r.type === 'epoch' || r.type === 'done'));
    // Injected text lands between the board's lines or inside one: a record it breaks is lost, never altered.
    const got = recs.filter((r) => r.type === 'epoch' || r.type === 'done');
    const wanted = new Map(want.map((r) => [JSON.stringify(r), true]));
    for (const r of got) expect(wanted.has(JSON.stringify(r)), JSON.stringify(r)).toBe(true);
    expect(got.length).toBeGreaterThan(want.length - 30);
    expect(got[got.length - 1]).toMatchObject({ type: 'done', reason: 'epochs', epoch: 3000 });
  });

  it('a stalled host: the board drops what it cannot write, the monitor names the missing epochs, Ctrl-C still ends the file complete', async () => {
    const pico = await flashedPico();
    const out = join(dir, 'stall.ndjson');
    const run = longTraining(pico, out);
    await until(() => recordCount(out) > 50, 'first records');
    pico.stall(1500);
    await until(() => /missed epochs? \d+/.test(run.out()), 'the gap message');
    expect(run.out()).toMatch(/missed epochs? \d+(–\d+)?: the board dropped them while this computer was not reading \(busy or asleep\); the run goes on/);
    expect(pico.stats().outputDropped).toBeGreaterThan(0);
    const before = recordCount(out);
    await until(() => recordCount(out) > before + 20, 'records after the stall');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const recs = runFile(out);
    expect(recs[recs.length - 1]).toMatchObject({ type: 'done', reason: 'stopped' });
  });

  it('a board that finishes while the host is stalled: the monitor asks it, and says the end was lost', async () => {
    const pico = await flashedPico();
    const out = join(dir, 'stall-end.ndjson');
    const run = hostInBackground(['train', '--port', pico.path, '--lr', '0.001', '--epochs', '3000', '--no-bias', '--monitor', '--no-plot', '--out', out]);
    cleanup.push(() => void run.child.kill('SIGKILL'));
    await until(() => recordCount(out) > 20, 'first records');
    pico.stall(4000);
    expect(await run.exited).toBe(1);
    expect(run.out()).toMatch(/the board finished its run \(at epoch 3000\) while this computer was not reading, and its last records were lost\. \d+ records are in .*stall-end\.ndjson/);
    const epochs = epochsOf(runFile(out));
    expect(epochs.length).toBeGreaterThan(20);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
  });

  it('a flash interrupted half-way fails clearly, and flashing again works', async () => {
    const pico = await startVirtualPico();
    cleanup.push(() => pico.close());
    const flash = hostInBackground(['flash', '--port', pico.path]);
    cleanup.push(() => void flash.child.kill('SIGKILL'));
    // Pull the cable once the transfer has started.
    let sent = 0;
    const off = pico.onInput((b) => (sent += b.length));
    await until(() => sent > 8000, 'the transfer to start');
    off();
    const path = await pico.replug().catch(async () => {
      await pico.unplug();
      return pico.replug();
    });
    expect(await flash.exited).toBe(1);
    expect(flash.err()).toMatch(/flash|closed|unplugged/i);
    const again = await host(['flash', '--port', path], { timeoutMs: 120000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/firmware 0\.1\.0 on kaluma 1\.2\.1, protocol \d+/);
  });

  it('a board running other code: send says what to run, and flash takes the board over', async () => {
    const pico = await startVirtualPico({ program: 'setInterval(function () { console.log("blink " + millis()); }, 5);' });
    cleanup.push(() => pico.close());
    const send = await host(['send', 'test/fixtures/data/seed.csv', '--port', pico.path]);
    expect(send.code).toBe(1);
    expect(send.stderr).toMatch(/runs Kaluma 1\.2\.1 but not the pico-trainer firmware: run `npm run flash`/);
    const flash = await host(['flash', '--port', pico.path], { timeoutMs: 120000 });
    expect(flash.code, flash.stderr).toBe(0);
    expect((await host(['send', 'test/fixtures/data/seed.csv', '--port', pico.path])).code).toBe(0);
  });

  it('`host monitor` re-attaches to a board that is still training', async () => {
    const pico = await flashedPico();
    const started = await host(['train', '--port', pico.path, '--lr', '0.0001', '--epochs', '10000000']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/Training run \d+ started on .* Watch it with: npx host monitor/);

    const first = join(dir, 'attach1.ndjson');
    const m1 = hostInBackground(['monitor', '--port', pico.path, '--no-plot', '--out', first]);
    cleanup.push(() => void m1.child.kill('SIGKILL'));
    await until(() => recordCount(first) > 20, 'records on the first attach');
    m1.child.kill('SIGKILL'); // the laptop's monitor dies; the board trains on
    await m1.exited;

    const second = join(dir, 'attach2.ndjson');
    const m2 = hostInBackground(['monitor', '--port', pico.path, '--no-plot', '--out', second]);
    cleanup.push(() => void m2.child.kill('SIGKILL'));
    await until(() => recordCount(second) > 20, 'records on the second attach');
    const a = epochsOf(runFile(first));
    const b = epochsOf(runFile(second));
    expect(b[0]).toBeGreaterThan(a[a.length - 1]); // the same run, further on
    m2.child.kill('SIGINT'); // Ctrl-C: stop the board's training, file complete
    expect(await m2.exited).toBe(0);
    const recs = runFile(second);
    expect(recs[recs.length - 1]).toMatchObject({ type: 'done', reason: 'stopped' });
  });

  it('a learning rate that is too high is caught within an epoch on the board, as on the desktop', async () => {
    const pico = await flashedPico();
    const out = join(dir, 'diverge.ndjson');
    const train = await host(['train', '--port', pico.path, '--lr', '1', '--no-bias', '--monitor', '--no-plot', '--out', out]);
    // A diverged run exits 2 on the board as on the desktop (host run).
    expect(train.code).toBe(2);
    expect(train.stdout).toMatch(/too high for this data; try --lr 0\.1 or smaller/);
    const board = runFile(out).filter((r) => r.type === 'epoch' || r.type === 'done');
    const desk = await host(['run', '--data', 'test/fixtures/data/seed.csv', '--lr', '1', '--no-bias', '--format', 'ndjson']);
    expect(desk.code).toBe(2);
    const want = desk.stdout.split('\n').map((l) => parseRecord(l)).filter((r) => r && (r.type === 'epoch' || r.type === 'done'));
    expect(board).toEqual(want);
    const done = board[board.length - 1] as { reason: string; epoch: number };
    expect(done.reason).toBe('diverged');
    expect(board.filter((r) => r.type === 'epoch')).toHaveLength(done.epoch + 1);
  });
});
