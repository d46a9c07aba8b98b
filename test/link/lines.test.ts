import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineSplitter, LineStream, cleanLine, frameLine, isRedLine, recordsIn } from '../../host/link/lines.ts';
import { formatEpoch } from '../../shared/protocol.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('LineSplitter', () => {
  it('splits on \\n, keeps the \\r for the cleaner, and buffers a partial line', () => {
    const s = new LineSplitter();
    expect(s.push(enc('abc\r\nde'))).toEqual(['abc\r']);
    expect(s.pending).toBe(2);
    expect(s.push(enc('f\r\n\r\ng'))).toEqual(['def\r', '\r']);
    expect(s.end()).toEqual(['g']);
  });

  it('joins a multi-byte UTF-8 character split across chunks', () => {
    const bytes = enc('µ=1\n');
    const s = new LineSplitter();
    expect(s.push(bytes.subarray(0, 1))).toEqual([]);
    expect(s.push(bytes.subarray(1))).toEqual(['µ=1']);
  });

  it('drops a line over the limit whole, reports it, and carries on with the next', () => {
    const dropped: number[] = [];
    const s = new LineSplitter({ maxLine: 10, onOverflow: (n) => dropped.push(n) });
    expect(s.push('0123456')).toEqual([]);
    expect(s.push('789abcdef')).toEqual([]); // 16 > 10: now discarding
    expect(s.pending).toBe(0);
    expect(s.push('ghij\nok\n')).toEqual(['ok']);
    expect(dropped).toEqual([20]);
  });

  it('a line of exactly the limit is kept', () => {
    const s = new LineSplitter({ maxLine: 4 });
    expect(s.push('abcd\nabcde\nx\n')).toEqual(['abcd', 'x']);
  });

  it('survives binary noise, including invalid UTF-8 and NULs', () => {
    const s = new LineSplitter();
    const noise = new Uint8Array(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 197 + 13) & 0xff;
    const lines = s.push(noise);
    expect(lines.length).toBeGreaterThan(0);
    expect(() => s.end()).not.toThrow();
  });
});

describe('cleanLine and frameLine', () => {
  it("removes console.log's framing and colours", () => {
    const raw = '\x1b[2K\r{"type":"ack","seq":3,"op":"status"}\r';
    expect(cleanLine(raw)).toBe('{"type":"ack","seq":3,"op":"status"}');
    expect(frameLine(raw).record).toEqual({ type: 'ack', seq: 3, op: 'status' });
  });

  it('sees the red of an uncaught error', () => {
    const raw = '\x1b[31mReferenceError: pt is not defined\r';
    expect(isRedLine(raw)).toBe(true);
    expect(cleanLine(raw)).toBe('ReferenceError: pt is not defined');
    expect(isRedLine('  at <anonymous>:12\r')).toBe(false);
  });

  it('echo, prompts and the grey `undefined` are text, not records', () => {
    for (const raw of ['> pt.c(1,"eyJvcCI6InN0YXJ0In0=")\r', '\x1b[90mundefined\x1b[0m\r', '> \r', '{not json}\r']) {
      expect(frameLine(raw).record).toBeNull();
    }
  });
});

describe('recordsIn', () => {
  it('recovers records however the bytes are chunked', () => {
    const lines = [formatEpoch(0, [1], 1, 0, 4.5, NaN, 0.01), formatEpoch(1, [1.5], 1, 0, 1.25, NaN, 0.01)];
    const stream = enc(lines.map((l) => '\x1b[2K\r' + l + '\r\n').join('') + '> \x1b[90mundefined\x1b[0m\r\n');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks: Uint8Array[] = [];
        for (let i = 1; i < points.length; i++) chunks.push(stream.subarray(points[i - 1], points[i]));
        const recs = recordsIn(chunks);
        expect(recs.map((r) => (r.type === 'epoch' ? r.epoch : -1))).toEqual([0, 1]);
      }),
      { numRuns: 300 },
    );
  });

  it('a record after a huge garbage line still arrives', () => {
    const junk = 'x'.repeat(200_000);
    const rec = '{"type":"ack","seq":9,"op":"end","count":3,"crc":7}';
    expect(recordsIn([junk, junk + '\r\n', rec + '\r\n'])).toEqual([{ type: 'ack', seq: 9, op: 'end', count: 3, crc: 7 }]);
  });
});

describe('LineStream', () => {
  it('is a transform from bytes to framed lines', async () => {
    const s = new LineStream();
    const got: string[] = [];
    s.on('data', (l: { text: string }) => got.push(l.text));
    s.write(Buffer.from('\x1b[2K\rhello\r\nwor'));
    s.end(Buffer.from('ld'));
    await new Promise((r) => s.on('end', r));
    expect(got).toEqual(['hello', 'world']);
  });
});

describe('framing under random streams', () => {
  const record = fc
    .tuple(fc.nat({ max: 1e6 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }))
    .map(([e, w, loss]) => formatEpoch(e, [w], 1, 0, loss, NaN, 0.01));
  // Any bytes but "\n": a noise line, possibly with ANSI codes, NULs, invalid UTF-8.
  const noise = fc.uint8Array({ maxLength: 200 }).map((a) => a.map((b) => (b === 10 ? 11 : b)));
  const ansi = fc.constantFrom('\x1b[2K\r', '\x1b[31m', '\x1b[0m', '\x1b[90m', '\x1b]0;title\x07', '\x1b[', '\x1b');
  const segment = fc.oneof(
    record.map((r) => ({ rec: r, bytes: enc('\x1b[2K\r' + r + '\r\n') })),
    fc.tuple(ansi, record, ansi).map(([a, r, b]) => ({ rec: r, bytes: enc(a + r + b + '\r\n') })),
    noise.map((n) => ({ rec: null, bytes: Uint8Array.from([...n, 13, 10]) })),
    // A partial line (noise with no newline) glued in front of a record's console.log framing.
    fc.tuple(noise, record).map(([n, r]) => ({ rec: r, bytes: Uint8Array.from([...n, ...enc('\x1b[2K\r' + r + '\r\n')]) })),
    fc.integer({ min: 65 * 1024, max: 70 * 1024 }).map((n) => ({ rec: null, bytes: enc('x'.repeat(n) + '{"type":"ack"\r\n') })),
  );

  it('recovers every well-formed record, in order, from noisy chunked streams', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (segs, cuts) => {
        const total = segs.reduce((n, s) => n + s.bytes.length, 0);
        const all = new Uint8Array(total);
        let o = 0;
        for (const s of segs) {
          all.set(s.bytes, o);
          o += s.bytes.length;
        }
        const points = [0, ...cuts.map((c) => (total === 0 ? 0 : c % total)).sort((a, b) => a - b), total];
        const chunks: Uint8Array[] = [];
        for (let i = 1; i < points.length; i++) chunks.push(all.subarray(points[i - 1], points[i]));
        const got = recordsIn(chunks).map((r) => JSON.stringify(r));
        const want = segs.filter((s) => s.rec !== null).map((s) => JSON.stringify(JSON.parse(s.rec as string)));
        expect(got).toEqual(want);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
    );
  });
});
