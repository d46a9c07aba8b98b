// Arbitraries for the record-parser fuzz tests: well-formed records as the board prints them, noise
// as a serial line carries it, and streams that interleave the two and arrive cut into chunks.
import fc from 'fast-check';
import { defaultConfig } from '../../shared/config.ts';
import { BOARD_ERRORS, formatRecord, PROTOCOL_VERSION, type ProtocolRecord } from '../../shared/protocol.ts';

// ---------------------------------------------------------------- records

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });
const count = fc.nat({ max: 4294967295 });
const weights = fc.array(f32, { minLength: 1, maxLength: 8 });
/** Any text a message may hold: every code point, lone surrogates and control characters (DEL included). */
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
/** Characters that a framer or a JSON reader could trip on, drawn often instead of by luck. */
const trickyChar = fc.constantFrom('\x7f', '\x1b', '\r', '\n', '\0', '\t', '"', '\\', '{', '}', '\u2028', '\ufeff', '\ud800', '\udc00', 'é', '😀', '\x9b');
const text = fc.string({ unit: fc.oneof(anyChar, trickyChar), maxLength: 40 });

const epoch = fc.record(
  { type: fc.constant('epoch' as const), epoch: count, w: weights, b: f32, loss: f32, val_loss: f32, lr: f32 },
  { requiredKeys: ['type', 'epoch', 'w', 'b', 'loss', 'lr'] },
);
const done = fc.record(
  {
    type: fc.constant('done' as const),
    reason: fc.constantFrom('epochs' as const, 'early_stop' as const, 'diverged' as const, 'stopped' as const),
    epoch: count,
    w: weights,
    b: f32,
    loss: fc.option(f32, { nil: null }),
    best_epoch: count,
    message: text,
  },
  { requiredKeys: ['type', 'reason', 'epoch', 'w', 'b', 'loss'] },
);
const step = fc.record({ type: fc.constant('step' as const), step: count, x: fc.array(f32, { minLength: 1, maxLength: 2 }), f: f32 });
const push = fc.record({ type: fc.constant('push' as const), at: count, trained: count, w: weights, b: f32 });
const ack = fc.record(
  { type: fc.constant('ack' as const), seq: count, op: fc.constantFrom('data', 'begin', 'end', 'config', 'start', 'stop', 'params'), count, crc: count, at: count },
  { requiredKeys: ['type', 'seq', 'op'] },
);
const error = fc.record(
  { type: fc.constant('error' as const), seq: count, code: fc.constantFrom('crc', 'count', 'bad_request', 'internal', 'no_data', 'push'), message: text },
  { requiredKeys: ['type', 'code', 'message'] },
);
const heap = fc.record({ total: fc.nat(200_000), used: fc.nat(200_000) });
const status = fc.record({
  type: fc.constant('status' as const),
  state: fc.constantFrom('idle' as const, 'training' as const, 'paused' as const, 'done' as const, 'walking' as const),
  epoch: count,
  samples: fc.nat(1024),
  features: fc.integer({ min: 1, max: 8 }),
  heap,
  protocol: fc.constant(PROTOCOL_VERSION),
  capacity: fc.constant({ samples: 1024, features: 8 }),
});
const hello = fc.record({
  type: fc.constant('hello' as const),
  protocol: fc.constant(PROTOCOL_VERSION),
  firmware: fc.constantFrom('0.1.0', 'fixture'),
  runtime: fc.constantFrom('kaluma 1.2.1', 'kaluma'),
  capacity: fc.constant({ samples: 1024, features: 8 }),
  heap,
});
const start = fc.record({
  type: fc.constant('start' as const),
  protocol: fc.constant(PROTOCOL_VERSION),
  source: fc.constantFrom('desktop' as const, 'board' as const),
  config: fc.constantFrom(...(['sgd', 'adam', 'rmsprop'] as const).map((o) => defaultConfig(o))),
  samples: fc.nat(1024),
  features: fc.integer({ min: 1, max: 8 }),
  train: fc.nat(1024),
  val: fc.nat(1024),
});
const walk = fc.record({
  type: fc.constant('walk' as const),
  protocol: fc.constant(PROTOCOL_VERSION),
  source: fc.constantFrom('desktop' as const, 'board' as const),
  fn: fc.constantFrom('quadratic', 'bowl', 'rosenbrock'),
  optimizer: fc.constantFrom('sgd', 'adam'),
  lr: f32,
  start: fc.array(f32, { minLength: 1, maxLength: 2 }),
  steps: count,
});

export const recordArb: fc.Arbitrary<ProtocolRecord> = fc.oneof(
  { arbitrary: epoch, weight: 4 },
  { arbitrary: done, weight: 2 },
  { arbitrary: step, weight: 2 },
  push,
  { arbitrary: ack, weight: 2 },
  error,
  status,
  hello,
  start,
  walk,
) as fc.Arbitrary<ProtocolRecord>;

// ---------------------------------------------------------------- noise

const enc = new TextEncoder();
const bytesOf = (s: string): Uint8Array => enc.encode(s);
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

const ansi = fc.oneof(
  fc.constantFrom('\x1b[2K\r', '\x1b[0m', '\x1b[31m', '\x1b[1;31m', '\x1b[90m', '\x1b[96m', '\x1b[?25l', '\x1b[K', '\x1b]0;title\x07', '\x1bc', '\x1b[', '\x1b'),
  fc.tuple(fc.array(fc.integer({ min: 0x30, max: 0x3f }), { maxLength: 6 }), fc.integer({ min: 0x40, max: 0x7e })).map(
    ([params, final]) => '\x1b[' + String.fromCharCode(...params) + String.fromCharCode(final),
  ),
).map(latin1);

/** What the REPL prints around the records: prompts, echo, `undefined`, a red error, a banner. */
const replText = fc.constantFrom(
  '> ',
  'undefined\r\n',
  '\x1b[90mundefined\x1b[0m\r\n',
  'pt.d(12,"AAAAAAAA",123)\r\n',
  '\x1b[31mReferenceError: pt is not defined\x1b[0m\r\n',
  '    at <anonymous>:1:1\r\n',
  'Welcome to Kaluma v1.2.1\r\n',
  '\r',
  '\r\r\r',
  '\n',
  '\r\n',
  '\t',
).map(bytesOf);

const invalidUtf8 = fc.constantFrom(
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xff],
  [0xfe, 0xff],
  [0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
).map((b) => Uint8Array.from(b));

const binary = fc.uint8Array({ maxLength: 48 });
const nuls = fc.integer({ min: 1, max: 8 }).map((n) => new Uint8Array(n));
const unicodeText = fc.string({ unit: 'grapheme', maxLength: 20 }).map(bytesOf);

/** A record's line cut short, never including its closing brace. */
const partialRecord = fc.tuple(recordArb, fc.double({ min: 0, max: 1, noNaN: true })).map(([r, at]) => {
  const line = formatRecord(r);
  return bytesOf(line.slice(0, Math.floor(at * (line.length - 1))));
});

/** A long line without a newline, of `min`..`max` characters. */
export function longLine(min: number, max: number): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.integer({ min, max }), fc.constantFrom('x', '{', '\x1b[0m', '\r', '0'), fc.boolean()).map(([n, unit, framed]) => {
    const body = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
    return bytesOf(framed ? '\x1b[2K\r' + body : body);
  });
}

export const noiseArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: ansi, weight: 3 },
  { arbitrary: replText, weight: 3 },
  { arbitrary: invalidUtf8, weight: 2 },
  { arbitrary: binary, weight: 3 },
  { arbitrary: nuls, weight: 1 },
  { arbitrary: unicodeText, weight: 2 },
  { arbitrary: partialRecord, weight: 2 },
);

/** Noise that can never take part in a record: no brace survives in it. */
export const bracelessNoiseArb: fc.Arbitrary<Uint8Array> = noiseArb.map((b) => b.map((v) => (v === 0x7b || v === 0x7d ? 0x2e : v)));

// ---------------------------------------------------------------- streams

export type Item = { kind: 'record'; record: ProtocolRecord; framed: boolean } | { kind: 'noise'; bytes: Uint8Array };

export function itemArb(noise: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Item> {
  return fc.oneof(
    fc.record({ kind: fc.constant('record' as const), record: recordArb, framed: fc.boolean() }),
    { arbitrary: noise.map((bytes) => ({ kind: 'noise' as const, bytes })), weight: 2 },
  );
}

export interface Stream {
  bytes: Uint8Array;
  /** The planted records, as the host must read them back (the JSON value of the printed line). */
  expected: unknown[];
  /** Lines in the stream: an upper bound on the records any parser could find. */
  lines: number;
}

/**
 * Lays the items out as the board would: each record on its own line — after a "\n" (or at the
 * start of the stream), optionally in Kaluma's "\x1b[2K\r" frame, ended by "\r\n" — and the noise
 * as it is, wherever it falls.
 */
export function layOut(items: Item[]): Stream {
  const parts: Uint8Array[] = [];
  const expected: unknown[] = [];
  let size = 0;
  let last = -1; // last byte written, -1 at the start
  const put = (b: Uint8Array): void => {
    if (b.length === 0) return;
    parts.push(b);
    size += b.length;
    last = b[b.length - 1];
  };
  for (const item of items) {
    if (item.kind === 'noise') {
      put(item.bytes);
      continue;
    }
    const line = formatRecord(item.record);
    if (last !== -1 && last !== 0x0a) put(bytesOf('\n'));
    put(bytesOf((item.framed ? '\x1b[2K\r' : '') + line + '\r\n'));
    const r = JSON.parse(line);
    // A board's error without its text reads with the text the host keeps for its code.
    if (r.type === 'error' && r.message === '' && BOARD_ERRORS[r.code]) r.message = BOARD_ERRORS[r.code];
    expected.push(r);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  let lines = 1;
  for (const b of bytes) if (b === 0x0a) lines++;
  return { bytes, expected, lines };
}

/** The stream cut at the given points (any numbers; taken modulo the length, duplicates ignored). */
export function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => (bytes.length > 0 ? p % bytes.length : 0)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of at) {
    if (p <= from) continue;
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

export function streamArb(noise: fc.Arbitrary<Uint8Array>, maxItems = 12): fc.Arbitrary<{ stream: Stream; chunks: Uint8Array[] }> {
  return fc.tuple(fc.array(itemArb(noise), { maxLength: maxItems }), fc.array(fc.nat(), { maxLength: 16 })).map(([items, points]) => {
    const stream = layOut(items);
    return { stream, chunks: cut(stream.bytes, points) };
  });
}

/** True when `want` appears in `got` in order (other records may come between). */
export function inOrder(got: unknown[], want: unknown[], equal: (a: unknown, b: unknown) => boolean): boolean {
  let k = 0;
  for (const g of got) if (k < want.length && equal(g, want[k])) k++;
  return k === want.length;
}
