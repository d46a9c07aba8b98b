// Runs a program the way the virtual Pico's engine does, on the board's clock, without a serial port
// or a worker: for measuring ("cost-model board ms", beside the bench's other interpreter proxies)
// and for calibrating the cost model. Board time is counted, not waited for ('virtual' pace), and
// idle time (waiting for the next timer) passes at once, so a minute of board time takes a moment.
import { JsEngine, loadQuickJS, type Failure } from './engine.ts';
import { BoardClock } from './pace.ts';
import { DEFAULT_WEIGHTS, type CostWeights } from './cost-model.ts';

export interface PacedRunOptions {
  /** 'virtual' (the default): board time counted. 'fast': not paced at all (to compare what a program computes and its heap). */
  pace?: 'virtual' | 'fast';
  weights?: CostWeights;
  heapBytes?: number;
  /** Stop once board time passes this (timers still pending are abandoned). Default 600,000 (10 minutes). */
  maxBoardMs?: number;
  /** Sees each piece of console output with the board time it was printed at. */
  onOutput?: (text: string, boardMs: number) => void;
}

export interface PacedRunResult {
  /** Board ms from the start until the program and every timer it set were done. */
  boardMs: number;
  /** Of those, board ms spent running JavaScript (the rest is waiting for timers). */
  busyMs: number;
  /** Console output, lines without Kaluma's ANSI framing. */
  lines: string[];
  /** What stopped the program with an uncaught error, or null. */
  failure: string | null;
  /** True when maxBoardMs ended the run with timers still pending. */
  truncated: boolean;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Runs `source` as the flashed program of a paced board until it and its timers are done. */
export async function runPaced(source: string, opts: PacedRunOptions = {}): Promise<PacedRunResult> {
  const clock = new BoardClock(opts.pace ?? 'virtual', opts.weights ?? DEFAULT_WEIGHTS);
  let out = '';
  let failure: string | null = null;
  let handles = 2;
  const engine = new JsEngine(
    await loadQuickJS(),
    {
      write: (text) => {
        out += text;
        opts.onOutput?.(text, clock.now());
      },
      writeBytes: () => undefined,
      stdinRead: () => null,
      now: () => clock.now(),
      delay: (ms) => clock.delay(ms),
      takeStop: () => false,
      nextHandleId: () => handles++,
    },
    opts.heapBytes,
    clock,
  );
  const start = clock.now();
  const maxBoardMs = opts.maxBoardMs ?? 600_000;
  let truncated = false;
  const describe = (f: Failure): string => (f.kind === 'error' ? f.message : f.kind);
  try {
    const f = engine.runProgram(source);
    if (f !== null) failure = describe(f);
    for (;;) {
      if (failure !== null) break;
      if (engine.runJobs() === 'oom') {
        failure = 'oom';
        break;
      }
      if (engine.runTimers() === 'oom') {
        failure = 'oom';
        break;
      }
      if (engine.hasJobs()) continue;
      const due = engine.nextDue();
      if (due === null) break;
      if (due - start > maxBoardMs) {
        truncated = true;
        break;
      }
      if (opts.pace === 'fast') {
        // Unpaced: wait for the timer on the wall clock.
        const wait = due - clock.now();
        if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
      } else clock.skipIdleTo(due);
    }
  } finally {
    engine.dispose();
  }
  const lines = out
    .replace(ANSI, '')
    .split(/\r?\n/)
    .map((l) => l.replace(/^\r+/, ''))
    .filter((l) => l.length > 0);
  if (failure === null) {
    const red = /\x1b\[31m([^\r\n]*)/.exec(out);
    if (red) failure = red[1];
  }
  return { boardMs: clock.now() - start, busyMs: clock.busy(), lines, failure, truncated };
}
