// Flashed programs on the virtual Pico: how they run at boot and on .load, how their errors print,
// and the 180 KB heap.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { plain, SerialSession } from './serial-session.ts';

const PROMPT = '\x1b[0m\r\x1b7> \x1b[H\x1b[900C\x1b[6n\x1b8\x1b[2C';
const red = (line: string) => `\x1b[31m${line}\r\n\x1b[0m`;

let pico: VirtualPico | null = null;
let s: SerialSession | null = null;
afterEach(async () => {
  await s?.close();
  await pico?.close();
  s = null;
  pico = null;
});

async function board(program: string | undefined, heapBytes?: number): Promise<SerialSession> {
  pico = await startVirtualPico({ program, heapBytes });
  s = await SerialSession.open(pico.path);
  return s;
}

describe('a flashed program', () => {
  it('runs on .load and at boot (reset)', async () => {
    const s = await board('console.log("hello from flash");');
    expect(await s.send('.load', PROMPT)).toContain('\x1b[2K\r\x1b[0mhello from flash\r\n');
    const from = s.mark();
    await pico!.reset();
    const text = await s.waitFor('hello from flash', from);
    expect(text).toContain('Welcome to Kaluma v1.2.1'); // the banner comes first after a reset
    expect(text.indexOf('Welcome')).toBeLessThan(text.indexOf('hello from flash'));
  });

  it('prints an uncaught error in red with `at <anonymous>:LINE` lines, then restarts the runtime', async () => {
    const program = [
      'var marker = 1;',
      "setInterval(function () { console.log('still alive'); }, 5);",
      'function fail() {',
      "  throw new TypeError('boom');",
      '}',
      'fail();',
    ].join('\n');
    const s = await board(program);
    const text = await s.send('.load', PROMPT);
    expect(text).toContain(red('TypeError: boom') + red('  at <anonymous>:4') + red('  at <anonymous>:6'));
    // State and timers are gone: the interval would have printed long before this timer fires.
    expect(plain(await s.send('typeof marker', PROMPT))).toContain("'undefined'");
    const later = await s.send("setTimeout(function () { console.log('later'); }, 50)", 'later\r\n');
    expect(later).not.toContain('still alive');
  });

  it('prints an error thrown in a timer callback with its line, and stops that timer', async () => {
    const program = ['var kept = 3;', 'setTimeout(function () {', '  null.x;', '}, 20);'].join('\n');
    const s = await board(program);
    const from = s.mark();
    await pico!.reset(); // boot again with the port open, so the output is seen
    const text = await s.waitFor(/at <anonymous>:3\r\n/, from);
    expect(text).toMatch(/\x1b\[31mTypeError: [^\r]+\r\n\x1b\[0m\x1b\[31m {2}at <anonymous>:3\r\n/);
    // As src/global.c does: only the failing timer is closed, the program's state stays.
    expect(await s.send('kept', '\x1b[95m3')).toContain('\x1b[95m3\x1b[0m');
  });

  it('reports a syntax error the board cannot parse (optional chaining) with its position', async () => {
    const s = await board('var a = {};\nvar b = a?.c;\n');
    const text = await s.send('.load', PROMPT);
    expect(text).toMatch(/\x1b\[31mSyntaxError: [^\r]*\[<anonymous>:2:10\]\r\n/);
  });

  it('Ctrl-C leaves a setInterval ticking (its callback does not loop); .reset clears it', async () => {
    const s = await board('var n = 0;\nsetInterval(function () { console.log("tick " + n++); }, 5);');
    await s.waitFor('tick 20\r\n');
    await s.write('\x03');
    let from = s.mark();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ticks = [...s.text(from).matchAll(/tick (\d+)/g)].length;
    expect(ticks).toBeGreaterThan(50);
    expect(s.text(from)).not.toContain('Aborted');
    await s.send('.reset', 'soft reset'); // output keeps its order: no tick can follow this
    from = s.mark();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.text(from)).not.toContain('tick');
  });

  it('Ctrl-C aborts a timer callback that loops, and that timer is closed', async () => {
    const s = await board('setInterval(function () {\n  var x = 0;\n  for (var i = 0; i < 200000; i++) x += i;\n  console.log("busy " + x);\n}, 20);');
    await s.waitFor('busy ');
    const from = s.mark();
    await s.write('\x03');
    await s.waitFor(red('Aborted'), from);
    const after = s.mark();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.text(after)).not.toContain('busy ');
  });

  it('Ctrl-C aborts a program that never returns from boot', async () => {
    const s = await board('for (;;) {}');
    const from = s.mark();
    await s.write('\x03');
    expect(await s.waitFor('Aborted', from)).toContain(red('Aborted'));
    expect(await s.send('2+2', '\x1b[95m4')).toContain('\x1b[95m4\x1b[0m');
  });
});

describe('the 180 KB heap', () => {
  it('starts with the board\'s numbers', async () => {
    const s = await board(undefined);
    expect(await s.send('.mem', PROMPT)).toContain('total: 184312, occupied: 12192, peak: 15080\r\n');
  });

  it('holds a 120 KB Float32Array and counts it', async () => {
    const s = await board('var data = new Float32Array(30000);');
    await s.send('.load', PROMPT);
    const mem = /occupied: (\d+)/.exec(await s.send('.mem', PROMPT));
    expect(Number(mem![1])).toBeGreaterThan(12192 + 120000);
    expect(plain(await s.send('data.length', PROMPT))).toContain('30000');
  });

  it('fails a program that needs more than the board has, and restarts without it', async () => {
    const s = await board('var big = new Float32Array(50000);\nconsole.log("allocated");');
    const text = await s.send('.load', PROMPT);
    expect(text).toContain(red('Error: ERR_OUT_OF_MEMORY'));
    expect(text).not.toContain('allocated');
    expect(plain(await s.send('typeof big', PROMPT))).toContain("'undefined'");
  });

  it('fails on many small objects too, even while the code is still running', async () => {
    const s = await board('var keep = [];\nfor (var i = 0; i < 200000; i++) keep.push({ i: i });\nconsole.log("done");');
    const text = await s.send('.load', PROMPT);
    expect(text).toContain(red('Error: ERR_OUT_OF_MEMORY'));
    expect(text).not.toContain('done');
  });

  // Kaluma 1.2.1 on the RP2040 (../shared/runtime-facts.md, "Measured on the real firmware"): after
  // the firmware bundle of commit aff00d7 says hello, the heap holds 101,560 bytes.
  const AFF00D7 = readFileSync(resolve(import.meta.dirname, '../fixtures/firmware/aff00d7.js'), 'utf8');
  const BOARD_USED_AFTER_HELLO = 101_560;
  const helloHeapUsed = (text: string): number => {
    const m = /"type":"hello".*"heap":\{"total":(\d+),"used":(\d+)\}/.exec(text);
    expect(m, 'a hello record with the heap in it').not.toBeNull();
    expect(Number(m![1])).toBe(184312);
    return Number(m![2]);
  };

  it('holds the firmware bundle of aff00d7 in what the real board reports after its hello (within 5 %)', async () => {
    const s = await board(AFF00D7);
    const used = helloHeapUsed(await s.send('.load', PROMPT));
    expect(Math.abs(used - BOARD_USED_AFTER_HELLO) / BOARD_USED_AFTER_HELLO).toBeLessThan(0.05);
  });

  it("holds today's firmware after its hello in no more than aff00d7's bundle (the board's heap must not grow)", async () => {
    const { buildFirmware } = await import('../../host/build/firmware.ts');
    const code = (await buildFirmware({ write: false })).code;
    const before = helloHeapUsed(await (await board(AFF00D7)).send('.load', PROMPT));
    await s?.close();
    await pico?.close();
    const today = helloHeapUsed(await (await board(code)).send('.load', PROMPT));
    expect(today).toBeLessThanOrEqual(before);
  });

  it('charges code by its size, not one fixed figure: a second copy of the bundle, never run, costs its byte code', async () => {
    // The same program with a spare copy of its code in a function that is never called: no more
    // data, objects or strings (both engines share identical literals), only a second set of
    // compiled functions.
    const single = helloHeapUsed(await (await board(AFF00D7)).send('.load', PROMPT));
    await s?.close();
    await pico?.close();
    const doubled = helloHeapUsed(await (await board(`function spare() {\n${AFF00D7}\n}\n${AFF00D7}`)).send('.load', PROMPT));
    const extra = doubled - single;
    // On the board the bundle takes 89,368 bytes above boot, 36,864 of them its dataset's typed
    // arrays: the rest (functions, objects, strings) bounds what a copy of the functions can cost.
    expect(extra).toBeGreaterThan(10_000);
    expect(extra).toBeLessThan(BOARD_USED_AFTER_HELLO - 12_192 - 36_864);
  });

  it('takes its size from heapBytes', async () => {
    const s = await board('var data = new Float32Array(30000);', 100_000);
    expect(await s.send('.mem', PROMPT)).toContain('total: 100000,');
    expect(await s.send('.load', PROMPT)).toContain(red('Error: ERR_OUT_OF_MEMORY'));
  });
});
