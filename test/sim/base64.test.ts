// Kaluma 1.2.1's atob and btoa (src/global.c btoa_fn/atob_fn over src/base64.c), which are native and
// not the web's: atob returns a Uint8Array (or undefined), btoa takes a Uint8Array or a string and
// puts a line feed after every 72 characters. Run in the virtual Pico's engine, as a program would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsEngine, loadQuickJS } from '../../host/sim/engine.ts';

let engine: JsEngine;
let out = '';

beforeAll(async () => {
  engine = new JsEngine(await loadQuickJS(), {
    write: (text) => {
      out += text;
    },
    writeBytes: () => {},
    stdinRead: () => null,
    now: () => 0,
    delay: () => {},
    takeStop: () => false,
    nextHandleId: (() => {
      let id = 2;
      return () => id++;
    })(),
  });
});
afterAll(() => engine.dispose());

type Result = { bytes: number[]; bufferLength: number } | { value: unknown } | { undefined: true } | { error: string };

/** Evaluates `expr` on the board and describes what came back. */
function run(expr: string): Result {
  out = '';
  const failure = engine.runProgram(`(function () {
  var r;
  try {
    var v = (${expr});
    if (v instanceof Uint8Array) r = { bytes: Array.prototype.slice.call(v), bufferLength: v.buffer.byteLength };
    else if (v === undefined) r = { undefined: true };
    else r = { value: v };
  } catch (e) {
    r = { error: String(e) };
  }
  print(JSON.stringify(r));
})();`);
  expect(failure).toBeNull();
  return JSON.parse(out) as Result;
}

const bytes = (s: string) => ({ bytes: [...Buffer.from(s, 'latin1')], bufferLength: s.length });

describe('btoa', () => {
  it('encodes a Uint8Array (its own view of the buffer) with standard padding', () => {
    expect(run('btoa(new Uint8Array([102, 111, 111]))')).toEqual({ value: 'Zm9v' });
    expect(run('btoa(new Uint8Array([102, 111]))')).toEqual({ value: 'Zm8=' });
    expect(run('btoa(new Uint8Array([102]))')).toEqual({ value: 'Zg==' });
    expect(run('btoa(new Uint8Array([0, 102, 111, 111, 0]).subarray(1, 4))')).toEqual({ value: 'Zm9v' });
    expect(run('btoa(new Uint8Array([0xfb, 0xff, 0xbf]))')).toEqual({ value: '+/+/' });
  });

  it('puts a line feed after every 72 characters, but not at the end', () => {
    const A = 'A'.repeat(72);
    expect(run('btoa(new Uint8Array(54))')).toEqual({ value: A });
    expect(run('btoa(new Uint8Array(55))')).toEqual({ value: A + '\nAA==' });
    expect(run('btoa(new Uint8Array(108))')).toEqual({ value: A + '\n' + A });
  });

  it('takes a string as one byte per character: Latin-1 as it is, anything above U+00FF as 0', () => {
    expect(run('btoa("foobar")')).toEqual({ value: 'Zm9vYmFy' });
    expect(run('btoa("\\u00ff\\u00fe\\u00e9")')).toEqual({ value: Buffer.from([0xff, 0xfe, 0xe9]).toString('base64') });
    expect(run('btoa("\\u20ac")')).toEqual({ value: 'AA==' });
  });

  it('returns undefined for nothing to encode', () => {
    expect(run('btoa(new Uint8Array(0))')).toEqual({ undefined: true });
    expect(run('btoa("")')).toEqual({ undefined: true });
  });

  it('refuses other typed arrays and everything else', () => {
    for (const arg of ['new Float32Array(2)', 'new Uint8ClampedArray(3)', 'new Int8Array(3)', 'new Uint8Array(3).buffer', 'new DataView(new ArrayBuffer(3))', '[1, 2, 3]', '42', 'undefined']) {
      expect(run(`btoa(${arg})`)).toEqual({ error: 'TypeError: Unsupported binary data.' });
    }
    expect(run('btoa()')).toEqual({ error: 'TypeError: "data" argument required' });
  });
});

describe('atob', () => {
  it('returns a Uint8Array of its own', () => {
    expect(run('atob("Zm9v")')).toEqual(bytes('foo'));
    expect(run('atob("Zm8=")')).toEqual(bytes('fo'));
    expect(run('atob("Zg==")')).toEqual(bytes('f'));
    expect(run('atob("+/+/")')).toEqual({ bytes: [0xfb, 0xff, 0xbf], bufferLength: 3 });
  });

  it('skips whitespace, line feeds and every other character that is not base64', () => {
    expect(run('atob("Zm9v\\nYmFy")')).toEqual(bytes('foobar'));
    expect(run('atob(" Zm 9v\\r\\n")')).toEqual(bytes('foo'));
    expect(run('atob("Zm9v!-_")')).toEqual(bytes('foo'));
    expect(run('atob("Zm\\u00e99v")')).toEqual(bytes('foo'));
  });

  it('returns undefined without whole groups of four: missing padding, empty input', () => {
    expect(run('atob("Zg")')).toEqual({ undefined: true });
    expect(run('atob("Zm9vY")')).toEqual({ undefined: true });
    expect(run('atob("")')).toEqual({ undefined: true });
    expect(run('atob(" \\n ")')).toEqual({ undefined: true });
  });

  it('stops at the first group with padding, and returns undefined for three or four =', () => {
    expect(run('atob("Zg==Zm9v")')).toEqual(bytes('f'));
    expect(run('atob("A===")')).toEqual({ undefined: true });
    expect(run('atob("====")')).toEqual({ undefined: true });
  });

  it('wants a string', () => {
    expect(run('atob(42)')).toEqual({ error: 'TypeError: "encodedData" argument must be a string' });
    expect(run('atob()')).toEqual({ error: 'TypeError: "encodedData" argument must be a string' });
  });

  it('reads back what btoa wrote, line feeds and all', () => {
    expect(run('(function () { var b = new Uint8Array(200); for (var i = 0; i < 200; i++) b[i] = (i * 37) & 255; var s = btoa(b); var d = atob(s); if (s.indexOf("\\n") < 0 || d.length !== 200) return false; for (var j = 0; j < 200; j++) if (d[j] !== b[j]) return false; return true; })()')).toEqual({ value: true });
  });
});
