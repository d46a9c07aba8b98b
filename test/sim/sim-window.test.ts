// What `npx host sim` tells the person at it: what is in flash after each flash (not "nothing
// flashed" for ever), how --program is used (its --help), and, when the virtual Pico stops under a
// running monitor, to restart `npx host sim` rather than plug a cable back in.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware } from '../../host/build/firmware.ts';
import { isSimPort, reattachAdvice, reflashAdvice } from '../../host/sim/advice.ts';
import { flashLine, helloLine } from '../../host/sim/status.ts';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { host, hostInBackground } from '../e2e/cli.ts';
import { SerialSession } from './serial-session.ts';
import { ymodemSend } from './ymodem-sender.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'host/bin.js');
const PROMPT = '\x1b[0m\r\x1b7> \x1b[H\x1b[900C\x1b[6n\x1b8\x1b[2C';

// Each run has its own temp directory (the sim registry lives there), so a real `npx host sim` is not touched.
const realTmp = process.env.TMPDIR;
const dir = mkdtempSync(join(tmpdir(), 'pt-sim-window-'));
beforeAll(() => {
  process.env.TMPDIR = dir;
});
afterAll(() => {
  if (realTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = realTmp;
  rmSync(dir, { recursive: true, force: true });
});

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** `npx host sim` in a child, its stdout kept; resolves once it has printed its port. */
async function simProcess(args: string[]): Promise<{ child: ChildProcess; path: string; out(): string }> {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { env: { ...process.env, TMPDIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const path = await new Promise<string>((res, rej) => {
    child.stdout!.on('data', () => {
      const m = / on (\/dev\/\S+)\n/.exec(out);
      if (m && out.includes('Ctrl-C stops it.')) res(m[1]);
    });
    child.on('exit', (code) => rej(new Error(`host sim exited (${code}): ${out}`)));
  });
  return { child, path, out: () => out };
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the npx host sim window', () => {
  it('says what is in flash after a flash, and what then runs, instead of "nothing flashed"', async () => {
    const sim = await simProcess(['--blank', '--pace', 'fast']);
    expect(sim.out()).toContain('nothing flashed (a blank Kaluma board)');
    const program = 'console.log(JSON.stringify({ type: "hello", firmware: "9.9.9", runtime: "kaluma 1.2.1", protocol: 3 }));\n';
    const s = await SerialSession.open(sim.path);
    cleanup.push(() => s.close());
    await s.send('.flash -w', "Transfer a file via YMODEM... (press 'a' to abort)\r\n");
    s.skipReceived();
    const from = s.mark();
    expect((await ymodemSend(s, 'main.js', Buffer.from(program))).outcome).toBe('sent');
    await s.waitFor(PROMPT, from);
    await until(() => sim.out().includes('flashed:'), 'the flash line');
    expect(sim.out()).toContain(`flashed: a ${program.length}-byte program is in flash (it runs at boot)`);
    await s.send('.load', PROMPT);
    await until(() => sim.out().includes('running:'), 'the running line');
    expect(sim.out()).toMatch(/running: pico-trainer firmware 9\.9\.9, protocol 3/);
    // `.flash -w` erased before it received: that erase is not told as one.
    await new Promise((r) => setTimeout(r, 3500));
    expect(sim.out()).not.toContain('flash erased');
    // `.flash -e` on its own is.
    await s.send('.flash -e', PROMPT);
    await until(() => sim.out().includes('flash erased'), 'the erase line', 10_000);
  });

  it('formats its status lines', () => {
    const at = new Date(2026, 0, 31, 10, 58, 2);
    expect(flashLine('x'.repeat(53_723), at)).toBe('  10:58:02  flashed: a 53,723-byte program is in flash (it runs at boot)');
    expect(flashLine(null, at)).toContain('flash erased: nothing flashed now');
    expect(helloLine('\x1b[2K\r{"type":"hello","firmware":"0.1.0","runtime":"kaluma 1.2.1","protocol":3,"heap":{}}\r\n', at)).toBe('  10:58:02  running: pico-trainer firmware 0.1.0, protocol 3; send data and train');
    expect(helloLine('{"type":"epoch"}')).toBeNull();
  });

  it('documents --program in its --help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'sim', '--help'], { cwd: ROOT });
    expect(stdout).toMatch(/--program <file>\s+start with this JavaScript file already in the board's\s+flash/);
    expect(stdout).toContain('npx host sim --program dist/firmware.js');
    expect(stdout).toContain('Examples:');
  });
});

describe('a virtual Pico that goes away', () => {
  let firmware = '';
  beforeAll(async () => {
    firmware = (await buildFirmware({ write: false })).code;
  });

  it('is told apart from a USB Pico while it runs', async () => {
    const pico = await startVirtualPico({ register: true });
    const path = pico.path;
    expect(isSimPort(path)).toBe(true);
    await pico.close();
    expect(isSimPort(path)).toBe(false);
    expect(isSimPort('/dev/ttyACM0')).toBe(false);
    expect(isSimPort(undefined)).toBe(false);
    expect(reattachAdvice(true)).toContain('restart it with `npx host sim`');
    expect(reattachAdvice(true)).not.toMatch(/plug it back/i);
    expect(reattachAdvice(false)).toContain('Plug it back in');
    expect(reflashAdvice(true)).toContain('npx host sim');
    expect(reflashAdvice(false)).toBe('Plug it back in and flash again');
  });

  it('the monitor says to restart `npx host sim`, not to plug it back in', async () => {
    const pico: VirtualPico = await startVirtualPico({ program: firmware, register: true });
    cleanup.push(() => pico.close());
    const sent = await host(['send', 'test/fixtures/data/seed.csv', '--port', pico.path]);
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    const out = join(dir, 'lost.ndjson');
    const run = hostInBackground(['train', '--port', pico.path, '--lr', '0.0001', '--epochs', '10000000', '--monitor', '--no-plot', '--out', out]);
    cleanup.push(() => void run.child.kill('SIGKILL'));
    await until(() => (run.out().match(/\n/g) ?? []).length > 20, 'some epochs');
    await pico.close(); // what Ctrl-C in the sim's window does
    expect(await run.exited).toBe(1);
    const said = run.out() + run.err();
    expect(said).toContain('restart it with `npx host sim`');
    expect(said).not.toMatch(/plug it back in/i);
  });
});
