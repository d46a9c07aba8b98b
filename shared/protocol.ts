// The line protocol: one JSON object per line, the same records from the board, from `host run`
// and in run files. In text (host run, run files) float32 values are printed as the shortest decimal
// that reads back to the same float32, so a record is both readable and bit-exact. The board sends
// its epoch, done and step records with their float32 values as base64 bits instead ("bits"): the
// shortest-decimal search costs milliseconds a value in its interpreter, a native btoa almost
// nothing, and the host turns such a record into the very same record (records.ts, parseRecord).
// Written for ES2019 and JerryScript: no optional chaining, no Node APIs.

import type { TrainConfig } from './config.ts';
import { base64Decode, fromExactNumbers } from './wire.ts';

/** The most float32 values one board record carries: 8 weights, b, loss, val_loss, lr. */
export const MAX_BITS_VALUES = 12;

/**
 * Bumped whenever a record or a command changes shape. The hello and start records carry it.
 * 2: float32 bits in the board's epoch/done/step records; the upload's value stream and chained checksum.
 * 3: parallel runs (shared/parallel/): `worker`, `update` and `worker_state` records, the start record's `parallel`
 *    settings and sources `cluster`/`threads`, the epoch record's `version`/`time_us`, the done
 *    record's `counts`.
 */
export const PROTOCOL_VERSION = 3;

export type DoneReason = 'epochs' | 'early_stop' | 'diverged' | 'stopped';

export interface HelloRecord {
  type: 'hello';
  protocol: number;
  firmware: string;
  runtime: string;
  capacity: { samples: number; features: number };
  heap: { total: number; used: number };
}

/** Where a run trained: the desktop engine, a board, the simulated cluster, or threads. */
export type RunSource = 'desktop' | 'board' | 'cluster' | 'threads';

/** Opens every run: what was trained, on what, with which settings. */
export interface StartRecord {
  type: 'start';
  protocol: number;
  source: RunSource;
  config: TrainConfig;
  samples: number;
  features: number;
  train: number;
  val: number;
  /** The board's number for this run (runs since its firmware booted). */
  run?: number;
  /** Set by a host that joined the run after it started: this record is rebuilt from the board's status. */
  attached?: boolean;
  /** A parallel run's own settings (algorithm, workers, …: shared/parallel/options.ts). */
  parallel?: { algorithm: string; workers: number } & Record<string, unknown>;
}

export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  w: number[];
  b: number;
  /** Full training-set MSE at exactly this record's w and b. */
  loss: number;
  val_loss?: number;
  lr: number;
  /** Parallel runs: the server's version (updates applied) and the simulated time, in µs. */
  version?: number;
  time_us?: number;
}

/**
 * Parallel runs, once per epoch-equivalent for each worker: its own copy of the parameters (a
 * replica, an EASGD worker, or what it last read), their loss on its shard, and its counts so far.
 */
export interface WorkerRecord {
  type: 'worker';
  epoch: number;
  worker: number;
  /** null entries: that worker's copy is no longer finite (the run goes on while the global one is). */
  w: (number | null)[];
  b: number | null;
  /** MSE on the worker's shard at w, b; null when not finite. */
  loss: number | null;
  /** Samples this worker has computed gradients on, and updates (pushes, writes, exchanges) it has sent. */
  samples: number;
  updates: number;
}

/**
 * Parallel runs: one update applied to the global parameters (a push, a write, an elastic
 * exchange). Staleness = version − 1 − read: the updates applied since the parameters it was
 * computed from were read.
 */
export interface UpdateRecord {
  type: 'update';
  worker: number;
  /** When it was applied: simulated µs (cluster), or µs since the start (threads). */
  t: number;
  /** The version the worker had read; the version this update made. */
  read: number;
  version: number;
  staleness: number;
  /** Hogwild (simulated): coordinates of other updates this write overwrote. */
  lost?: number;
  /** AdaRevision: ‖g_bck‖, the backlog of others' gradients. EASGD: ‖d‖, the elastic exchange. */
  backlog?: number;
  elastic?: number;
}

/**
 * Parallel runs: a worker left the run (its board unplugged, its laptop gone) or came back (a
 * restarted board given its shard again, a late board taking a lost one's place), when it happened.
 */
export interface WorkerStateRecord {
  type: 'worker_state';
  worker: number;
  t: number;
  state: 'gone' | 'back';
  message?: string;
}

export interface DoneRecord {
  type: 'done';
  reason: DoneReason;
  /** The last epoch trained. */
  epoch: number;
  /** Parameters the run ends with (the best ones after early stopping). */
  w: number[];
  b: number;
  /** null when the loss is no longer a finite number (diverged). */
  loss: number | null;
  best_epoch?: number;
  message?: string;
  /** Parallel runs: messages, pushes, fetches, updates, lost updates, simulated time, … */
  counts?: Record<string, number>;
}

export interface WalkStartRecord {
  type: 'walk';
  protocol: number;
  source: 'desktop' | 'board';
  fn: string;
  optimizer: string;
  lr: number;
  start: number[];
  steps: number;
}

export interface StepRecord {
  type: 'step';
  step: number;
  x: number[];
  f: number;
}

export interface AckRecord {
  type: 'ack';
  seq: number;
  op: string;
  /** Samples received so far (data chunks) or in the dataset (end). */
  count?: number;
  /** CRC-32 of the chunk or of the whole dataset's bytes. */
  crc?: number;
  /** params: the sample-visit of the run at which the board took the parameters (Trainer.visits). */
  at?: number;
}

/** A worker board's push (firmware/main.ts): its parameters at sample-visit `at`, after `trained` training samples. */
export interface PushRecord {
  type: 'push';
  at: number;
  trained: number;
  w: number[];
  b: number;
}

/**
 * What the board's errors mean when their record's message is '': the firmware sends the code alone
 * for every error whose text never changes, so that its heap holds none of this text.
 */
export const BOARD_ERRORS: Readonly<Record<string, string>> = {
  features: 'the board takes 1 to 8 features a sample',
  capacity: "the dataset has more samples than the board holds (its hello and status say how many)",
  count: 'the values the board received are not as many as the upload announced',
  crc: 'the checksum does not match what the board received (the line was garbled on its way)',
  no_upload: 'no dataset upload in progress',
  no_data: 'no dataset on the board: send one first (npx host send FILE.csv)',
  no_config: 'no settings on the board: send them first',
  base64: 'the chunk is not base64 of float32 values',
  not_finite: 'a value of the chunk is not finite',
  bad_seq: 'the sequence number is not a whole number from 0',
  bad_args: 'expected pt.d(seq, base64, crc) or pt.c(seq, base64)',
  bad_command: 'the command is not base64 of a JSON object with an op',
  push: 'push (the worker role) must be a whole number of samples, and not with standardization',
  no_run: 'no training run on the board to take the parameters',
  params: "the parameters are not base64 of the dataset's features + 1 float64 values",
};

export interface ErrorRecord {
  type: 'error';
  seq?: number;
  code: string;
  message: string;
}

export interface StatusRecord {
  type: 'status';
  /** The status command's seq. */
  seq?: number;
  state: 'idle' | 'training' | 'paused' | 'done' | 'walking';
  epoch: number;
  samples: number;
  features: number;
  heap: { total: number; used: number };
  protocol?: number;
  capacity?: { samples: number; features: number };
  /** Runs started since the firmware booted (the last one's number), and that run's settings when it trains. */
  run?: number;
  config?: TrainConfig | null;
  /** The runtime, as the hello names it ("kaluma 1.2.1", "espruino 2v29 PICO_R1_3"). */
  runtime?: string;
}

export type ProtocolRecord =
  | HelloRecord
  | StartRecord
  | EpochRecord
  | DoneRecord
  | WalkStartRecord
  | StepRecord
  | WorkerRecord
  | UpdateRecord
  | WorkerStateRecord
  | AckRecord
  | PushRecord
  | ErrorRecord
  | StatusRecord;

export type RecordType = ProtocolRecord['type'];

// ---------------------------------------------------------------- formatting

/**
 * How a board writes a float32 value inside a message (a diverged run's done record): this prefix,
 * the value's bits as 8 hex digits, and ">". Boards cannot all print decimals (Espruino has no
 * toPrecision and truncates what it prints), so the host writes the decimal: expandF32Tokens.
 */
export const F32_TOKEN = '<f32:';

/** A message with every F32_TOKEN replaced by the shortest decimal of its float32 (what `host run` writes). */
export function expandF32Tokens(message: string): string {
  if (message.indexOf(F32_TOKEN) < 0) return message;
  const words = new Uint32Array(1);
  const floats = new Float32Array(words.buffer);
  return message.replace(/<f32:([0-9a-f]{8})>/g, (_m, hex: string) => {
    words[0] = parseInt(hex, 16);
    return formatF32(floats[0]);
  });
}

/** Shortest decimal that reads back (through Math.fround) as the same float32; "null" if not finite. */
export function formatF32(x: number): string {
  const v = Math.fround(x);
  if (v !== v || v === Infinity || v === -Infinity) return 'null';
  if (v === 0) return '0';
  // Bisect the digit count: 9 always reads back; fewer usually do from some count on.
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(v.toPrecision(mid))) === v) hi = mid;
    else lo = mid + 1;
  }
  return String(Number(v.toPrecision(hi)));
}

// Text records repeat values epoch after epoch (the learning rate, a bias held at 0, a settled loss
// or weight): remembering the last few answers saves the digit search, which on a short epoch costs
// as much as the training itself. (The board sends bits instead and leaves this out.)
const MEMO = 8;
const memoIn = /* @__PURE__ */ new Float64Array(MEMO);
const memoOut: string[] = ['', '', '', '', '', '', '', ''];
let memoNext = 0;

function memoF32(x: number): string {
  const v = Math.fround(x);
  for (let i = 0; i < MEMO; i++) if (memoIn[i] === v && memoOut[i] !== '') return memoOut[i];
  const s = formatF32(v);
  memoIn[memoNext] = v;
  memoOut[memoNext] = s;
  memoNext = (memoNext + 1) % MEMO;
  return s;
}

function f32list(a: ArrayLike<number>, n: number): string {
  let s = '[';
  for (let i = 0; i < n; i++) s += (i > 0 ? ',' : '') + memoF32(a[i]);
  return s + ']';
}

/** Epoch record; `valLoss` NaN means "no validation split" and is left out. */
export function formatEpoch(epoch: number, w: ArrayLike<number>, nw: number, b: number, loss: number, valLoss: number, lr: number): string {
  let s = '{"type":"epoch","epoch":' + epoch + ',"w":' + f32list(w, nw) + ',"b":' + memoF32(b) + ',"loss":' + memoF32(loss);
  if (valLoss === valLoss) s += ',"val_loss":' + memoF32(valLoss);
  return s + ',"lr":' + memoF32(lr) + '}';
}

export function formatDone(
  reason: DoneReason,
  epoch: number,
  w: ArrayLike<number>,
  nw: number,
  b: number,
  loss: number,
  bestEpoch: number,
  message: string,
): string {
  let s = '{"type":"done","reason":"' + reason + '","epoch":' + epoch + ',"w":' + f32list(w, nw) + ',"b":' + memoF32(b) + ',"loss":' + memoF32(loss);
  if (bestEpoch >= 0) s += ',"best_epoch":' + bestEpoch;
  if (message) s += ',"message":' + JSON.stringify(message);
  return s + '}';
}

export function formatStep(step: number, x: ArrayLike<number>, nx: number, f: number): string {
  return '{"type":"step","step":' + step + ',"x":' + f32list(x, nx) + ',"f":' + memoF32(f) + '}';
}

/** A worker board's push (see PushRecord): p holds w… and b, n values in all. */
export function formatPush(at: number, trained: number, p: ArrayLike<number>, n: number): string {
  return '{"type":"push","at":' + at + ',"trained":' + trained + ',"w":' + f32list(p, n - 1) + ',"b":' + memoF32(p[n - 1]) + '}';
}

/** A parallel run's worker record (see WorkerRecord); `loss` NaN or infinite prints null. */
export function formatWorker(epoch: number, worker: number, w: ArrayLike<number>, nw: number, b: number, loss: number, samples: number, updates: number): string {
  return '{"type":"worker","epoch":' + epoch + ',"worker":' + worker + ',"w":' + f32list(w, nw) + ',"b":' + memoF32(b) + ',"loss":' + memoF32(loss) + ',"samples":' + samples + ',"updates":' + updates + '}';
}

/** A parallel run's update record; `backlog`/`elastic` NaN leaves them out, `lost` < 0 too. */
export function formatUpdate(worker: number, t: number, read: number, version: number, lost: number, backlog: number, elastic: number): string {
  let s = '{"type":"update","worker":' + worker + ',"t":' + t + ',"read":' + read + ',"version":' + version + ',"staleness":' + (version - 1 - read);
  if (lost >= 0) s += ',"lost":' + lost;
  if (backlog === backlog) s += ',"backlog":' + formatF32(backlog);
  if (elastic === elastic) s += ',"elastic":' + formatF32(elastic);
  return s + '}';
}

/** Any other record: plain JSON (their numbers are counts and settings, not float32 values). */
export function formatRecord(r: ProtocolRecord): string {
  if (r.type === 'epoch') return formatEpoch(r.epoch, r.w, r.w.length, r.b, r.loss, r.val_loss === undefined ? NaN : r.val_loss, r.lr);
  if (r.type === 'done') {
    const s = formatDone(r.reason, r.epoch, r.w, r.w.length, r.b, r.loss === null ? NaN : r.loss, r.best_epoch === undefined ? -1 : r.best_epoch, r.message || '');
    return r.counts === undefined ? s : s.slice(0, -1) + ',"counts":' + JSON.stringify(r.counts) + '}';
  }
  if (r.type === 'worker') {
    const w = r.w.map((v) => (v === null ? NaN : v));
    return formatWorker(r.epoch, r.worker, w, w.length, r.b === null ? NaN : r.b, r.loss === null ? NaN : r.loss, r.samples, r.updates);
  }
  if (r.type === 'update') return formatUpdate(r.worker, r.t, r.read, r.version, r.lost === undefined ? -1 : r.lost, r.backlog === undefined ? NaN : r.backlog, r.elastic === undefined ? NaN : r.elastic);
  if (r.type === 'step') return formatStep(r.step, r.x, r.x.length, r.f);
  return JSON.stringify(r);
}

// ---------------------------------------------------------------- parsing

// CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST) and two-byte escapes: what Kaluma's console and
// pretty-printer emit, plus whatever a noisy line may carry.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.indexOf('\x1b') < 0 ? s : s.replace(ANSI, '');
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && isFinite(v);
}
function isInt(v: unknown): v is number {
  return isNum(v) && Math.floor(v) === v && v >= 0;
}
function isNumList(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) return false;
  for (let i = 0; i < v.length; i++) if (!isNum(v[i])) return false;
  return true;
}
/** A worker's copy may blow up while the run goes on (a Downpour replica between fetches): null entries. */
function isNullableNumList(v: unknown): v is (number | null)[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) return false;
  for (let i = 0; i < v.length; i++) if (v[i] !== null && !isNum(v[i])) return false;
  return true;
}
function isStr(v: unknown): v is string {
  return typeof v === 'string';
}
function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DONE_REASONS = ['epochs', 'early_stop', 'diverged', 'stopped'];
const SOURCES = ['desktop', 'board', 'cluster', 'threads'];

function isCounts(v: unknown): v is Record<string, number> {
  if (!isObj(v)) return false;
  for (const k in v) if (!isNum(v[k])) return false;
  return true;
}

/** Checks a parsed value against the record schema; returns it typed, or null. */
export function validateRecord(o: unknown): ProtocolRecord | null {
  if (!isObj(o) || !isStr(o.type)) return null;
  if (o.bits !== undefined) return fromBits(o);
  switch (o.type) {
    case 'epoch':
      return isInt(o.epoch) && isNumList(o.w) && isNum(o.b) && isNum(o.loss) && isNum(o.lr) && (o.val_loss === undefined || isNum(o.val_loss)) &&
        (o.version === undefined || isInt(o.version)) && (o.time_us === undefined || isInt(o.time_us))
        ? (o as unknown as EpochRecord)
        : null;
    case 'done':
      return isStr(o.reason) && DONE_REASONS.indexOf(o.reason) >= 0 && isInt(o.epoch) && isNumList(o.w) && isNum(o.b) && (o.loss === null || isNum(o.loss)) &&
        (o.best_epoch === undefined || isInt(o.best_epoch)) && (o.message === undefined || isStr(o.message)) && (o.counts === undefined || isCounts(o.counts))
        ? (o as unknown as DoneRecord)
        : null;
    case 'worker':
      return isInt(o.epoch) && isInt(o.worker) && isNullableNumList(o.w) && (o.b === null || isNum(o.b)) && (o.loss === null || isNum(o.loss)) && isInt(o.samples) && isInt(o.updates)
        ? (o as unknown as WorkerRecord)
        : null;
    case 'worker_state':
      return isInt(o.worker) && isInt(o.t) && (o.state === 'gone' || o.state === 'back') && (o.message === undefined || isStr(o.message)) ? (o as unknown as WorkerStateRecord) : null;
    case 'update':
      return isInt(o.worker) && isInt(o.t) && isInt(o.read) && isInt(o.version) && isNum(o.staleness) && o.staleness === (o.version as number) - 1 - (o.read as number) &&
        (o.lost === undefined || isInt(o.lost)) && (o.backlog === undefined || isNum(o.backlog)) && (o.elastic === undefined || isNum(o.elastic))
        ? (o as unknown as UpdateRecord)
        : null;
    case 'step':
      return isInt(o.step) && isNumList(o.x) && (isNum(o.f) || o.f === null) ? (o as unknown as StepRecord) : null;
    case 'hello':
      return isInt(o.protocol) && isStr(o.firmware) && isStr(o.runtime) && isObj(o.capacity) && isInt(o.capacity.samples) && isInt(o.capacity.features) && isObj(o.heap)
        ? (o as unknown as HelloRecord)
        : null;
    case 'start':
      // An Espruino board writes its settings' decimals as their bits (shared/wire.ts).
      if (isObj(o.config)) fromExactNumbers(o.config);
      return isInt(o.protocol) && isStr(o.source) && SOURCES.indexOf(o.source) >= 0 && isObj(o.config) && isInt(o.samples) && isInt(o.features) && isInt(o.train) && isInt(o.val) &&
        (o.parallel === undefined || (isObj(o.parallel) && isStr(o.parallel.algorithm) && isInt(o.parallel.workers)))
        ? (o as unknown as StartRecord)
        : null;
    case 'walk':
      return isInt(o.protocol) && isStr(o.fn) && isStr(o.optimizer) && isNum(o.lr) && isNumList(o.start) && isInt(o.steps) ? (o as unknown as WalkStartRecord) : null;
    case 'ack':
      return isInt(o.seq) && isStr(o.op) && (o.count === undefined || isInt(o.count)) && (o.crc === undefined || isInt(o.crc)) && (o.at === undefined || isInt(o.at)) ? (o as unknown as AckRecord) : null;
    case 'push':
      return isInt(o.at) && isInt(o.trained) && isNumList(o.w) && isNum(o.b) ? (o as unknown as PushRecord) : null;
    case 'error':
      if (o.message === '' && isStr(o.code) && BOARD_ERRORS[o.code]) o.message = BOARD_ERRORS[o.code];
      return isStr(o.code) && isStr(o.message) && (o.seq === undefined || isInt(o.seq)) ? (o as unknown as ErrorRecord) : null;
    case 'status':
      if (isObj(o.config)) fromExactNumbers(o.config);
      return isStr(o.state) && isInt(o.epoch) && isInt(o.samples) && isInt(o.features) ? (o as unknown as StatusRecord) : null;
    default:
      return null;
  }
}

// ---------------------------------------------------------------- float32 bits

/** The float32 values of a record's "bits" (base64 of little-endian float32), or null if malformed. */
export function decodeBits(b64: string): number[] | null {
  if (b64.length > 4 * Math.ceil((4 * MAX_BITS_VALUES) / 3)) return null;
  const scratch = new Float32Array(MAX_BITS_VALUES);
  const n = base64Decode(b64, new Uint8Array(scratch.buffer));
  if (n < 0 || n % 4 !== 0) return null;
  const out: number[] = [];
  // Each value as the text form would give it: the double of its shortest decimal (so that a record
  // from the board and the same record from `host run` are equal objects, not just equal float32s),
  // and -0 as 0. NaN stays NaN (it marks a value the record does not have).
  for (let i = 0; i < n / 4; i++) {
    const v = scratch[i];
    out.push(v !== v ? v : v === 0 ? 0 : Number(formatF32(v)));
  }
  return out;
}

/**
 * A board record with "bits" to the record it stands for (see records.ts for the layouts):
 * epoch [w…, b, loss, val_loss or NaN, lr]; done [w…, b, loss or NaN]; step [x…, f or NaN]; push [w…, b].
 */
function fromBits(o: Record<string, unknown>): ProtocolRecord | null {
  const v = isStr(o.bits) ? decodeBits(o.bits) : null;
  if (v === null) return null;
  const finite = (k: number) => isFinite(v[k]);
  if (o.type === 'epoch') {
    const nw = v.length - 4;
    if (nw < 1) return null;
    const val = v[nw + 2];
    const r: Record<string, unknown> = { type: 'epoch', epoch: o.epoch, w: v.slice(0, nw), b: v[nw], loss: v[nw + 1] };
    if (val === val) r.val_loss = val;
    r.lr = v[nw + 3];
    return validateRecord(r);
  }
  if (o.type === 'done') {
    const nw = v.length - 2;
    if (nw < 1) return null;
    const r: Record<string, unknown> = { type: 'done', reason: o.reason, epoch: o.epoch, w: v.slice(0, nw), b: v[nw], loss: finite(nw + 1) ? v[nw + 1] : null };
    if (o.best_epoch !== undefined) r.best_epoch = o.best_epoch;
    if (o.message !== undefined) r.message = isStr(o.message) ? expandF32Tokens(o.message) : o.message;
    return validateRecord(r);
  }
  if (o.type === 'push') {
    const nw = v.length - 1;
    if (nw < 1) return null;
    return validateRecord({ type: 'push', at: o.at, trained: o.trained, w: v.slice(0, nw), b: v[nw] });
  }
  if (o.type === 'step') {
    const nx = v.length - 1;
    if (nx < 1) return null;
    return validateRecord({ type: 'step', step: o.step, x: v.slice(0, nx), f: finite(nx) ? v[nx] : null });
  }
  return null;
}

/**
 * One line of board or run-file output to a record, or null when the line is not a record (echo,
 * prompts, `undefined`, noise). Tolerates ANSI framing and carriage returns around the JSON.
 */
export function parseRecord(line: string): ProtocolRecord | null {
  const text = stripAnsi(line);
  const start = text.indexOf('{');
  if (start < 0) return null;
  const end = text.lastIndexOf('}');
  if (end < start) return null;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start, end + 1));
  } catch (_e) {
    return null;
  }
  return validateRecord(value);
}
