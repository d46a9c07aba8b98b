// The virtual Pico's REPL, through the real SerialPort class on the pseudo-terminal, against what
// Kaluma 1.2.1 does (runtime-facts.md, src/repl.c).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { plain, SerialSession } from './serial-session.ts';

const PROMPT = '\x1b[0m\r\x1b7> \x1b[H\x1b[900C\x1b[6n\x1b8\x1b[2C';

let pico: VirtualPico;
let s: SerialSession;

beforeAll(async () => {
  pico = await startVirtualPico();
  s = await SerialSession.open(pico.path);
});
afterAll(async () => {
  await s.close();
  await pico.close();
});
beforeEach(async () => {
  // A fresh runtime with echo on for every test (echo survives .reset, so turn it on explicitly).
  await s.send('.echo on', PROMPT);
  await s.send('.reset', 'soft reset');
});

describe('the pseudo-terminal', () => {
  it('passes \\r and every other byte through untranslated, both ways', async () => {
    await s.send('.echo off', '\x1b[0m');
    const from = s.mark();
    await s.write('process.stdout.write(new Uint8Array([13, 10, 0, 255, 3, 4]))\r');
    const text = await s.waitFor('undefined', from);
    expect(text.startsWith('\r\n\0\xff\x03\x04')).toBe(true);
  });
});

describe('banner, echo and prompt', () => {
  it('.hi prints the Kaluma banner', async () => {
    const text = await s.send('.hi', 'Type');
    expect(text).toContain('Welcome to Kaluma v1.2.1');
    expect(text).toContain('https://kaluma.io');
  });

  it('echoes input and prints the prompt while echo is on', async () => {
    const text = await s.send('1+2', PROMPT);
    expect(text).toBe('1+2\r\n\x1b[95m3\x1b[0m\r\n' + PROMPT);
  });

  it('.echo off stops echo and the prompt but results are still printed', async () => {
    await s.send('.echo off', '\x1b[0m');
    const from = s.mark();
    await s.write('4+5\r');
    const text = await s.waitFor('\r\n\x1b[0m', from);
    expect(text).toBe('\x1b[95m9\x1b[0m\r\n\x1b[0m');
  });

  it('prints undefined in grey', async () => {
    const text = await s.send('var a = 1', PROMPT);
    expect(text).toContain('\x1b[90mundefined\x1b[0m\r\n');
  });

  it('pretty-prints objects and arrays to depth 3 with colours', async () => {
    const text = await s.send("[1, {a: 'x'}, null, new Float32Array(1)]", PROMPT);
    expect(text).toContain(
      "[\r\n  \x1b[95m1\x1b[0m,\r\n  {\r\n    a: \x1b[93m'x'\x1b[0m\r\n  },\r\n  \x1b[90mnull\x1b[0m,\r\n  Float32Array [\r\n    \x1b[95m0\x1b[0m\r\n  ]\r\n]\r\n",
    );
  });
});

describe('line handling', () => {
  it('runs a line only on \\r: \\n is an ordinary character', async () => {
    await s.send('.echo off', '\x1b[0m');
    const from = s.mark();
    await s.write('6*7\n');
    await s.write('+1\r');
    const text = await s.waitFor('\r\n\x1b[0m', from);
    expect(text).toBe('\x1b[95m43\x1b[0m\r\n\x1b[0m');
  });

  it('erases with backspace (0x08 and 0x7f)', async () => {
    await s.send('.echo off', '\x1b[0m');
    const from = s.mark();
    await s.write('12\x083\x7f4\r');
    const text = await s.waitFor('\r\n\x1b[0m', from);
    expect(text).toBe('\x1b[95m14\x1b[0m\r\n\x1b[0m');
  });

  it('consumes escape sequences (cursor keys) without putting them in the line', async () => {
    await s.send('.echo off', '\x1b[0m');
    const from = s.mark();
    await s.write('2\x1b[C\x1b[C*5\r');
    const text = await s.waitFor('\r\n\x1b[0m', from);
    expect(plain(text)).toBe('10\r\n');
  });

  it('keeps at most 1023 characters and says REPL buffer overflow for each one more', async () => {
    await s.send('.echo off', '\x1b[0m');
    const from = s.mark();
    // 1025 characters: the last two do not fit. What fits is still a valid line (7 and a comment).
    await s.write('7//' + 'x'.repeat(1022) + '\r');
    const text = await s.waitFor('\x1b[95m7\x1b[0m\r\n', from);
    expect(text.split('\x1b[31mREPL buffer overflow\r\n\x1b[0m').length - 1).toBe(2);
  });

  it('Ctrl-D soft-resets', async () => {
    await s.send('var kept = 5', PROMPT);
    const from = s.mark();
    await s.write('\x04');
    await s.waitFor('soft reset', from);
    const text = await s.send('typeof kept', PROMPT);
    expect(plain(text)).toContain("'undefined'");
  });
});

describe('console and process', () => {
  it('frames console.log output with ESC[2K CR ... CR LF and pretty-prints non-strings', async () => {
    const text = await s.send('console.log("hi", 5, {b: true})', PROMPT);
    expect(text).toContain('\x1b[2K\r\x1b[0mhi \x1b[95m5\x1b[0m {\r\n  b: \x1b[95mtrue\x1b[0m\r\n}\r\n');
  });

  it('process.stdout.write takes a TypedArray only', async () => {
    const text = await s.send('process.stdout.write("text")', PROMPT);
    expect(text).toContain('\x1b[31mTypeError');
  });

  it('process.stdin.read() returns queued input or null', async () => {
    const text = await s.send('process.stdin.read()', PROMPT);
    expect(plain(text)).toContain('null');
  });

  it('a REPL call that busy-polls process.stdin.read() takes the input the REPL would have seen', async () => {
    const line =
      "var got = ''; var t0 = millis(); while (got.length < 5 && millis() - t0 < 20000) { var d = process.stdin.read(); " +
      'if (d) for (var i = 0; i < d.length; i++) got += String.fromCharCode(d[i]); } got';
    const from = s.mark();
    await s.write(line + '\r');
    await s.waitFor(line + '\r\n', from); // echoed: the loop is about to run
    const after = s.mark();
    await s.write('h\x01llo'); // a control byte too: it is data here, not Ctrl-A
    const text = await s.waitFor(PROMPT, after);
    expect(text).toBe("\x1b[93m'h\x01llo'\x1b[0m\r\n" + PROMPT); // no echo: the REPL never saw them
  });

  it('process.memoryUsage() and .mem report the board heap', async () => {
    const mem = await s.send('.mem', PROMPT);
    const m = /total: (\d+), occupied: (\d+), peak: (\d+)\r\n/.exec(mem);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(184312);
    expect(Number(m![2])).toBeGreaterThanOrEqual(12192);
    expect(Number(m![3])).toBeGreaterThanOrEqual(Number(m![2]));
    const usage = await s.send('JSON.stringify(process.memoryUsage())', PROMPT);
    expect(plain(usage)).toMatch(/'\{"heapTotal":184312,"heapUsed":\d+,"heapPeak":\d+\}'/);
  });

  it('has Kaluma globals and not Node ones', async () => {
    const text = await s.send(
      '[typeof setTimeout, typeof delay, typeof millis, typeof micros, typeof require, typeof Buffer, typeof fetch].join()',
      PROMPT,
    );
    expect(plain(text)).toContain("'function,function,function,function,undefined,undefined,undefined'");
  });

  it('setTimeout needs a delay, as Kaluma checks its arguments', async () => {
    const text = await s.send('setTimeout(function () {})', PROMPT);
    expect(text).toContain('\x1b[31mTypeError: "delay" argument must be a number\r\n');
  });

  it('runs timers from the event loop', async () => {
    const text = await s.send('setTimeout(function () { console.log("tick " + (millis() >= 0)); }, 10)', 'tick true');
    expect(text).toContain('\x1b[2K\r\x1b[0mtick true\r\n');
  });
});

describe('dot-commands', () => {
  it('.help lists the commands and the shortcuts', async () => {
    const text = await s.send('.help', 'Soft reset\r\n' + PROMPT);
    for (const cmd of ['.hi', '.echo', '.reset', '.flash', '.load', '.mem', '.gc', '.ls', '.pwd']) expect(text).toContain(cmd + '\t');
    expect(text).toContain('CTRL+C\tAbort running code');
  });

  it('answers an unknown command', async () => {
    const text = await s.send('.nope', PROMPT);
    expect(text).toContain('\x1b[31mUnknown command: .nope\r\n');
  });

  it('.flash -t prints the program area size, .pwd the root', async () => {
    expect(await s.send('.flash -t', PROMPT)).toContain('524288\r\n');
    expect(await s.send('.pwd', PROMPT)).toContain('/\r\n');
  });
});

describe('errors and Ctrl-C', () => {
  it('prints a REPL error in red without a backtrace, and the state survives', async () => {
    await s.send('var survivor = 7', PROMPT);
    const text = await s.send('null.x', PROMPT);
    expect(text).toMatch(/\x1b\[31mTypeError: [^\r]*\r\n\x1b\[0m/);
    expect(text).not.toContain('  at ');
    expect(plain(await s.send('survivor', PROMPT))).toContain('7');
  });

  it('rejects syntax the board cannot parse: optional chaining, logical assignment, #private', async () => {
    for (const code of ['var o = {}; o?.x', 'var q = 1; q ??= 2', 'class K { #p = 1 }']) {
      const text = await s.send(code, PROMPT);
      expect(text).toContain('\x1b[31mSyntaxError');
    }
    // ?? itself is fine on JerryScript 2.4
    expect(plain(await s.send('null ?? 3', PROMPT))).toContain('3');
  });

  it('runs code in strict mode', async () => {
    const text = await s.send('undeclared = 1', PROMPT);
    expect(text).toContain('\x1b[31mReferenceError');
  });

  it('Ctrl-C aborts a busy loop and the REPL carries on', async () => {
    const from = s.mark();
    await s.write('while (true) {}\r');
    await s.waitFor('while (true) {}\r\n', from); // echoed: the loop is about to run
    await s.write('\x03');
    const text = await s.waitFor('Aborted\r\n\x1b[0m' + PROMPT, from);
    expect(text).toContain('\x1b[31mAborted\r\n');
    expect(await s.send('1+1', PROMPT)).toContain('\x1b[95m2\x1b[0m');
  });

  it('Ctrl-C throws away the bytes sent together with it; the next line, sent after a pause, runs', async () => {
    // Measured on the real firmware: TinyUSB flushes its receive FIFO, packet and all.
    const from = s.mark();
    await s.write('\x03"lost"\r');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.text(from)).not.toContain('lost');
    expect(plain(await s.send('"kept"', "'kept'"))).toContain("'kept'");
  });

  it('loses input beyond the 2048-byte ring buffer while the board is busy', async () => {
    await s.send('var c = 0', PROMPT);
    const before = pico.stats().inputLost;
    let from = s.mark();
    await s.write('delay(2000)\r');
    await s.waitFor('delay(2000)\r\n', from); // echoed: the board is about to sleep
    // 800 lines of 5 bytes arrive while the board sleeps; only the last 2048 bytes survive.
    await s.write('c+=1\r'.repeat(800));
    await s.waitFor('\x1b[90mundefined', from); // delay() returned
    from = s.mark();
    await s.write('"count=" + c\r');
    const text = await s.waitFor(/'count=\d+'/, from);
    // 4000 bytes sent; the kept 2048 start 2 bytes into line 391, so 409 whole lines ran.
    expect(plain(text)).toContain("'count=409'");
    expect(pico.stats().inputLost - before).toBe(4000 - 2048);
  });
});
