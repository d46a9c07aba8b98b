// The fault-injection hooks of the virtual Pico, seen from a host that has the port open.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { SerialSession } from './serial-session.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const PROMPT = '\x1b[0m\r\x1b7> \x1b[H\x1b[900C\x1b[6n\x1b8\x1b[2C';

let pico: VirtualPico | null = null;
let s: SerialSession | null = null;
afterEach(async () => {
  await s?.close();
  await pico?.close();
  s = null;
  pico = null;
});

describe('fault injection', () => {
  it('unplug: the host sees the port close with an error, and the path goes away', async () => {
    pico = await startVirtualPico();
    s = await SerialSession.open(pico.path);
    await s.send('1', PROMPT);
    await pico.unplug();
    await s.waitClosed();
    expect(s.closeError).not.toBeNull();
    expect(existsSync(pico.path)).toBe(false);
  });

  it('replug: a new port, and the board boots again with its flash', async () => {
    pico = await startVirtualPico({ program: 'var fromFlash = 42;' });
    await pico.unplug();
    const path = await pico.replug();
    expect(pico.path).toBe(path);
    expect(existsSync(path)).toBe(true);
    s = await SerialSession.open(path);
    expect(await s.send('fromFlash', PROMPT)).toContain('\x1b[95m42\x1b[0m');
    expect(pico.storedProgram()).toBe('var fromFlash = 42;');
  });

  it('reset: the board reboots with the port open, runs its program again and loses its state', async () => {
    pico = await startVirtualPico({ program: 'var boots = (typeof boots === "number" ? boots : 0) + 1;\nconsole.log("up");' });
    s = await SerialSession.open(pico.path);
    await s.send('var extra = 1', PROMPT);
    const from = s.mark();
    await pico.reset();
    const text = await s.waitFor('up\r\n', from);
    expect(text).toContain('Welcome to Kaluma v1.2.1');
    expect(await s.send('typeof extra', PROMPT)).toContain("'undefined'");
  });

  it('reset turns echo back on (it lasts until reboot)', async () => {
    pico = await startVirtualPico();
    s = await SerialSession.open(pico.path);
    await s.send('.echo off', '\x1b[0m');
    const from = s.mark();
    await pico.reset();
    await s.waitFor('-'.repeat(47) + '\r\n\r\n', from); // the whole banner has arrived
    expect(await s.send('5', PROMPT)).toBe('5\r\n\x1b[95m5\x1b[0m\r\n' + PROMPT);
  });

  it('inject: garbage reaches the host as if the board had sent it', async () => {
    pico = await startVirtualPico();
    s = await SerialSession.open(pico.path);
    const from = s.mark();
    pico.inject('{"type":"epo\x00\xff\x1b[');
    expect(await s.waitFor('\x1b[', from)).toBe('{"type":"epo\x00\xff\x1b[');
  });

  it('stall: a 5 ms ticker keeps its pace, the first stalled write blocks, later ones are dropped at once, a line may be cut short, then output flows again', async () => {
    // Measured on the real firmware: a 5 ms ticker kept its pace and lost 1,961 lines in 9.5 s of stalled host.
    pico = await startVirtualPico({ program: 'var n = 0;\nsetInterval(function () { console.log("tick " + n++); }, 5);' });
    s = await SerialSession.open(pico.path);
    await s.waitFor('tick 20\r\n');
    const from = s.mark();
    const session = s;
    const ticks = () => [...session.text(from).matchAll(/\x1b\[2K\r\x1b\[0mtick (\d+)\r\n/g)].map((m) => ({ n: Number(m[1]), at: m.index, end: m.index + m[0].length }));
    const STALL_MS = 3000;
    pico.stall(STALL_MS);
    await sleep(STALL_MS);
    // Output flows again once the host reads: wait for 20 whole lines in a row after the gap.
    const gapAt = () => {
      const t = ticks();
      const i = t.findIndex((x, k) => k > 0 && x.n !== t[k - 1].n + 1);
      return { t, i };
    };
    for (let deadline = Date.now() + 10_000; ; await sleep(20)) {
      const { t, i } = gapAt();
      if (i > 0 && t.length - i >= 20 && t.slice(i).every((x, k) => k === 0 || x.n === t[i + k - 1].n + 1)) break;
      if (Date.now() > deadline) throw new Error(`no gap followed by 20 lines in: ${JSON.stringify(session.text(from).slice(-400))}`);
    }
    const { t, i } = gapAt();
    const before = t[i - 1];
    const after = t[i];
    // Lines written while the host took nothing are lost, not delayed: the first ~4 KB waited
    // in the buffers, the rest of the 3 s of ticks were dropped.
    expect(after.n - before.n - 1).toBeGreaterThan(200);
    expect(pico.stats().outputDropped).toBeGreaterThan(0);
    // The ticker kept its pace: had every stalled write blocked 500 ms, it would have made ~6 ticks
    // during the stall, not hundreds. (Only the first stalled write blocked, and the interval caught up.)
    expect(after.n - t[0].n).toBeGreaterThan(STALL_MS / 5 / 2);
    // What arrived between the two is the start of the next line (the write that was partly taken),
    // so a line can be cut short; nothing else is mixed in.
    const between = session.text(from).slice(before.end, after.at);
    expect(`\x1b[2K\r\x1b[0mtick ${before.n + 1}\r\n`.startsWith(between)).toBe(true);
    expect(between.length).toBeLessThan(`\x1b[2K\r\x1b[0mtick ${before.n + 1}\r\n`.length);
    // The REPL answers again.
    expect(await s.send('"after"', "'after'")).toContain("'after'");
  });

  it('stall: a burst of output loses what does not fit, without blocking the board on each line', async () => {
    pico = await startVirtualPico();
    s = await SerialSession.open(pico.path);
    await s.send('.echo off', '\x1b[0m');
    pico.stall(1500);
    const from = s.mark();
    // ~22 KB of output while the host takes nothing: only the first line that does not fit waits
    // (500 ms); had each waited, the loop would take 100 s.
    await s.write('var t0 = millis(); for (var i = 0; i < 200; i++) console.log("line " + i + " " + "x".repeat(100)); var took = millis() - t0\r');
    await sleep(1500);
    const text = await s.send('"took " + took', /'took \d+'/);
    expect(Number(/'took (\d+)'/.exec(text)![1])).toBeLessThan(2000);
    expect(pico.stats().outputDropped).toBeGreaterThan(0);
    expect(s.text(from)).toContain('line 0 ');
    expect(s.text(from)).not.toContain('line 199 ');
  });

  it('taps see both directions', async () => {
    pico = await startVirtualPico();
    const seenIn: string[] = [];
    const seenOut: string[] = [];
    pico.onInput((b) => seenIn.push(Buffer.from(b).toString('latin1')));
    const untap = pico.onOutput((b) => seenOut.push(Buffer.from(b).toString('latin1')));
    s = await SerialSession.open(pico.path);
    await s.send('6*7', PROMPT);
    expect(seenIn.join('')).toContain('6*7\r');
    expect(seenOut.join('')).toContain('\x1b[95m42\x1b[0m');
    untap();
  });
});
