// Board speed through an interpreter proxy. On the board every JavaScript operation costs tens of µs
// (runtime-facts.md, "Measured on the real firmware"); V8 and QuickJS hide that. Duktape, a small
// bytecode interpreter like Kaluma's JerryScript, does not: there the firmware's training paths are
// timed against hand-written loops of the same algorithms (hand-loops.ts), and the ratio
// hand ms per epoch / firmware ms per epoch says how far the firmware is from a plain loop (≥ 1: at
// least as fast).
//
// The firmware is driven as the host drives a board: the real bundle (lowered to ES5, duktape/
// lower.ts) is loaded into a fresh Duktape heap, and fed the REPL lines the host sends (the upload
// from shared/wire.ts's uploadPlan, then config and start); its setTimeout slices run until its
// done record. ms per epoch come from the CPU-time stamps of its epoch records, so an epoch counts
// its training, its loss pass, and formatting and printing its record, exactly what the hand loops
// count. The bundle of commit aff00d7 (test/fixtures/firmware/aff00d7.js, protocol 1), the one
// measured on the real board, runs the seven paths of runtime-facts.md's table beside it, so the
// proxy's ratios can be read against the board's.
//
// Board-time estimates (a record, an upload) are proxy time × K, K = the seven given hand loops'
// board ms / their proxy ms. That is an estimate: the proxy's relative costs are not the board's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { parseRecord, type DoneRecord, type EpochRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { textRecords } from '../../shared/records.ts';
import { Trainer } from '../../shared/trainer.ts';
import { commandLine, crc32, dataLine, floatBytes, uploadPlan, type Command } from '../../shared/wire.ts';
import { median } from './measure.ts';
import { modelFirmware, modelHand } from './cost-model-proxy.ts';
import { runPaced } from '../sim/paced-run.ts';
import { lowerToEs5, PRELUDE } from './duktape/lower.ts';
import { cleanupSessions, duktapeDir, ProxyUnavailable, REPO_ROOT, runnerPath, runSession, scriptFile, sessionError, SKIP_ENV, skipRequested, type Line, type Step } from './duktape/proxy.ts';
import {
  allPaths,
  BATCH_MODES,
  handProgram,
  PATH_LR,
  PATH_OPTIMIZERS,
  pathName,
  SAMPLES,
  START_MARK,
  TABLE_PATHS,
  type BatchMode,
  type PathOptimizer,
  type PathSpec,
} from './hand-loops.ts';

export const AFF00D7_BUNDLE = join(REPO_ROOT, 'test/fixtures/firmware/aff00d7.js');

/** The targets, in board time. */
export const RECORD_TARGET_MS = 3;
export const UPLOAD_TARGET_MS = 1000;
/** Board measurements from runtime-facts.md the report puts beside the proxy's. */
export const BOARD_FACTS = {
  /** One epoch record through aff00d7's formatEpoch (shortest-decimal search), 1 feature. */
  oldRecordUs: 12175,
  /** console.log of a 100-character string. */
  consoleLog100Us: 2660,
  /** aff00d7, `host send` of 1,000 samples × 1 feature (board time, USB and the host's pace included). */
  oldUpload1000x1Ms: 3200,
  /** aff00d7, the seed job (3 samples, 100 epochs): 58 epochs/s with SGD, 43/s with Adam. */
  oldSeedSgdMs: 1000 / 58,
  oldSeedAdamMs: 1000 / 43,
};

export interface PathResult {
  name: string;
  spec: PathSpec;
  /** Proxy ms per epoch (median over epochs and repetitions). */
  handMs: number;
  firmwareMs: number;
  /** hand / firmware: ≥ 1 means the firmware is at least as fast. */
  ratio: number;
  /** Largest |Δ| of w and b after the last epoch, firmware vs hand loop (same job: small). */
  agreement: number;
  /** The same path under the cost model (board ms); absent in --quick runs, which model the table paths only. */
  model?: ModelFigures;
}

/** Board ms per epoch by the virtual Pico's cost model (cost-model-proxy.ts), and hand / firmware. */
export interface ModelFigures {
  handMs: number;
  firmwareMs: number;
  ratio: number;
}

export interface TableRow {
  label: string;
  name: string;
  board: { hand: number; firmware: number; ratio: number };
  /** Proxy ms per epoch of the given hand loop. */
  handMs: number;
  /** The aff00d7 bundle ("before"). */
  beforeMs: number;
  beforeRatio: number;
  /** Today's bundle ("after"). */
  afterMs: number;
  afterRatio: number;
  /** Diagnostic: the same hand loop with N, x, y in locals (hand-loops.ts), and today's ratio against it. */
  localsMs: number;
  afterVsLocals: number;
  /** The cost model's board ms: the hand loop, aff00d7 ("before") and today ("after"). */
  model: { handMs: number; beforeMs: number; beforeRatio: number; afterMs: number; afterRatio: number };
}

export interface MinRow {
  optimizer: PathOptimizer;
  batch: BatchMode;
  ratio: number;
  path: string;
  handMs: number;
  firmwareMs: number;
  /** The lowest ratio of this optimizer and batch mode under the cost model, and its path. */
  model?: { ratio: number; path: string };
}

export interface BoardEstimate {
  proxyMs: number;
  /** proxyMs × K: an estimate of board time. */
  boardMs: number;
}

/** One operation's cost in the proxy beside runtime-facts.md's board figure (both with the loop's own cost). */
export interface OpCost {
  op: string;
  proxyNs: number;
  /** Board µs per operation (runtime-facts.md); null when the board was not measured for it. */
  boardUs: number | null;
}

export interface BoardSpeedBench {
  available: true;
  duktape: string;
  epochs: number;
  reps: number;
  /** K: board ms per proxy ms, from the seven given hand loops (ratio of their sums). */
  scale: number;
  /** The K that the firmware's millis() ran on (from the first calibration runs of the given loops). */
  clockScale: number;
  /** Each given loop's board ms / proxy ms, to show how much K varies between loops. */
  scaleRange: [number, number];
  table: TableRow[];
  /** The aff00d7 ratios against the board's: how well the proxy tracks it (proxy / board per row). */
  tracking: { geomean: number; min: number; max: number };
  paths: PathResult[];
  minima: MinRow[];
  /** One epoch record (1 feature) formatted and printed: today's firmware path (bits) and the old shortest-decimal one. */
  record: {
    bits: BoardEstimate & { chars: number };
    decimal: BoardEstimate & { chars: number };
  };
  /** The seed job (3 samples × 1, no bias, 100 epochs) per epoch, through each bundle. */
  seed: { sgd: { before: BoardEstimate; after: BoardEstimate }; adam: { before: BoardEstimate; after: BoardEstimate } };
  /** The same figures under the cost model, in board ms (record: formatted and printed). */
  model: {
    record: { bitsMs: number; decimalMs: number };
    seed: { sgd: { beforeMs: number; afterMs: number }; adam: { beforeMs: number; afterMs: number } };
    upload: { after1000x2Ms: number; after1000x1Ms: number; before1000x1Ms: number };
    /** The table's aff00d7 ratios against the board's (model / board per row). */
    tracking: { geomean: number; min: number; max: number };
  };
  /** What single operations cost in the proxy and on the board: where the proxy's weights differ. */
  ops: OpCost[];
  upload: {
    /** Today's firmware, 1,000 samples × 2 features. */
    after1000x2: BoardEstimate;
    /** Today's firmware and aff00d7, 1,000 × 1 (aff00d7's board figure: 3.2 s, USB included). */
    after1000x1: BoardEstimate;
    before1000x1: BoardEstimate;
  };
  seconds: number;
}

export type BoardSpeedResult = BoardSpeedBench | { available: false; reason: string };

export interface BoardSpeedOptions {
  quick: boolean;
  log: (msg: string) => void;
  /** Only these paths (the smoke test); all 384 by default. */
  paths?: PathSpec[];
  epochs?: number;
  reps?: number;
}

// ------------------------------------------------------------------ data and bundles

/** Packed rows [x…, y] as float32: x = i/1000, y = 2x + 0.5; 2 features: x2 = ((7i) mod 1000)/1000, y = 2x1 − x2 + 0.5. */
export function pathData(features: 1 | 2, samples = SAMPLES): Float32Array {
  const packed = new Float32Array(samples * (features + 1));
  for (let i = 0; i < samples; i++) {
    const x1 = Math.fround(i / samples);
    if (features === 1) {
      packed[2 * i] = x1;
      packed[2 * i + 1] = Math.fround(2 * x1 + 0.5);
    } else {
      const x2 = Math.fround(((i * 7) % samples) / samples);
      packed[3 * i] = x1;
      packed[3 * i + 1] = x2;
      packed[3 * i + 2] = Math.fround(2 * x1 - x2 + 0.5);
    }
  }
  return packed;
}

/** The seed scripts' data: x = 1, 2, 3; y = 2x. */
export function seedData(): Float32Array {
  return new Float32Array([1, 2, 2, 4, 3, 6]);
}

export interface Bundle {
  label: 'after' | 'before';
  /** 2: today's wire (value stream, chained CRC, bits in records); 1: aff00d7's (rows, CRC of all bytes, decimals). */
  protocol: 1 | 2;
  /** Files the runner loads: the stand-ins, then the lowered bundle. */
  files: string[];
}

export function prepareBundle(label: 'after' | 'before', code: string, protocol: 1 | 2): Bundle {
  const prelude = scriptFile('prelude.js', PRELUDE);
  const file = scriptFile(`firmware-${label}.es5.js`, lowerToEs5(code));
  return { label, protocol, files: [prelude, file] };
}

export function pathConfig(spec: PathSpec, epochs: number): Partial<TrainConfig> {
  return {
    optimizer: spec.optimizer,
    lr: PATH_LR[spec.optimizer],
    batch: spec.batch,
    epochs,
    bias: spec.bias,
    standardize: spec.standardize,
    valSplit: spec.val ? 0.2 : 0,
  };
}

// ------------------------------------------------------------------ driving the firmware

export interface Expect {
  seq: number;
  op: string;
  count?: number;
  crc?: number;
}

/**
 * The REPL lines the host sends for an upload, then config and start, with the answers they must
 * earn. Protocol 2 is today's host (uploadPlan); protocol 1 is aff00d7's host/link/board.ts: chunks of
 * whole packed rows (at most 180 values), each acknowledged with the samples held so far, and `end`
 * with the CRC-32 of all the dataset's bytes.
 */
export function hostLines(protocol: 1 | 2, packed: Float32Array, features: number, config: Partial<TrainConfig> | null, firstSeq = 1): { lines: string[]; expect: Expect[]; uploadEnd: number } {
  const lines: string[] = [];
  const expect: Expect[] = [];
  let seq = firstSeq - 1;
  const cmd = (c: Command, want: Omit<Expect, 'seq' | 'op'> = {}): void => {
    seq++;
    lines.push(commandLine(seq, c));
    expect.push({ seq, op: c.op, ...want });
  };
  if (protocol === 2) {
    for (const step of uploadPlan(packed, features)) {
      if (step.kind === 'command') cmd(step.cmd, step.cmd.op === 'end' ? { crc: step.cmd.crc } : {});
      else {
        seq++;
        lines.push(dataLine(seq, step.values));
        expect.push({ seq, op: 'data', count: step.count, crc: step.crc });
      }
    }
  } else {
    const width = features + 1;
    const samples = packed.length / width;
    const rowsPerChunk = Math.max(1, Math.floor(180 / width));
    cmd({ op: 'begin', samples, features });
    for (let row = 0; row < samples; row += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, samples - row);
      const chunk = packed.subarray(row * width, (row + rows) * width);
      seq++;
      lines.push(dataLine(seq, chunk));
      expect.push({ seq, op: 'data', count: row + rows, crc: crc32(floatBytes(chunk), chunk.byteLength) });
    }
    const bytes = floatBytes(packed);
    cmd({ op: 'end', crc: crc32(bytes, bytes.length) }, { crc: crc32(bytes, bytes.length) });
  }
  const uploadEnd = lines.length;
  if (config) {
    cmd({ op: 'config', config: config as Record<string, unknown> });
    cmd({ op: 'start' });
  }
  return { lines, expect, uploadEnd };
}

export interface FirmwareRun {
  records: { us: number; record: ProtocolRecord }[];
  epochs: { us: number; record: EpochRecord }[];
  done: DoneRecord | null;
  /** CPU µs from the first upload line to the end's answer. */
  uploadUs: number;
  lines: Line[];
}

const UPLOAD_START = 'UPLOAD START';
const UPLOAD_END = 'UPLOAD END';

/** Loads a bundle into a fresh heap, uploads, configures, starts, and runs its slices to the done record. */
export async function runFirmware(bundle: Bundle, packed: Float32Array, features: number, config: Partial<TrainConfig> | null, clockScale: number): Promise<FirmwareRun> {
  const { lines, expect, uploadEnd } = hostLines(bundle.protocol, packed, features, config);
  const steps: Step[] = bundle.files.map((f) => ({ load: f }));
  steps.push({ mark: UPLOAD_START });
  lines.forEach((l, i) => {
    steps.push({ repl: l });
    if (i === uploadEnd - 1) steps.push({ mark: UPLOAD_END });
  });
  if (config) steps.push({ timers: true });
  const r = await runSession(steps, { clockScale });
  const err = sessionError(r);
  if (err) throw new Error(`the ${bundle.label} firmware under Duktape failed: ${err}`);
  const records: FirmwareRun['records'] = [];
  let t0 = NaN;
  let t1 = NaN;
  for (const l of r.lines) {
    if (l.text === UPLOAD_START) t0 = l.us;
    else if (l.text === UPLOAD_END) t1 = l.us;
    const rec = parseRecord(l.text);
    if (rec) records.push({ us: l.us, record: rec });
  }
  // Every request must have earned its answer, or the figures are of some other run.
  for (const want of expect) {
    const got = records.find((x) => (x.record.type === 'ack' || x.record.type === 'error') && x.record.seq === want.seq)?.record;
    if (!got || got.type !== 'ack' || got.op !== want.op || (want.count !== undefined && got.count !== want.count) || (want.crc !== undefined && got.crc !== want.crc)) {
      throw new Error(`the ${bundle.label} firmware answered request ${want.seq} (${want.op}) with ${got ? JSON.stringify(got) : 'nothing'}`);
    }
  }
  const epochs = records.filter((x): x is { us: number; record: EpochRecord } => x.record.type === 'epoch');
  const doneRec = records.find((x) => x.record.type === 'done')?.record;
  const done = doneRec && doneRec.type === 'done' ? doneRec : null;
  if (config && !done) throw new Error(`the ${bundle.label} firmware sent no done record`);
  return { records, epochs, done, uploadUs: t1 - t0, lines: r.lines };
}

/** Per-epoch intervals (ms) between the stamps of consecutive epoch records 0, 1, …, E. */
function firmwareIntervals(run: FirmwareRun, epochs: number): number[] {
  const e = run.epochs;
  if (e.length !== epochs + 1) throw new Error(`expected ${epochs + 1} epoch records, got ${e.length}${run.done?.message ? ' (' + run.done.message + ')' : ''}`);
  const out: number[] = [];
  for (let k = 1; k < e.length; k++) out.push((e[k].us - e[k - 1].us) / 1000);
  return out;
}

// ------------------------------------------------------------------ hand loops

interface HandLine {
  epoch: number;
  w: number[];
  b: number;
  loss: number;
}

export interface HandRun {
  /** ms of each epoch: from the start mark to epoch 1's line, then line to line. */
  intervals: number[];
  last: HandLine | null;
}

export async function runHand(spec: PathSpec, epochs: number, variant: 'plain' | 'locals' = 'plain'): Promise<HandRun> {
  const file = scriptFile(`hand-${variant}-${pathName(spec).replace(/ /g, '-')}.js`, handProgram(spec, epochs, variant));
  const r = await runSession([{ load: file }]);
  const err = sessionError(r);
  if (err) throw new Error(`the hand loop for ${pathName(spec)} failed under Duktape: ${err}`);
  const start = r.lines.find((l) => l.text === START_MARK);
  if (!start) throw new Error(`the hand loop for ${pathName(spec)} printed no start mark`);
  let prev = start.us;
  const intervals: number[] = [];
  let last: HandLine | null = null;
  for (const l of r.lines) {
    if (!l.text.startsWith('{"epoch"')) continue;
    intervals.push((l.us - prev) / 1000);
    prev = l.us;
    try {
      last = JSON.parse(l.text) as HandLine;
    } catch {
      last = null; // NaN or Infinity printed: no longer JSON
    }
  }
  if (intervals.length !== epochs) throw new Error(`the hand loop for ${pathName(spec)} printed ${intervals.length} epoch lines, expected ${epochs}`);
  return { intervals, last };
}

// ------------------------------------------------------------------ the desktop engine, for the check

/** The same job on the desktop engine (shared/trainer.ts, text records): what the board's records must equal. */
export function desktopRecords(packed: Float32Array, features: number, config: Partial<TrainConfig>): ProtocolRecord[] {
  const out: ProtocolRecord[] = [];
  const ds = datasetFromPacked(packed, features);
  new Trainer(ds, resolveConfig(config, features), textRecords((line) => {
    const r = parseRecord(line);
    if (r) out.push(r);
  })).run();
  return out;
}

// ------------------------------------------------------------------ the record path and the seed job

/**
 * One epoch record, formatted and printed, as the firmware does it (firmware/main.ts: bitsRecords
 * from shared/records.ts into `emit`, a console.log, with Kaluma's native btoa), and the old way
 * (shared/protocol.ts formatEpoch: the shortest-decimal search). Built from the engine's modules
 * into a small bundle, lowered like the firmware, and timed record to record under Duktape. Values
 * change every record so that formatEpoch's memo of recent answers never hits (the old path had none).
 */
const RECORD_ENTRY = `
import { bitsRecords } from ${JSON.stringify(join(REPO_ROOT, 'shared/records.ts'))};
import { formatEpoch } from ${JSON.stringify(join(REPO_ROOT, 'shared/protocol.ts'))};
declare const console: { log(s: string): void };
declare const btoa: (b: Uint8Array) => string;
function emit(line: string): void { console.log(line); }
const records = bitsRecords(emit, btoa);
const w = new Float32Array(1);
export function run(kind: string, n: number): void {
  for (let e = 1; e <= n; e++) {
    w[0] = 2 - 1 / (e + 3);
    const b = 0.5 + 1 / (e + 7), loss = 0.01 / (e + 1), lr = 0.01;
    if (kind === 'bits') records.epoch(e, w, 1, b, loss, NaN, lr);
    else emit(formatEpoch(e, w, 1, b, loss, NaN, lr));
  }
}
`;

async function recordBundle(): Promise<string> {
  const r = await build({
    stdin: { contents: RECORD_ENTRY, loader: 'ts', resolveDir: REPO_ROOT },
    bundle: true,
    format: 'iife',
    globalName: 'rec',
    target: 'es2019',
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

async function recordProgram(): Promise<string> {
  return lowerToEs5(await recordBundle());
}

/** Board ms of one epoch record, formatted and printed, under the cost model (console.log included). */
async function modelRecordPath(kind: 'bits' | 'decimal', n: number): Promise<number> {
  const stamps: number[] = [];
  const r = await runPaced((await recordBundle()) + `\nrec.run(${JSON.stringify(kind)}, ${n});\n`, {
    onOutput: (text, ms) => {
      for (const line of text.split(/\r?\n/)) if (line.indexOf('{"type":"epoch"') >= 0) stamps.push(ms);
    },
  });
  if (r.failure || stamps.length !== n) throw new Error(`the record bench under the cost model failed: ${r.failure ?? stamps.length + ' records'}`);
  return (stamps[n - 1] - stamps[0]) / (n - 1);
}

async function recordPath(kind: 'bits' | 'decimal', n: number): Promise<{ ms: number; chars: number }> {
  const prelude = scriptFile('prelude.js', PRELUDE);
  const prog = scriptFile('record.es5.js', await recordProgram());
  const r = await runSession([{ load: prelude }, { load: prog }, { repl: `rec.run(${JSON.stringify(kind)}, ${n})` }]);
  const err = sessionError(r);
  if (err) throw new Error(`the record bench failed under Duktape: ${err}`);
  const recs = r.lines.filter((l) => l.text.startsWith('{"type":"epoch"'));
  if (recs.length !== n) throw new Error(`the record bench printed ${recs.length} records, expected ${n}`);
  const gaps: number[] = [];
  for (let k = 1; k < recs.length; k++) gaps.push((recs[k].us - recs[k - 1].us) / 1000);
  return { ms: median(gaps), chars: median(recs.map((l) => l.text.length)) };
}

const SEED_EPOCHS = 100;

async function seedEpochMs(bundle: Bundle, optimizer: 'sgd' | 'adam', scale: number): Promise<number> {
  const cfg: Partial<TrainConfig> = { optimizer, lr: optimizer === 'adam' ? 0.001 : 0.01, batch: 0, epochs: SEED_EPOCHS, bias: false };
  const run = await runFirmware(bundle, seedData(), 1, cfg, scale);
  return median(firmwareIntervals(run, SEED_EPOCHS));
}

// ------------------------------------------------------------------ single operations

/**
 * The operations of runtime-facts.md's cost table, each alone in a loop as that table measured them
 * (loop included; arrays, objects and functions in locals), plus a top-level `var` read, which the
 * hand loops do for N, x and y on every sample and which the board's table does not list.
 */
const OPS: { op: string; board: number | null; body: string; setup?: string; n?: number }[] = [
  { op: 'empty loop iteration', board: 11, body: '' },
  { op: 'a = a * b + c (locals)', board: 28, setup: 'var a = 1, b = 0.999, c = 0.5;', body: 'a = a * b + c;' },
  { op: 'if (i > 5) s++', board: 18, setup: 'var s = 0;', body: 'if (i > 5) s++;' },
  { op: 'read a closure variable', board: 25, body: 'v = CL;' },
  { op: 'read a top-level var', board: null, body: 'v = GV;' },
  { op: 'Float32Array read', board: 31, setup: 'var fa = FA;', body: 'v = fa[i & 511];' },
  { op: 'Float32Array write', board: 28, setup: 'var fa = FA;', body: 'fa[i & 511] = 1.5;' },
  { op: 'fa[ia[i]] (Uint32Array index)', board: 44, setup: 'var fa = FA, ia = IA;', body: 'v = fa[ia[i & 511]];' },
  { op: 'obj.a read', board: 33, setup: 'var o = { a: 1.5, b: 2 };', body: 'v = o.a;' },
  { op: 'Math.fround(v)', board: 49, body: 'v = Math.fround(1.1);' },
  { op: 'Math.sqrt(v)', board: 45, body: 'v = Math.sqrt(2.5);' },
  { op: 'call f(a, b, c)', board: 38, setup: 'var f = function (a, b, c) { return a; };', body: 'v = f(1, 2, 3);' },
  { op: 'method call k.m(v)', board: 57, setup: 'var k = { m: function (x) { return x; } };', body: 'v = k.m(1);' },
  { op: 'v.toPrecision(9)', board: 355, setup: 'var d = 1.959185242652893;', body: 'v = d.toPrecision(9);', n: 4000 },
  { op: 'Number("1.2345678")', board: 105, body: 'v = Number("1.2345678");', n: 4000 },
  { op: 'String(v) of a float', board: 390, setup: 'var d = 1.959185242652893;', body: 'v = String(d);', n: 4000 },
];

async function operationCosts(): Promise<OpCost[]> {
  let prog = 'var GV = 1.5, FA = new Float32Array(512), IA = new Uint32Array(512);\n';
  prog += 'for (var i = 0; i < 512; i++) IA[i] = (i * 7) % 512;\n';
  prog += 'var CL = 1.5;\nfunction make() { var CL = 2.5; return [\n';
  prog += OPS.map((o) => `function (n) { var v; ${o.setup ?? ''} for (var i = 0; i < n; i++) { ${o.body} } return v; }`).join(',\n');
  prog += '\n]; }\nvar ops = make();\n';
  prog += `var sizes = ${JSON.stringify(OPS.map((o) => o.n ?? 200000))};\n`;
  // Best of five: the operation's own cost, without the machine's hiccups.
  prog += 'for (var k = 0; k < ops.length; k++) { var best = 1e99; for (var r = 0; r < 5; r++) { var t0 = micros(); ops[k](sizes[k]); var t = micros() - t0; if (t < best) best = t; } console.log("OP " + k + " " + (best * 1000 / sizes[k])); }\n';
  const r = await runSession([{ load: scriptFile('ops.js', prog) }]);
  const err = sessionError(r);
  if (err) throw new Error(`the operation costs failed under Duktape: ${err}`);
  return OPS.map((o, k) => {
    const l = r.lines.find((x) => x.text.startsWith(`OP ${k} `));
    return { op: o.op, proxyNs: l ? Number(l.text.split(' ')[2]) : NaN, boardUs: o.board };
  });
}

// ------------------------------------------------------------------ the section

function maxDiff(a: number[], b: number[]): number {
  let d = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return a.length === b.length ? d : Infinity;
}

function agreement(fw: FirmwareRun, hand: HandRun): number {
  const last = fw.epochs[fw.epochs.length - 1]?.record;
  if (!last || !hand.last) return NaN;
  return maxDiff([...last.w, last.b], [...hand.last.w, hand.last.b]);
}

function duktapeVersion(): string {
  try {
    const meta = JSON.parse(readFileSync(join(duktapeDir(), 'duk_source_meta.json'), 'utf8')) as { duk_version_string?: string };
    return meta.duk_version_string ? `Duktape ${meta.duk_version_string}` : 'Duktape';
  } catch {
    return 'Duktape';
  }
}

/** Epochs of a cost-model run: it counts rather than times, so epochs 2 and 3 give exact figures. */
const MODEL_EPOCHS = 3;

/**
 * A path under the cost model: board ms per epoch of the hand loop and of the firmware (today's; and
 * aff00d7's when its code is given), the median of the epochs after the first (which also compiles
 * the run's kernels and finds the slice length).
 */
async function modelPath(spec: PathSpec, cfg: Partial<TrainConfig>, code: string, beforeCode: string | null): Promise<ModelFigures & { beforeMs: number }> {
  const packed = pathData(spec.features);
  const handMs = median((await modelHand(spec, MODEL_EPOCHS)).slice(1));
  const firmwareMs = median((await modelFirmware(code, 2, packed, spec.features, cfg)).intervals.slice(1));
  const beforeMs = beforeCode === null ? NaN : median((await modelFirmware(beforeCode, 1, packed, spec.features, cfg)).intervals.slice(1));
  return { handMs, firmwareMs, ratio: handMs / firmwareMs, beforeMs };
}

export async function benchBoardSpeed(firmwareCode: string, opts: BoardSpeedOptions): Promise<BoardSpeedResult> {
  if (skipRequested()) return { available: false, reason: `skipped (${SKIP_ENV} is set)` };
  try {
    runnerPath();
  } catch (err) {
    if (err instanceof ProxyUnavailable) return { available: false, reason: err.message };
    throw err;
  }
  try {
    return await measure(firmwareCode, opts);
  } finally {
    cleanupSessions();
  }
}

async function measure(firmwareCode: string, opts: BoardSpeedOptions): Promise<BoardSpeedBench> {
  const t0 = performance.now();
  // 8 epochs: Momentum and Nesterov on standardized data in batches of 32 (data in x order) diverge
  // from epoch 10 on, and a diverged run stops early. More runs instead of more epochs.
  const epochs = opts.epochs ?? (opts.quick ? 3 : 8);
  const reps = opts.reps ?? (opts.quick ? 1 : 5);
  const after = prepareBundle('after', firmwareCode, 2);
  const before = prepareBundle('before', readFileSync(AFF00D7_BUNDLE, 'utf8'), 1);
  const data = { 1: pathData(1), 2: pathData(2) } as const;

  // K from the seven given loops, measured first: the firmware's millis() runs on board time (runner.c).
  opts.log('board speed: calibrating on the given hand loops');
  const givenMs = new Map<string, number[]>();
  for (let r = 0; r < reps; r++) {
    for (const t of TABLE_PATHS) givenMs.set(t.given, [...(givenMs.get(t.given) ?? []), ...(await runHand(t.spec, epochs)).intervals]);
  }
  const handTableMs = TABLE_PATHS.map((t) => median(givenMs.get(t.given) as number[]));
  const clockScale = TABLE_PATHS.reduce((s, t) => s + t.board.hand, 0) / handTableMs.reduce((s, v) => s + v, 0);

  // The seven table paths through both bundles, interleaved with their hand loops.
  const table: TableRow[] = [];
  for (const [i, t] of TABLE_PATHS.entries()) {
    opts.log(`board speed: ${t.label} (aff00d7 and today)`);
    const cfg = pathConfig(t.spec, epochs);
    const hand: number[] = [...(givenMs.get(t.given) as number[])];
    const b: number[] = [];
    const a: number[] = [];
    const loc: number[] = [];
    for (let r = 0; r < reps; r++) {
      b.push(...firmwareIntervals(await runFirmware(before, data[1], 1, cfg, clockScale), epochs));
      a.push(...firmwareIntervals(await runFirmware(after, data[1], 1, cfg, clockScale), epochs));
      hand.push(...(await runHand(t.spec, epochs)).intervals);
      loc.push(...(await runHand(t.spec, epochs, 'locals')).intervals);
    }
    const handMs = median(hand);
    handTableMs[i] = handMs;
    const model = await modelPath(t.spec, pathConfig(t.spec, MODEL_EPOCHS), firmwareCode, readFileSync(AFF00D7_BUNDLE, 'utf8'));
    table.push({
      label: t.label,
      name: pathName(t.spec),
      board: t.board,
      handMs,
      beforeMs: median(b),
      beforeRatio: handMs / median(b),
      afterMs: median(a),
      afterRatio: handMs / median(a),
      localsMs: median(loc),
      afterVsLocals: median(loc) / median(a),
      model: { handMs: model.handMs, beforeMs: model.beforeMs, beforeRatio: model.handMs / model.beforeMs, afterMs: model.firmwareMs, afterRatio: model.ratio },
    });
  }
  // K again from every repetition of the given loops (the calibration runs and the table's).
  const scale = TABLE_PATHS.reduce((s, t) => s + t.board.hand, 0) / handTableMs.reduce((s, v) => s + v, 0);
  const perLoop = TABLE_PATHS.map((t, i) => t.board.hand / handTableMs[i]);
  const track = table.map((row) => row.beforeRatio / row.board.ratio);
  const tracking = {
    geomean: Math.exp(track.reduce((s, v) => s + Math.log(v), 0) / track.length),
    min: Math.min(...track),
    max: Math.max(...track),
  };

  // Every path: hand loop and today's firmware, side by side.
  const specs = opts.paths ?? allPaths();
  const paths: PathResult[] = [];
  for (const [k, spec] of specs.entries()) {
    opts.log(`board speed: path ${k + 1}/${specs.length} (${pathName(spec)})`);
    const cfg = pathConfig(spec, epochs);
    const hand: number[] = [];
    const fw: number[] = [];
    let agree = NaN;
    for (let r = 0; r < reps; r++) {
      // Alternate which goes first, so a slow moment of the machine is not always charged to one side.
      const runs = r % 2 === 0 ? ['hand', 'fw'] : ['fw', 'hand'];
      let h: HandRun | null = null;
      let f: FirmwareRun | null = null;
      for (const which of runs) {
        if (which === 'hand') h = await runHand(spec, epochs);
        else f = await runFirmware(after, data[spec.features], spec.features, cfg, clockScale);
      }
      hand.push(...(h as HandRun).intervals);
      try {
        fw.push(...firmwareIntervals(f as FirmwareRun, epochs));
      } catch (err) {
        throw new Error(`${pathName(spec)}: ${(err as Error).message}`);
      }
      agree = agreement(f as FirmwareRun, h as HandRun);
    }
    const handMs = median(hand);
    const firmwareMs = median(fw);
    // The cost model counts rather than times: one run of a few epochs is exact. The whole sweep
    // under it takes a few minutes, so --quick models the table's paths only.
    const model = opts.quick ? undefined : await modelPath(spec, pathConfig(spec, MODEL_EPOCHS), firmwareCode, null);
    paths.push({ name: pathName(spec), spec, handMs, firmwareMs, ratio: handMs / firmwareMs, agreement: agree, model });
  }

  const minima: MinRow[] = [];
  for (const optimizer of PATH_OPTIMIZERS) {
    for (const batch of BATCH_MODES) {
      const rows = paths.filter((p) => p.spec.optimizer === optimizer && p.spec.batch === batch);
      if (rows.length === 0) continue;
      const m = rows.reduce((lo, p) => (p.ratio < lo.ratio ? p : lo));
      const modelled = rows.filter((p) => p.model !== undefined);
      const mm = modelled.length > 0 ? modelled.reduce((lo, p) => ((p.model as ModelFigures).ratio < (lo.model as ModelFigures).ratio ? p : lo)) : null;
      minima.push({ optimizer, batch, ratio: m.ratio, path: m.name, handMs: m.handMs, firmwareMs: m.firmwareMs, model: mm ? { ratio: (mm.model as ModelFigures).ratio, path: mm.name } : undefined });
    }
  }

  opts.log('board speed: the record path, the seed job and the uploads');
  const n = opts.quick ? 30 : 200;
  const bits = await recordPath('bits', n);
  const decimal = await recordPath('decimal', n);
  const est = (ms: number): BoardEstimate => ({ proxyMs: ms, boardMs: ms * scale });
  const seed = {
    sgd: { before: est(await seedEpochMs(before, 'sgd', clockScale)), after: est(await seedEpochMs(after, 'sgd', clockScale)) },
    adam: { before: est(await seedEpochMs(before, 'adam', clockScale)), after: est(await seedEpochMs(after, 'adam', clockScale)) },
  };
  const uploads = { a2: [] as number[], a1: [] as number[], b1: [] as number[] };
  for (let r = 0; r < Math.max(3, reps); r++) {
    uploads.a2.push((await runFirmware(after, data[2], 2, null, clockScale)).uploadUs / 1000);
    uploads.a1.push((await runFirmware(after, data[1], 1, null, clockScale)).uploadUs / 1000);
    uploads.b1.push((await runFirmware(before, data[1], 1, null, clockScale)).uploadUs / 1000);
  }
  opts.log('board speed: the cost model\'s record, seed job and uploads');
  const beforeCode = readFileSync(AFF00D7_BUNDLE, 'utf8');
  const seedModel = async (code: string, protocol: 1 | 2, optimizer: 'sgd' | 'adam'): Promise<number> => {
    const cfg: Partial<TrainConfig> = { optimizer, lr: optimizer === 'adam' ? 0.001 : 0.01, batch: 0, epochs: SEED_EPOCHS, bias: false };
    return median((await modelFirmware(code, protocol, seedData(), 1, cfg)).intervals.slice(1));
  };
  const modelTrack = table.map((row) => row.model.beforeRatio / row.board.ratio);
  const model: BoardSpeedBench['model'] = {
    record: { bitsMs: await modelRecordPath('bits', 50), decimalMs: await modelRecordPath('decimal', 50) },
    seed: {
      sgd: { beforeMs: await seedModel(beforeCode, 1, 'sgd'), afterMs: await seedModel(firmwareCode, 2, 'sgd') },
      adam: { beforeMs: await seedModel(beforeCode, 1, 'adam'), afterMs: await seedModel(firmwareCode, 2, 'adam') },
    },
    upload: {
      after1000x2Ms: (await modelFirmware(firmwareCode, 2, data[2], 2, null)).uploadMs,
      after1000x1Ms: (await modelFirmware(firmwareCode, 2, data[1], 1, null)).uploadMs,
      before1000x1Ms: (await modelFirmware(beforeCode, 1, data[1], 1, null)).uploadMs,
    },
    tracking: {
      geomean: Math.exp(modelTrack.reduce((s2, v) => s2 + Math.log(v), 0) / modelTrack.length),
      min: Math.min(...modelTrack),
      max: Math.max(...modelTrack),
    },
  };
  return {
    available: true,
    duktape: duktapeVersion(),
    epochs,
    reps,
    scale,
    clockScale,
    scaleRange: [Math.min(...perLoop), Math.max(...perLoop)],
    table,
    tracking,
    paths,
    minima,
    record: { bits: { ...est(bits.ms), chars: bits.chars }, decimal: { ...est(decimal.ms), chars: decimal.chars } },
    seed,
    ops: await operationCosts(),
    upload: { after1000x2: est(median(uploads.a2)), after1000x1: est(median(uploads.a1)), before1000x1: est(median(uploads.b1)) },
    model,
    seconds: (performance.now() - t0) / 1000,
  };
}

