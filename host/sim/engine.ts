// The board's JavaScript engine: an isolated QuickJS context (never Node's own) that holds only
// Kaluma's globals, with the board's heap budget, Ctrl-C through the interrupt handler, timers and
// error printing the way Kaluma's runtime does them (src/runtime.c, src/global.c, src/jerryxx.c).
//
// Heap. JerryScript on the Pico has 184312 bytes, 12192 of them in use at boot. The sandbox gets the
// same headroom: its budget is its own usage once the globals are installed plus (heapBytes − 12192).
// Two corrections make QuickJS's bytes stand for JerryScript's, and both are approximations:
//  - Data: typed-array contents (what a dataset is made of) cost the same bytes on both engines and
//    are counted as they are; QuickJS's small objects are somewhat larger than JerryScript's.
//  - Code: QuickJS keeps every function's source text and large function records; JerryScript keeps
//    compact byte code and its literals. So the measure counts QuickJS's byte code, line tables and
//    atoms, but replaces its function records (js_func_size, which includes the source text) by 48
//    bytes per function. The 49 KB firmware bundle then measures ~107 KB instead of ~173 KB.
// The emscripten build of QuickJS does not count bytes in its own malloc limit, so the budget is
// enforced here by measuring (JS_ComputeMemoryUsage) after each call into the sandbox and, while
// code runs, from the interrupt handler every 20 ms; after each measurement QuickJS's limit is set
// so that a single allocation larger than what is left fails at once. Running out prints
// ERR_OUT_OF_MEMORY and the board restarts its runtime.
import {
  newQuickJSWASMModule,
  RELEASE_SYNC,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import { PRELUDE } from './prelude.ts';
import { checkJerrySyntax } from './jerry-syntax.ts';
import { decodeSource } from './text.ts';

/** Kaluma 1.2.1 on the Pico, measured: `.mem` at boot prints total 184312, occupied 12192, peak 15080. */
export const BOARD_HEAP_TOTAL = 184312;
export const BOARD_HEAP_AT_BOOT = 12192;
export const BOARD_PEAK_AT_BOOT = 15080;
export const OOM_MESSAGE = 'Error: ERR_OUT_OF_MEMORY';
/** What the board calls every script it parses (no resource name is given to jerry_parse). */
const SOURCE_NAME = '<anonymous>';
const MEMORY_CHECK_MS = 20;
const MAX_BACKTRACE = 32;
/** What a function's record costs JerryScript beyond its byte code (an estimate; see the header). */
const FUNCTION_BYTES = 48;
/** QuickJS's per-block bookkeeping in its malloc limit (malloc_usable_size is unavailable in wasm). */
const MALLOC_OVERHEAD = 8;
/** Room for QuickJS's own small allocations above the limit, so that the budget check, not a stray failure, decides. */
const LIMIT_SLACK = 4096;

const RED = '\x1b[31m';
const NORMAL = '\x1b[0m';

/** What the engine needs from the board around it. */
export interface EngineHost {
  write(text: string): void;
  writeBytes(bytes: Uint8Array): void;
  /** Everything queued on the USB input, or null; process.stdin.read(). */
  stdinRead(): Uint8Array | null;
  /** Milliseconds since the board booted. */
  now(): number;
  /** Blocks the board (delay()). */
  delay(ms: number): void;
  /** True once per Ctrl-C: reads and clears the stop flag. */
  takeStop(): boolean;
  /** Next handle id (timers share Kaluma's I/O handle counter, which survives runtime restarts). */
  nextHandleId(): number;
}

export type Failure = { kind: 'error'; message: string; lines: number[] } | { kind: 'abort' } | { kind: 'oom' };

interface Timer {
  id: number;
  fn: QuickJSHandle;
  due: number;
  interval: number;
  repeat: boolean;
  active: boolean;
}

let modulePromise: Promise<QuickJSWASMModule> | null = null;

/** The QuickJS WebAssembly module, loaded once per thread. */
export function loadQuickJS(): Promise<QuickJSWASMModule> {
  modulePromise ??= newQuickJSWASMModule(RELEASE_SYNC);
  return modulePromise;
}

export class JsEngine {
  private readonly rt: QuickJSRuntime;
  private readonly ctx: QuickJSContext;
  private readonly pretty: QuickJSHandle;
  private readonly describe: QuickJSHandle;
  private readonly baseline: number;
  // Assigned in the constructor after the baseline is measured (measure() skips the limit until then).
  private readonly budget!: number;
  private timers: Timer[] = [];
  private interruptReason: 'abort' | 'oom' | null = null;
  private lastMemoryCheck = 0;
  private peak = BOARD_PEAK_AT_BOOT;
  private disposed = false;

  constructor(
    module: QuickJSWASMModule,
    private readonly host: EngineHost,
    heapBytes: number = BOARD_HEAP_TOTAL,
  ) {
    this.rt = module.newRuntime();
    this.ctx = this.rt.newContext();
    const ctx = this.ctx;
    const natives = ctx.newObject();
    const fn = (name: string, impl: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
      const h = ctx.newFunction(name, impl);
      ctx.setProp(natives, name, h);
      h.dispose();
    };
    fn('write', (s) => {
      this.host.write(ctx.getString(s));
      return undefined;
    });
    fn('writeBytes', (ab) => {
      const bytes = ctx.getArrayBuffer(ab);
      this.host.writeBytes(bytes.value.slice());
      bytes.dispose();
      return undefined;
    });
    fn('stdinRead', () => {
      const bytes = this.host.stdinRead();
      return bytes === null || bytes.length === 0 ? undefined : ctx.newArrayBuffer(bytes.slice().buffer);
    });
    fn('now', () => ctx.newNumber(this.host.now()));
    fn('delay', (ms) => {
      this.host.delay(ctx.getNumber(ms));
      return undefined;
    });
    fn('memory', () => {
      const m = this.memory();
      const arr = ctx.newArray();
      [m.total, m.used, m.peak].forEach((v, i) => {
        const n = ctx.newNumber(v);
        ctx.setProp(arr, i, n);
        n.dispose();
      });
      return arr;
    });
    fn('setTimer', (callback, delay, repeat) => this.ctx.newNumber(this.addTimer(callback, ctx.getNumber(delay), ctx.dump(repeat) === true)));
    fn('clearTimer', (id) => {
      this.clearTimer(ctx.getNumber(id));
      return undefined;
    });
    fn('utf8', (ab) => {
      const bytes = ctx.getArrayBuffer(ab);
      const s = decodeSource(bytes.value);
      bytes.dispose();
      return ctx.newString(s);
    });
    const prelude = ctx.unwrapResult(ctx.evalCode(PRELUDE, '<kaluma>', { type: 'global', strict: true }));
    const helpers = ctx.unwrapResult(ctx.callFunction(prelude, ctx.undefined, natives));
    this.pretty = ctx.getProp(helpers, 'pretty');
    this.describe = ctx.getProp(helpers, 'describe');
    helpers.dispose();
    prelude.dispose();
    natives.dispose();

    this.baseline = this.measure();
    this.budget = Math.max(0, heapBytes - BOARD_HEAP_AT_BOOT);
    this.measure(); // sets QuickJS's limit
    this.rt.setInterruptHandler(() => {
      if (this.host.takeStop()) {
        this.interruptReason = 'abort';
        return true;
      }
      const now = performance.now();
      if (now - this.lastMemoryCheck >= MEMORY_CHECK_MS) {
        this.lastMemoryCheck = now;
        if (this.overBudget()) {
          this.interruptReason = 'oom';
          return true;
        }
      }
      return false;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.timers) t.fn.dispose();
    this.timers = [];
    this.pretty.dispose();
    this.describe.dispose();
    this.ctx.dispose();
    this.rt.dispose();
  }

  // ---- memory -------------------------------------------------------------------------------

  /**
   * The heap in use, in JerryScript terms (see the header): QuickJS's count without its function
   * records. Also moves QuickJS's own limit so that one allocation larger than what is left fails
   * at once (its limit compares malloc_size, 8 bytes per live block in this build, plus the request).
   */
  private measure(): number {
    const usage = this.rt.computeMemoryUsage();
    const field = (name: string) => {
      const h = this.ctx.getProp(usage, name);
      const n = this.ctx.getNumber(h);
      h.dispose();
      return n;
    };
    const used = field('memory_used_size') - field('js_func_size') + FUNCTION_BYTES * field('js_func_count');
    const blocks = field('malloc_count');
    usage.dispose();
    if (this.budget !== undefined) {
      const left = this.budget - (used - this.baseline);
      this.rt.setMemoryLimit(MALLOC_OVERHEAD * blocks + Math.max(0, left) + LIMIT_SLACK);
    }
    return used;
  }

  private used(): number {
    return this.measure() - this.baseline;
  }

  private overBudget(): boolean {
    const used = this.used();
    this.peak = Math.max(this.peak, BOARD_HEAP_AT_BOOT + Math.max(0, used));
    return used > this.budget;
  }

  /** As process.memoryUsage() and `.mem` report it, in the board's terms. */
  memory(): { total: number; used: number; peak: number } {
    const used = BOARD_HEAP_AT_BOOT + Math.max(0, this.used());
    this.peak = Math.max(this.peak, used);
    return { total: this.budget + BOARD_HEAP_AT_BOOT, used, peak: this.peak };
  }

  // ---- running code ---------------------------------------------------------------------------

  /** Runs one call into the sandbox and sorts out how it failed, if it did. */
  private guarded(call: () => ReturnType<QuickJSContext['evalCode']>): { value: QuickJSHandle } | { failure: Failure } {
    this.interruptReason = null;
    const result = call();
    const reason = this.interruptReason as 'abort' | 'oom' | null;
    this.interruptReason = null;
    if (result.error) {
      const failure = reason !== null ? ({ kind: reason } as Failure) : this.toFailure(result.error);
      result.error.dispose();
      return { failure };
    }
    if (this.overBudget()) {
      result.value.dispose();
      return { failure: { kind: 'oom' } };
    }
    return { value: result.value };
  }

  private toFailure(error: QuickJSHandle): Failure {
    const r = this.ctx.callFunction(this.describe, this.ctx.undefined, error);
    if (r.error) {
      r.error.dispose();
      return { kind: 'oom' };
    }
    const [message, stack] = this.ctx.dump(r.value) as [string, string];
    r.value.dispose();
    if (message === 'InternalError: out of memory') return { kind: 'oom' };
    if (message === 'InternalError: interrupted') return { kind: 'abort' };
    const lines: number[] = [];
    for (const m of stack.matchAll(/\(<anonymous>:(\d+)/g)) lines.push(Number(m[1]));
    return { kind: 'error', message, lines };
  }

  /** jerryxx_print_error: the message in red, then (for programs and callbacks) up to 32 `at` lines. */
  printFailure(failure: Failure, withStack: boolean): void {
    const message = failure.kind === 'abort' ? 'Aborted' : failure.kind === 'oom' ? OOM_MESSAGE : failure.message;
    let text = RED + message + '\r\n' + NORMAL;
    if (withStack && failure.kind === 'error') {
      for (const line of failure.lines.slice(0, MAX_BACKTRACE)) text += RED + '  at ' + SOURCE_NAME + ':' + line + '\r\n' + NORMAL;
    }
    this.host.write(text);
  }

  private syntaxFailure(source: string): Failure | null {
    const problem = checkJerrySyntax(source);
    if (problem === null) return null;
    return { kind: 'error', message: `SyntaxError: ${problem.message} [${SOURCE_NAME}:${problem.line}:${problem.column}]`, lines: [] };
  }

  private evalScript(source: string): { value: QuickJSHandle } | { failure: Failure } {
    const syntax = this.syntaxFailure(source);
    if (syntax !== null) return { failure: syntax };
    return this.guarded(() => this.ctx.evalCode(source, SOURCE_NAME, { type: 'global', strict: true }));
  }

  /**
   * km_runtime_load: runs the flashed program. Errors are printed with their backtrace. Returns the
   * failure when the board restarts its runtime because of it (a parse error does not restart).
   */
  runProgram(source: string): Failure | null {
    const r = this.evalScript(source);
    if ('value' in r) {
      r.value.dispose();
      return null;
    }
    this.printFailure(r.failure, true);
    const parseError = r.failure.kind === 'error' && r.failure.message.startsWith('SyntaxError') && r.failure.lines.length === 0;
    return parseError ? null : r.failure;
  }

  /** run_code in src/repl.c: the result pretty-printed to depth 3, or the error without backtrace. Returns 'oom' when the runtime must restart. */
  runLine(source: string): 'oom' | null {
    const r = this.evalScript(source);
    if ('failure' in r) {
      this.printFailure(r.failure, false);
      return r.failure.kind === 'oom' ? 'oom' : null;
    }
    const depth = this.ctx.newNumber(3);
    const zero = this.ctx.newNumber(0);
    const p = this.guarded(() => this.ctx.callFunction(this.pretty, this.ctx.undefined, zero, depth, r.value));
    depth.dispose();
    zero.dispose();
    r.value.dispose();
    if ('failure' in p) {
      this.printFailure(p.failure, false);
      return p.failure.kind === 'oom' ? 'oom' : null;
    }
    this.host.write(this.ctx.getString(p.value) + '\r\n');
    p.value.dispose();
    return null;
  }

  // ---- timers and jobs ------------------------------------------------------------------------

  private addTimer(callback: QuickJSHandle, delay: number, repeat: boolean): number {
    const id = this.host.nextHandleId();
    const interval = Math.max(0, Math.floor(delay));
    this.timers.push({ id, fn: callback.dup(), due: Math.floor(this.host.now()) + interval, interval, repeat, active: true });
    return id;
  }

  private clearTimer(id: number): void {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i < 0) return;
    const [t] = this.timers.splice(i, 1);
    t.active = false;
    t.fn.dispose();
  }

  /** When the next timer is due (ms since boot), or null. A timer fires once the clock has passed it. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const t of this.timers) if (t.active && (next === null || t.due < next)) next = t.due;
    return next === null ? null : next + 1;
  }

  /** io_timer_run + set_timer_cb: runs the timers that are due, in the order they were made. */
  runTimers(): 'oom' | null {
    const now = Math.floor(this.host.now());
    for (const t of this.timers.slice()) {
      if (!t.active || !(t.due < now)) continue;
      if (t.repeat) t.due += t.interval;
      else t.active = false;
      const r = this.guarded(() => this.ctx.callFunction(t.fn, this.ctx.undefined));
      if ('value' in r) r.value.dispose();
      if ('failure' in r) {
        // Kaluma prints the error with its backtrace and closes this timer; the rest of the program lives on.
        this.printFailure(r.failure, true);
        if (r.failure.kind === 'oom') return 'oom';
        this.clearTimer(t.id);
      } else if (!t.repeat) {
        this.clearTimer(t.id);
      }
      if (this.disposed) return null;
    }
    return null;
  }

  hasJobs(): boolean {
    return this.rt.hasPendingJob();
  }

  /** The idle handler: runs queued promise jobs. */
  runJobs(): 'oom' | null {
    if (!this.rt.hasPendingJob()) return null;
    this.interruptReason = null;
    const r = this.rt.executePendingJobs();
    const reason = this.interruptReason as 'abort' | 'oom' | null;
    this.interruptReason = null;
    if (r.error) {
      const failure = reason !== null ? ({ kind: reason } as Failure) : this.toFailure(r.error);
      r.error.dispose();
      this.printFailure(failure, true);
      return failure.kind === 'oom' ? 'oom' : null;
    }
    r.dispose();
    if (!this.overBudget()) return null;
    this.printFailure({ kind: 'oom' }, false);
    return 'oom';
  }
}

