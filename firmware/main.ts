// The board side: a thin adapter over the engine in shared/, for Kaluma and Espruino alike (what
// differs between them is in runtime.ts: kaluma.ts or espruino.ts). The host reaches it only through
// two REPL calls (see shared/wire.ts): pt.d(seq, base64, crc) for dataset chunks and
// pt.c(seq, base64-json) for commands. Each answers with one ack or error record. Training runs in
// setTimeout slices so that the REPL (and with it pause/stop) gets through. Every record is printed
// as one string per console.log (Kaluma frames it as "\x1b[2K\r" … "\r\n", Espruino ends it "\r\n").

import { resolveConfig, type TrainConfig } from '../shared/config.ts';
import { Dataset, MAX_FEATURES } from '../shared/dataset.ts';
import { PROTOCOL_VERSION, type ProtocolRecord } from '../shared/protocol.ts';
import { bitsRecords } from '../shared/records.ts';
import { forgetKernels } from '../shared/kernels/fast.ts';
import { Trainer } from '../shared/trainer.ts';
import { Walker, resolveWalk, type WalkConfig } from '../shared/walks.ts';
import { MAX_B64, type Command } from '../shared/wire.ts';
import { atobBytes, boardCapacity, btoaBytes, bytesText, chainCrc, chunkCrc, exactNumbers, heap, now, runtimeName, stringify, unsupported } from './runtime.ts';

/** Samples the board holds: 1,024 on Kaluma (36 KB of its 180 KB heap), what free memory allows on Espruino. */
const CAPACITY = boardCapacity();
/**
 * Target length of one training slice; the REPL waits while a slice runs. Each slice costs the board
 * about 1.5 ms beyond its samples: its next loop pass (setTimeout 0 fires once the millisecond clock
 * has moved on), the kernel's start (every array, weight and constant read into locals) and the
 * trainer's checks. At 8 ms that was a sixth of the board's time; at 150 ms it is 1 %, and a command
 * (pause, stop, status) still gets through within a sixth of a second.
 */
const SLICE_MS = 150;
/** This run's slice: a worker's is an eighth (its answers get in sooner, for 8 % of its time). */
let sliceMs = SLICE_MS;

const dataset = new Dataset(CAPACITY, MAX_FEATURES);
// One chunk's bytes, copied out of atob's answer into an aligned buffer that the word and float
// views read (the RP2040 and Espruino's ARM boards are little-endian, as the wire).
const chunkBytes = new Uint8Array((MAX_B64 / 4) * 3);
const chunkWords = new Uint32Array(chunkBytes.buffer);
const chunkFloats = new Float32Array(chunkBytes.buffer);
/** A params command's values (float64: EASGD's elastic difference is a double, as on the desktop). */
const chunkDoubles = new Float64Array(chunkBytes.buffer, 0, MAX_FEATURES + 1);

let datasetCrc = 0;
// The last request answered with success: a resend of the same seq (its answer was lost) gets the
// same answer again instead of running twice (appending a chunk twice, restarting a run).
let lastSeq = -1;
let lastAnswer = '';
let config: TrainConfig | null = null;
let job: Trainer | Walker | null = null;
let jobKind: 'training' | 'walking' = 'training';
let timer: ReturnType<typeof setTimeout> | null = null;
let paused = false;
let budget = 64;

function emit(line: string): void {
  console.log(line);
}

/** Training and walk records leave with their float32 values as bits (shared/records.ts). */
const records = bitsRecords(emit, btoaBytes, stringify);
/** Runs started since the firmware booted: each start record carries its number as `run`. */
let runs = 0;
const startRecord = records.start;
records.start = (r) => {
  (r as { run?: number }).run = runs;
  startRecord(r);
};

function send(r: ProtocolRecord): void {
  emit(stringify(r));
}

/** A successful answer to request `seq`, remembered for a resend. */
function answer(seq: number, r: ProtocolRecord): void {
  lastSeq = seq;
  lastAnswer = stringify(r);
  emit(lastAnswer);
}

/**
 * An error record. `message` '' for the errors whose text never changes: the host reads it from
 * BOARD_ERRORS (shared/protocol.ts), and the board's heap keeps none of it.
 */
function fail(seq: number, code: string, message: string): void {
  send({ type: 'error', seq, code, message });
}

/** What was thrown, as text. */
function errText(e: unknown): string {
  return String(e && (e as Error).message ? (e as Error).message : e);
}

function state(): 'idle' | 'training' | 'paused' | 'done' | 'walking' {
  if (!job) return 'idle';
  if (job.finished) return 'done';
  return paused ? 'paused' : jobKind;
}

// ------------------------------------------------------------------ time slices

function schedule(): void {
  if (timer === null && job && !job.finished) timer = setTimeout(slice, 0);
}

function unschedule(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

function slice(): void {
  timer = null;
  const j = job;
  if (!j || j.finished) return;
  const t0 = now();
  // A worker waiting for the server's answer trains in short slices: the answer gets in sooner.
  const run = (j as Trainer).waiting ? (budget >> 4) + 1 : budget;
  try {
    j.work(run);
  } catch (e) {
    // An engine fault must not restart the runtime (the dataset would be lost): report and stop.
    job = null;
    send({ type: 'error', code: 'internal', message: errText(e) });
    return;
  }
  // Adapt the budget so a slice lasts about SLICE_MS whatever the dataset and the optimizer: in
  // proportion to the last slice's time, at most ×4 or ÷4 at once (millis() counts whole ms).
  const dt = now() - t0;
  const scale = dt < 1 ? 4 : Math.min(4, Math.max(0.25, sliceMs / dt));
  if (run === budget) budget = Math.max(1, Math.min(1 << 20, Math.floor(budget * scale)));
  if (!paused) schedule();
}

/**
 * Ends the current run (its done record says "stopped") and lets go of it and its compiled kernels,
 * before a new one is built: a board holds one run, and on Espruino an old run's kernels would take
 * the memory the new one needs.
 */
function endJob(): void {
  unschedule();
  sliceMs = SLICE_MS;
  if (job && !job.finished) job.stop();
  job = null;
  forgetKernels();
}

/** Runs `j` from now on (endJob first). */
function startJob(j: Trainer | Walker, kind: 'training' | 'walking'): void {
  runs++;
  job = j;
  jobKind = kind;
  paused = false;
  budget = kind === 'walking' ? 4 : 64;
  schedule();
}

// ------------------------------------------------------------------ commands

function command(seq: number, cmd: Command): void {
  switch (cmd.op) {
    case 'begin': {
      const n = cmd.samples;
      const f = cmd.features;
      if (!(f >= 1 && f <= MAX_FEATURES && Math.floor(f) === f)) return fail(seq, 'features', '');
      if (!(n >= 1 && n <= CAPACITY && Math.floor(n) === n)) return fail(seq, 'capacity', '');
      endJob();
      dataset.begin(n, f);
      datasetCrc = 0;
      return answer(seq, { type: 'ack', seq, op: 'begin', count: 0 });
    }
    case 'end':
      if (dataset.expected < 0) return fail(seq, 'no_upload', '');
      if (!dataset.complete) return fail(seq, 'count', '');
      if (cmd.crc !== datasetCrc) return fail(seq, 'crc', '');
      return answer(seq, { type: 'ack', seq, op: 'end', count: dataset.n, crc: datasetCrc });
    case 'config':
      config = resolveConfig(exactNumbers(cmd.config) as Partial<TrainConfig>, dataset.complete ? dataset.features : 1);
      if (unsupported(config)) {
        const why = unsupported(config);
        config = null;
        return fail(seq, 'unsupported', why);
      }
      return answer(seq, { type: 'ack', seq, op: 'config' });
    case 'start':
      if (!dataset.complete) return fail(seq, 'no_data', '');
      if (!config) return fail(seq, 'no_config', '');
      // Re-check the settings against this dataset (init-w must match its features).
      config = resolveConfig(config, dataset.features);
      // The worker role (host/distributed/): a push every |push| training samples, in θ = the data's
      // units; push < 0: training waits for each answer.
      const push = cmd.push || 0;
      if (!(Math.floor(push) === push && !(push && config.standardize))) return fail(seq, 'push', '');
      answer(seq, { type: 'ack', seq, op: 'start' });
      endJob();
      const t = new Trainer(dataset, config, records, 'board');
      if (push) {
        t.pushEvery = t.pushAt = Math.abs(push);
        t.hold = push < 0;
        sliceMs = SLICE_MS >> 3;
      }
      return startJob(t, 'training');
    case 'walk': {
      const w = resolveWalk(exactNumbers(cmd.walk) as Partial<WalkConfig> & { fn: string });
      answer(seq, { type: 'ack', seq, op: 'walk' });
      endJob();
      return startJob(new Walker(w, records, 'board'), 'walking');
    }
    case 'params': {
      // The server's answer to a push, taken between two slices; the ack says where in the run.
      const j = job;
      if (!(j instanceof Trainer) || j.finished) return fail(seq, 'no_run', '');
      if (decode(cmd.bits) !== 8 * (dataset.features + 1)) return fail(seq, 'params', '');
      j.setParams(chunkDoubles, !!cmd.sub);
      return answer(seq, { type: 'ack', seq, op: 'params', at: j.visits });
    }
    case 'pause':
      unschedule();
      paused = true;
      return answer(seq, { type: 'ack', seq, op: 'pause' });
    case 'resume':
      paused = false;
      schedule();
      return answer(seq, { type: 'ack', seq, op: 'resume' });
    case 'stop':
      unschedule();
      answer(seq, { type: 'ack', seq, op: 'stop' });
      if (job && !job.finished) job.stop();
      return;
    case 'status':
      // Not remembered: a repeated status question deserves a fresh answer.
      return send({
        type: 'status',
        seq,
        state: state(),
        epoch: job instanceof Trainer ? job.epoch : 0,
        samples: dataset.complete ? dataset.n : 0,
        features: dataset.features,
        heap: heap(),
        protocol: PROTOCOL_VERSION,
        capacity: { samples: CAPACITY, features: MAX_FEATURES },
        runtime: runtimeName(),
        // The run (its number and settings; null before any), so that a host attaching mid-run can
        // name it. During a walk the settings are the last training's: the state says which.
        run: runs,
        config,
      });
    default:
      return fail(seq, 'unknown_op', 'unknown command ' + String((cmd as { op?: unknown }).op));
  }
}

/**
 * The runtime's native atob into chunkBytes; -1 if malformed or too long. Kaluma's atob answers bad
 * input with undefined (src/base64.c), and skips characters outside the alphabet: the chunk's CRC-32
 * catches what that lets through.
 */
function decode(b64: string): number {
  let bytes: Uint8Array | undefined;
  try {
    bytes = atobBytes(b64);
  } catch (_e) {
    return -1;
  }
  if (!bytes || bytes.length > chunkBytes.length) return -1;
  chunkBytes.set(bytes);
  return bytes.length;
}

function decodeCommand(b64: string): Command | null {
  const n = decode(b64);
  if (n < 0) return null;
  const v = JSON.parse(bytesText(chunkBytes.subarray(0, n)));
  return v && typeof v === 'object' && typeof v.op === 'string' ? (v as Command) : null;
}

function data(seq: number, b64: string, crc: number): void {
  if (dataset.expected < 0 || dataset.complete) return fail(seq, 'no_upload', '');
  const n = decode(b64);
  if (n < 0 || n % 4 !== 0) return fail(seq, 'base64', '');
  const words = n >> 2;
  const got = chunkCrc(chunkWords, words);
  if (got !== crc) return fail(seq, 'crc', '');
  const values = chunkFloats.subarray(0, words);
  // Native scans instead of a loop over the values: NaN wins Math.max, -Infinity wins Math.min.
  if (!(Math.max.apply(null, values as unknown as number[]) < Infinity && Math.min.apply(null, values as unknown as number[]) > -Infinity)) {
    return fail(seq, 'not_finite', '');
  }
  const total = dataset.expected * (dataset.features + 1);
  if (dataset.received + words > total) return fail(seq, 'count', '');
  const count = dataset.write(values);
  datasetCrc = chainCrc(datasetCrc, got);
  answer(seq, { type: 'ack', seq, op: 'data', count, crc: got });
}

function guard(seq: number, f: () => void): void {
  // Nothing the host sends may raise an uncaught error: that restarts the runtime and loses the data.
  try {
    if (!(typeof seq === 'number' && seq >= 0 && Math.floor(seq) === seq)) return fail(0, 'bad_seq', '');
    if (seq === lastSeq) {
      emit(lastAnswer);
      return;
    }
    f();
  } catch (e) {
    fail(typeof seq === 'number' ? seq : 0, 'bad_request', errText(e));
  }
}

// The bundle is built with esbuild's globalName "pt": these exports become pt.d and pt.c, a plain
// top-level `var pt` in the flashed script (no reliance on globalThis, which JerryScript may lack).

/** pt.d(seq, base64, crc): one dataset chunk. */
export function d(seq: number, b64: string, crc: number): void {
  guard(seq, () => {
    if (typeof b64 !== 'string' || typeof crc !== 'number') return fail(seq, 'bad_args', '');
    data(seq, b64, crc);
  });
}

/** pt.c(seq, base64-json): one command. */
export function c(seq: number, b64: string): void {
  guard(seq, () => {
    if (typeof b64 !== 'string') return fail(seq, 'bad_args', '');
    const cmd = decodeCommand(b64);
    if (!cmd) return fail(seq, 'bad_command', '');
    command(seq, cmd);
  });
}

send({
  type: 'hello',
  protocol: PROTOCOL_VERSION,
  firmware: typeof __FIRMWARE_VERSION__ === 'string' ? __FIRMWARE_VERSION__ : '0.0.0',
  runtime: runtimeName(),
  capacity: { samples: CAPACITY, features: MAX_FEATURES },
  heap: heap(),
});
