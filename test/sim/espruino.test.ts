// The virtual Espruino through the real SerialPort class on its pseudo-terminal, against what
// Espruino 2v29 does on an Espruino Pico's USB console (host/sim/espruino/README.md,
// runtime-facts.md "Espruino", src/jsinteractive.c).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startVirtualEspruino, type VirtualEspruino } from '../../host/sim/espruino/virtual-espruino.ts';
import { findRunningSimEntries, findRunningSims } from '../../host/sim-registry.ts';
import { SerialSession } from './serial-session.ts';

const BANNER_LINE = ' 2v29 (c) 2025 G.Williams\r\n';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let esp: VirtualEspruino;
let s: SerialSession;

/** Types a line (Enter is \r) and waits for the prompt after its result. */
async function typed(line: string): Promise<string> {
  const from = s.mark();
  await s.write(line + '\r');
  return s.waitFor(/\r\n>$/, from);
}

/** Sends a `\x10` line, then a marker line, and returns what came before the marker's output (the prompt between the two comes only when the board read them apart). */
async function quiet(line: string): Promise<string> {
  const from = s.mark();
  await s.write('\x10' + line + '\n');
  await s.write('\x10print("#done")\n');
  const text = await s.waitFor('#done\r\n>', from);
  return text.slice(0, text.indexOf('#done'));
}

/** A fresh interpreter (reset(), as EspruinoTools does before an upload). */
async function fresh(): Promise<void> {
  const from = s.mark();
  await s.write('\x10reset();\n');
  await s.waitFor(BANNER_LINE + '\r\n>', from);
}

async function freeNow(): Promise<number> {
  const text = await quiet('print("free=" + process.memory().free)');
  return Number(/free=(\d+)/.exec(text)![1]);
}

describe('the console', () => {
  beforeAll(async () => {
    esp = await startVirtualEspruino();
    s = await SerialSession.open(esp.path);
  });
  afterAll(async () => {
    await s.close();
    await esp.close();
  });

  it('prints the banner and the prompt when it boots', async () => {
    const from = s.mark();
    await esp.reset(); // the port stays open: the boot is seen
    const text = await s.waitFor(/\r\n>$/, from);
    expect(text).toBe(
      '\x1b[?7l\r\n' +
        ' ____                 _ \r\n' +
        '|  __|___ ___ ___ _ _|_|___ ___ \r\n' +
        '|  __|_ -| . |  _| | | |   | . |\r\n' +
        '|____|___|  _|_| |___|_|_|_|___|\r\n' +
        '         |_| espruino.com\r\n' +
        BANNER_LINE +
        '\r\n>',
    );
  });

  it('echoes what is typed and prints =value, then the prompt', async () => {
    expect(await typed('1+2')).toBe('1+2\r\n=3\r\n>');
    expect(await typed('var a = 5')).toBe('var a = 5\r\n=undefined\r\n>');
    expect(await typed('"x" + a')).toBe('"x" + a\r\n="x5"\r\n>');
  });

  it('prints numbers as Espruino does: at most 11 digits after the point', async () => {
    expect(await typed('1/3')).toContain('=0.33333333333\r\n');
    expect(await typed('[0.1+0.2, Math.pow(2,53)]')).toContain('=[ 0.3, 9007199254740986 ]\r\n');
  });

  it('runs a \\x10 line without echo, result or prompt', async () => {
    const from = s.mark();
    await s.write('\x10var quietVar = 42;\n');
    await sleep(200);
    expect(s.text(from)).toBe('');
    expect(await typed('quietVar')).toBe('quietVar\r\n=42\r\n>');
  });

  it("prints a \\x10 line's output, then the prompt", async () => {
    const from = s.mark();
    await s.write('\x10print("hello")\n');
    expect(await s.waitFor('hello\r\n>', from)).toBe('hello\r\n>');
  });

  it('takes the input line off the screen for a timer, and puts it back after', async () => {
    await typed(''); // the prompt is on the screen
    const from = s.mark();
    await s.write('\x10setTimeout(function(){ print("tick") }, 600);\n');
    await s.write('abc'); // typed, not yet entered
    await s.waitFor('abc', from);
    const text = await s.waitFor('tick\r\n>abc', from);
    expect(text).toBe('abc\x1b[D\x1b[D\x1b[D\r\x1b[Jtick\r\n>abc');
    await s.write('\x15'); // Ctrl-U clears the line
    await sleep(50);
  });

  it('Ctrl-C stops a loop sent as a \\x10 line', async () => {
    const from = s.mark();
    await s.write('\x10print("go"); while(1);\n');
    await s.waitFor('go\r\n', from);
    await s.write('\x03');
    expect(await s.waitFor('Execution Interrupted\r\n>', from)).toBe('go\r\nExecution Interrupted\r\n>');
    expect(await typed('1')).toContain('=1\r\n');
  });

  it('Ctrl-C on a loop typed at the console enters the debugger; a second one stops it', async () => {
    const from = s.mark();
    await s.write('while(1);\r');
    await s.waitFor('while(1);\r\n', from);
    await s.write('\x03');
    await s.waitFor('debug>', from);
    await s.write('\x03');
    const text = await s.waitFor('Execution Interrupted\r\n>', from);
    expect(text.startsWith('while(1);\r\n        while(1);\r\n        ^\r\ndebug>')).toBe(true);
    expect(await typed('2')).toContain('=2\r\n');
  });

  it('Ctrl-C with nothing running clears the line being typed', async () => {
    await typed('');
    const from = s.mark();
    await s.write('xyz');
    await s.waitFor('xyz', from);
    await s.write('\x03');
    await s.waitFor('\r\x1b[J>', from);
    expect(await typed('3')).toBe('3\r\n=3\r\n>');
  });

  it('waits for the brackets to close before it runs a line (continuation lines start with `:`)', async () => {
    const from = s.mark();
    await s.write('function two() {\r');
    await s.waitFor('\r\n:', from);
    await s.write('  return 2;\r');
    await s.write('}\r');
    expect(await s.waitFor(/\r\n>$/, from)).toBe('function two() {\r\n:  return 2;\r\n:}\r\n=function () { ... }\r\n>');
    expect(await typed('two()')).toBe('two()\r\n=2\r\n>');
  });

  it('prints uncaught errors with where they happened', async () => {
    expect(await typed('throw new Error("boom")')).toContain('Uncaught Error: boom\r\n at line 1 col');
    expect(await typed('missingName')).toContain('Uncaught ReferenceError: "missingName" is not defined\r\n');
  });

  it('reset() clears the program and prints the banner', async () => {
    await quiet('var kept = 1;');
    const text = await typed('reset()');
    expect(text).toContain('reset()\r\n=undefined\r\n\x1b[?7l\r\n ____');
    expect(text).toContain(BANNER_LINE);
    expect(await typed('typeof kept')).toContain('="undefined"');
  });

  it('has what Espruino 2v29 has and lacks what it lacks', async () => {
    await fresh();
    const missing = ['Math.fround', 'Math.trunc', 'Number.prototype.toPrecision', 'Number.isFinite', 'Number.isInteger', 'Number.EPSILON', 'Array.from', 'Map', 'Set', 'Symbol', 'Math.log2', 'Math.log10', 'Math.hypot', 'Math.cbrt'];
    for (const name of missing) expect(await typed(`typeof ${name}`), name).toContain('="undefined"');
    const present = ['print', 'console.log', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'getTime', 'reset', 'save', 'load', 'E.getSizeOf', 'E.toUint8Array', 'E.toString', 'atob', 'btoa', 'require', 'Float32Array', 'Float64Array', 'Uint32Array', 'Uint8Array', 'JSON.parse', 'Math.sqrt', 'String.fromCharCode'];
    for (const name of present) expect(await typed(`typeof ${name}`), name).toContain('="function"');
    expect(await typed('E.getConsole()')).toContain('="USB"');
    expect(await quiet('print(process.version, process.env.VERSION, process.env.BOARD)')).toMatch(/^2v29 2v29 PICO_R1_3\r\n>?$/);
    expect(await typed('process.memory().blocksize')).toContain('=13');
    expect(await typed('new Function("a", "b", "return a+b")(1, 2)')).toContain('=3');
  });

  it('atob and btoa work on binary strings, E.toString and E.toUint8Array convert', async () => {
    expect(await typed('btoa(E.toString(new Uint8Array([255, 0, 1])))')).toContain('="/wAB"');
    expect(await typed('E.toUint8Array(atob("/wAB"))')).toContain('=new Uint8Array([255, 0, 1])');
    expect(await typed('typeof atob("aGk=")')).toContain('="string"');
  });

  it('fails the syntax Espruino lacks, before running any of it', async () => {
    expect(await typed('var before = 1; outer: for(;;) { break outer; }')).toContain('Uncaught SyntaxError: label');
    expect(await typed('typeof before')).toContain('="undefined"');
    expect(await typed('var {x} = {x: 1}')).toContain('Uncaught ReferenceError: destructuring');
    expect(await typed('2 ** 3')).toContain('Uncaught SyntaxError: `**`');
    expect(await typed('function* gen() {}')).toContain('Uncaught SyntaxError: generator function');
    expect(await typed('new Function("return 2 ** 3")')).toContain('Uncaught SyntaxError: `**`');
  });

  it('runs what Espruino has: classes, ??, arrows, for-of', async () => {
    expect(await typed('class K { constructor(v) { this.v = v; } twice() { return 2 * this.v; } }; new K(4).twice()')).toContain('=8\r\n');
    expect(await typed('null ?? "dflt"')).toContain('="dflt"');
    expect(await typed('[1, 2, 3].map(x => x * 10)')).toContain('=[ 10, 20, 30 ]');
    expect(await typed('var sum = 0; for (const v of [1, 2, 3]) sum += v; sum')).toContain('=6\r\n');
  });
});

describe('memory in variables', () => {
  beforeAll(async () => {
    esp = await startVirtualEspruino();
    s = await SerialSession.open(esp.path);
    await fresh();
  });
  afterAll(async () => {
    await s.close();
    await esp.close();
  });

  it('starts a Pico with 5,100 variables, nearly all free', async () => {
    expect(await typed('process.memory().total')).toContain('=5100\r\n');
    const free = await freeNow();
    expect(free).toBeGreaterThan(5000);
    expect(free).toBeLessThan(5100);
  });

  it('a Float32Array(1000) takes about 311 variables', async () => {
    const before = await freeNow();
    await quiet('var fa = new Float32Array(1000);');
    const after = await freeNow();
    expect(before - after).toBeGreaterThanOrEqual(310);
    expect(before - after).toBeLessThanOrEqual(314);
    expect(await typed('E.getSizeOf(fa)')).toContain('=311\r\n');
    await quiet('fa = undefined;');
    expect(Math.abs((await freeNow()) - before)).toBeLessThanOrEqual(3);
  });

  it('counts the text of code sent to the console, not of code run from Storage', async () => {
    const body = 'return ' + Array.from({ length: 200 }, (_, i) => `a * ${i}`).join(' + ') + ';';
    const before = await freeNow();
    await quiet(`function inRam(a) { ${body} }`);
    const inRam = before - (await freeNow());
    expect(inRam).toBeGreaterThan(body.length / 13);
    await quiet(`require("Storage").write("fn.js", ${JSON.stringify(`function inFlash(a) { ${body} }`)});`);
    const before2 = await freeNow();
    await quiet('eval(require("Storage").read("fn.js"));');
    const inFlash = before2 - (await freeNow());
    expect(await typed('inFlash(1) === inRam(1)')).toContain('=true\r\n');
    expect(inFlash).toBeGreaterThan(0);
    expect(inFlash).toBeLessThan(inRam - body.length / 13 + 5);
  });

  it('runs out of memory as the board does: the code stops, the interpreter lives on', async () => {
    await fresh();
    await quiet('var one = new Float32Array(16000);'); // 64,000 bytes: most of the 66,300
    const text = await typed('var two = new Float32Array(16000)');
    expect(text).toBe('var two = new Float32Array(16000)\r\nERROR: Out of Memory!\r\nExecution Interrupted\r\nNew interpreter error: LOW_MEMORY,MEMORY\r\n>');
    expect(await typed('typeof two')).toContain('="undefined"');
    await quiet('one = undefined;');
    expect(await freeNow()).toBeGreaterThan(5000);
    expect(await typed('6*7')).toContain('=42\r\n');
  });

  it('--variables: a smaller board runs out sooner', async () => {
    const small = await startVirtualEspruino({ variables: 1000 });
    const s2 = await SerialSession.open(small.path);
    try {
      await s2.write('\x10print("#up")\n');
      await s2.waitFor('#up\r\n>');
      const from = s2.mark();
      await s2.write('var big = new Float32Array(3500)\r'); // 14,000 bytes: 1,078 blocks of data
      expect(await s2.waitFor(/\r\n>$/, from)).toContain('ERROR: Out of Memory!\r\nExecution Interrupted\r\n');
      const from2 = s2.mark();
      await s2.write('process.memory().total\r');
      expect(await s2.waitFor(/\r\n>$/, from2)).toContain('=1000\r\n');
    } finally {
      await s2.close();
      await small.close();
    }
  });
});

describe('flash', () => {
  let board: VirtualEspruino | null = null;
  let port: SerialSession | null = null;
  afterEach(async () => {
    await port?.close();
    await board?.close();
    port = null;
    board = null;
  });

  async function open(b: VirtualEspruino): Promise<SerialSession> {
    board = b;
    port = await SerialSession.open(b.path);
    s = port;
    return port;
  }

  it('runs .bootcde from Storage at power-on (no banner: saved code was loaded)', async () => {
    const p = await open(await startVirtualEspruino({ program: 'var booted = 7; print("booted from flash");' }));
    const from = p.mark();
    await board!.reset();
    const text = await p.waitFor(/\r\n>$/, from);
    expect(text).toBe('booted from flash\r\n\r\n>');
    expect(await typed('booted')).toContain('=7\r\n');
    expect(board!.storedProgram()).toBe('var booted = 7; print("booted from flash");');
  });

  it('keeps a program written to .bootcde in chunks (as EspruinoTools does) and runs it on load()', async () => {
    await open(await startVirtualEspruino());
    const code = 'var fromChunks = 3; print("chunked");';
    await quiet(`require("Storage").write(".bootcde", ${JSON.stringify(code.slice(0, 20))}, 0, ${code.length});`);
    await quiet(`require("Storage").write(".bootcde", ${JSON.stringify(code.slice(20))}, 20);`);
    expect(await typed('load()')).toContain('load()\r\n=undefined\r\nchunked\r\n>');
    expect(await typed('fromChunks')).toContain('=3\r\n');
    await board!.unplug();
    const path = await board!.replug();
    port = await SerialSession.open(path);
    s = port;
    expect(await typed('fromChunks')).toContain('=3\r\n');
  });

  it('save() keeps the program across a power cycle; reset() does not run it', async () => {
    await open(await startVirtualEspruino());
    await quiet('var count = 0;');
    await quiet('function bump() { count++; return count; }');
    const saved = await typed('save()');
    expect(saved).toMatch(/Compacting Flash\.\.\.\r\nCalculating Size\.\.\.\r\nWriting\.\.+\r\nCompressed 66300 bytes to \d+\r\n>$/);
    await board!.unplug();
    const path = await board!.replug();
    port = await SerialSession.open(path);
    s = port;
    expect(await typed('bump()')).toContain('=1\r\n');
    await typed('reset()');
    expect(await typed('typeof bump')).toContain('="undefined"');
    expect(await typed('load()')).toMatch(/Loading \d+ bytes from flash\.\.\.\r\n>$/);
    expect(await typed('bump() + bump()')).toContain('=3\r\n');
  });
});

describe('the registry', () => {
  it('lists a registered virtual Espruino with its runtime and its serial number', async () => {
    const realTmp = process.env.TMPDIR;
    const dir = mkdtempSync(join(tmpdir(), 'pt-esp-registry-'));
    process.env.TMPDIR = dir;
    const b = await startVirtualEspruino({ register: true });
    try {
      expect(findRunningSims()).toContain(b.path);
      expect(findRunningSimEntries()).toContainEqual({ path: b.path, runtime: 'espruino', serial: b.serial });
    } finally {
      await b.close();
      if (realTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = realTmp;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(findRunningSims()).not.toContain(b.path);
  });
});
