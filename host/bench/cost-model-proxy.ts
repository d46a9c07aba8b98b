// The second proxy of the board-speed section: the virtual Pico's cost model (host/sim/cost-model.ts),
// which counts what JerryScript on the RP2040 would execute, operation by operation, with weights
// calibrated on runtime-facts.md's measurements of the real board. Where Duktape runs the code and
// times it, this one counts it: the same programs (the firmware driven by the host's REPL lines, the
// hand loops) run in QuickJS on the board's clock (runPaced, 'virtual' pace), and the figures are
// board ms directly, with no scale factor and no noise (the count is the same every run).
import type { TrainConfig } from '../../shared/config.ts';
import { parseRecord } from '../../shared/protocol.ts';
import { runPaced } from '../sim/paced-run.ts';
import { hostLines } from './board-speed.ts';
import { handProgram, START_MARK, type PathSpec } from './hand-loops.ts';

const UPLOAD_START = 'MODEL UPLOAD START';
const UPLOAD_END = 'MODEL UPLOAD END';

export interface ModelRun {
  /** Board ms between consecutive epoch records 0, 1, …, E. */
  intervals: number[];
  /** Board ms from the first upload line to the end's answer. */
  uploadMs: number;
}

/** Runs a bundle (ES2019, as flashed) with the host's lines for an upload and, if given, a run. */
export async function modelFirmware(code: string, protocol: 1 | 2, packed: Float32Array, features: number, config: Partial<TrainConfig> | null): Promise<ModelRun> {
  const { lines, uploadEnd } = hostLines(protocol, packed, features, config);
  // The host's REPL lines become statements of the program, run in order after the bundle's hello;
  // the marks are printed around the upload so that its board time can be read off the output.
  const body = [`console.log(${JSON.stringify(UPLOAD_START)})`, ...lines.slice(0, uploadEnd), `console.log(${JSON.stringify(UPLOAD_END)})`, ...lines.slice(uploadEnd)];
  const epochs: number[] = [];
  let t0 = NaN;
  let t1 = NaN;
  const r = await runPaced(code + '\n' + body.join(';\n') + ';\n', {
    onOutput: (text, ms) => {
      for (const line of text.split(/\r?\n/)) {
        if (line.indexOf(UPLOAD_START) >= 0) t0 = ms;
        else if (line.indexOf(UPLOAD_END) >= 0) t1 = ms;
        else if (parseRecord(line)?.type === 'epoch') epochs.push(ms);
      }
    },
  });
  if (r.failure) throw new Error(`the firmware under the cost model failed: ${r.failure}`);
  const intervals: number[] = [];
  for (let k = 1; k < epochs.length; k++) intervals.push(epochs[k] - epochs[k - 1]);
  return { intervals, uploadMs: t1 - t0 };
}

/** Board ms of each epoch of a hand loop (from the start mark to epoch 1's line, then line to line). */
export async function modelHand(spec: PathSpec, epochs: number): Promise<number[]> {
  const stamps: number[] = [];
  let start = NaN;
  const r = await runPaced(handProgram(spec, epochs), {
    onOutput: (text, ms) => {
      for (const line of text.split(/\r?\n/)) {
        if (line.indexOf(START_MARK) >= 0) start = ms;
        else if (line.indexOf('{"epoch"') >= 0) stamps.push(ms);
      }
    },
  });
  if (r.failure) throw new Error(`the hand loop under the cost model failed: ${r.failure}`);
  const out: number[] = [];
  let prev = start;
  for (const t of stamps) {
    out.push(t - prev);
    prev = t;
  }
  return out;
}
