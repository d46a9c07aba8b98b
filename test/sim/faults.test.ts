// The fault-injection hooks of the virtual Pico, seen from a host that has the port open.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { SerialSession } from './serial-session.ts';

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

  it('stall: output the host does not take blocks the board for 500 ms, then drops; afterwards it flows again', async () => {
    pico = await startVirtualPico();
    s = await SerialSession.open(pico.path);
    await s.send('.echo off', '\x1b[0m');
    pico.stall(1500);
    const from = s.mark();
    // ~22 KB of output while the host takes nothing.
    await s.write('for (var i = 0; i < 200; i++) console.log("line " + i + " " + "x".repeat(100))\r');
    await s.waitFor('undefined', from);
    expect(pico.stats().outputDropped).toBeGreaterThan(0);
    const text = s.text(from);
    expect(text).toContain('line 0 ');
    expect(text).not.toContain('line 199 ');
    expect(await s.send('"after"', "'after'")).toContain("'after'");
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
