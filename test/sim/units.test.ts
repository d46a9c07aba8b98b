// The simulator's small parts on their own: the input ring buffer and the JerryScript syntax check.
import { describe, expect, it } from 'vitest';
import { createSharedIo, InputReader, InputWriter, RING_SIZE, Slot } from '../../host/sim/shared-io.ts';
import { checkJerrySyntax } from '../../host/sim/jerry-syntax.ts';
import { cesu8 } from '../../host/sim/text.ts';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('the input ring buffer', () => {
  it('keeps the last 2048 bytes when the board does not read, and counts the rest as lost', () => {
    const io = createSharedIo();
    const w = new InputWriter(io);
    const r = new InputReader(io);
    const data = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
    w.push(bytes(data.slice(0, 3000)));
    w.push(bytes(data.slice(3000)));
    expect(r.available()).toBe(RING_SIZE);
    expect(text(r.read())).toBe(data.slice(5000 - RING_SIZE));
    expect(r.lost).toBe(5000 - RING_SIZE);
    expect(r.available()).toBe(0);
  });

  it('reads in pieces and wraps around', () => {
    const io = createSharedIo();
    const w = new InputWriter(io);
    const r = new InputReader(io);
    let all = '';
    for (let i = 0; i < 10; i++) {
      const chunk = `line ${i} `.repeat(50);
      w.push(bytes(chunk));
      all += text(r.read(100)) + text(r.read());
    }
    expect(all).toBe(Array.from({ length: 10 }, (_, i) => `line ${i} `.repeat(50)).join(''));
    expect(r.lost).toBe(0);
  });

  it('Ctrl-C sets the stop flag and flushes what was queued before it', () => {
    const io = createSharedIo();
    const ctrl = new Int32Array(io.ctrl);
    const w = new InputWriter(io);
    const r = new InputReader(io);
    w.push(bytes('queued line\r'));
    w.push(bytes('more\x03after'));
    expect(Atomics.load(ctrl, Slot.vmStop)).toBe(1);
    expect(text(r.read())).toBe('after');
    // Reading input clears a pending stop, as km_tty_available does.
    expect(Atomics.load(ctrl, Slot.vmStop)).toBe(0);
  });

  it('passes 0x03 through as data during a YMODEM transfer', () => {
    const io = createSharedIo();
    const ctrl = new Int32Array(io.ctrl);
    Atomics.store(ctrl, Slot.ymodem, 1);
    const w = new InputWriter(io);
    const r = new InputReader(io);
    w.push(Uint8Array.of(0x02, 0x03, 0x04));
    expect(Atomics.load(ctrl, Slot.vmStop)).toBe(0);
    expect([...r.read()]).toEqual([0x02, 0x03, 0x04]);
  });
});

describe('what JerryScript 2.4 parses', () => {
  it('accepts ES2019-2020 code the board runs', () => {
    const ok = [
      'let a = 1; const b = a ?? 2; const c = 2 ** 3;',
      'class P { x = 1; m() { return this.x; } }',
      'async function f() { for (const v of [1]) await v; }',
      'function* g() { yield 1; } const { p, ...rest } = { p: 1, q: 2 }; [...rest.q ? [1] : []];',
      'var s = "a?.b ??= #c";',
    ];
    for (const code of ok) expect(checkJerrySyntax(code)).toBeNull();
  });

  it('rejects optional chaining, logical assignment, private members and static blocks, with the position', () => {
    expect(checkJerrySyntax('var o = {};\nvar v = o.p?.q;')).toMatchObject({ line: 2, column: 12 });
    expect(checkJerrySyntax('let a; a ||= 1;')?.message).toContain('||=');
    expect(checkJerrySyntax('let a; a &&= 1;')?.message).toContain('&&=');
    expect(checkJerrySyntax('let a; a ??= 1;')?.message).toContain('??=');
    expect(checkJerrySyntax('class A { #x = 1; }')?.message).toContain('#');
    expect(checkJerrySyntax('class A { static { } }')?.message).toContain('static blocks');
    expect(checkJerrySyntax('f?.()')).not.toBeNull();
  });

  it('reports plain syntax errors with a 1-based column', () => {
    expect(checkJerrySyntax('var = 1;')).toMatchObject({ line: 1, column: 5 });
  });
});

describe('output encoding', () => {
  it('is CESU-8: characters outside the BMP become two 3-byte halves', () => {
    expect([...cesu8('é')]).toEqual([0xc3, 0xa9]);
    expect(cesu8('😀').length).toBe(6);
  });
});
