// The simulator's small parts on their own: the input ring buffer, the USB output, the JerryScript
// syntax check.
import { describe, expect, it } from 'vitest';
import { BoardOutput, OUT_LIMIT, STDOUT_TIMEOUT_MS } from '../../host/sim/board-output.ts';
import { createSharedIo, InputReader, InputWriter, RING_SIZE, Slot, USB_PACKET } from '../../host/sim/shared-io.ts';
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

  it('Ctrl-C sets the stop flag and flushes what was queued before it and what came with it', () => {
    const io = createSharedIo();
    const ctrl = new Int32Array(io.ctrl);
    const w = new InputWriter(io);
    const r = new InputReader(io);
    w.push(bytes('queued line\r'));
    // Measured on the real firmware: the bytes sent together with the Ctrl-C are thrown away too.
    w.push(bytes('more\x03.reset\r'));
    expect(Atomics.load(ctrl, Slot.vmStop)).toBe(1);
    expect(r.available()).toBe(0);
    // The next line, sent after a pause, gets through.
    w.push(bytes('1+1\r'));
    expect(text(r.read())).toBe('1+1\r');
    // Reading input clears a pending stop, as km_tty_available does.
    expect(Atomics.load(ctrl, Slot.vmStop)).toBe(0);
  });

  it('Ctrl-C throws away the rest of its 64-byte USB packet, not the packets after it', () => {
    const io = createSharedIo();
    const w = new InputWriter(io);
    const r = new InputReader(io);
    const second = 'y'.repeat(USB_PACKET);
    w.push(bytes('\x03' + 'x'.repeat(USB_PACKET - 1) + second + 'z'));
    expect(text(r.read())).toBe(second + 'z');
    // A Ctrl-C in the second packet flushes the first (still queued) and its own.
    w.push(bytes('a'.repeat(USB_PACKET) + 'b\x03' + 'c'.repeat(USB_PACKET - 2) + 'tail'));
    expect(text(r.read())).toBe('tail');
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

describe('the USB output when the host stops reading (Pico SDK stdio_usb, as measured on the board)', () => {
  it('blocks only the first stalled write, cuts it short, drops later writes at once, and flows again once the host reads', () => {
    const io = createSharedIo();
    const ctrl = new Int32Array(io.ctrl);
    const posted: Uint8Array[] = [];
    const out = new BoardOutput(io, (b) => posted.push(b));
    const taken = () => posted.reduce((n, b) => n + b.length, 0);
    const last = () => text(posted[posted.length - 1]);
    const timed = (f: () => void) => {
      const t = performance.now();
      f();
      return performance.now() - t;
    };
    // The host reads everything that was handed over (the main thread does this after each pty write).
    const hostReads = () => {
      Atomics.store(ctrl, Slot.outPending, 0);
      Atomics.add(ctrl, Slot.outSignal, 1);
    };

    // The host has stopped reading: what fits is still taken at once.
    const fits = timed(() => {
      out.write('a'.repeat(OUT_LIMIT - 100));
      out.flush();
    });
    expect(fits).toBeLessThan(100);
    // The first write that does not fit: its first 100 bytes are taken, then it waits 500 ms for
    // room and loses the rest. The line is cut short.
    out.write('b'.repeat(300));
    const first = timed(() => out.flush());
    expect(first).toBeGreaterThanOrEqual(STDOUT_TIMEOUT_MS - 1);
    expect(first).toBeLessThan(STDOUT_TIMEOUT_MS + 400);
    expect(taken()).toBe(OUT_LIMIT);
    expect(last()).toBe('b'.repeat(100));
    expect(out.dropped).toBe(200);
    // Later writes do not block: they are dropped at once.
    const later = timed(() => {
      for (let i = 0; i < 50; i++) {
        out.write(`line ${i}\r\n`);
        out.flush();
      }
    });
    expect(later).toBeLessThan(100);
    expect(taken()).toBe(OUT_LIMIT);
    // Once the host reads again, output flows, and the next stall blocks once more.
    hostReads();
    out.write('again\r\n');
    out.flush();
    expect(last()).toBe('again\r\n');
    const again = timed(() => {
      out.write('c'.repeat(OUT_LIMIT)); // 7 bytes too many
      out.flush();
    });
    expect(again).toBeGreaterThanOrEqual(STDOUT_TIMEOUT_MS - 1);
    expect(out.dropped).toBe(200 + 10 * 'line 0\r\n'.length + 40 * 'line 10\r\n'.length + 7);
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
