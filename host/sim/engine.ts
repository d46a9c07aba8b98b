// The board's JavaScript engine: an isolated QuickJS context (never Node's own) that holds only
// Kaluma's globals, with the board's heap budget, Ctrl-C through the interrupt handler, timers and
// error printing the way Kaluma's runtime does them (src/runtime.c, src/global.c, src/jerryxx.c).
//
// Heap. JerryScript on the Pico has 184312 bytes, 12192 of them in use at boot. The sandbox gets the
// same headroom: its budget is its own usage once the globals are installed plus (heapBytes − 12192).
// QuickJS's inventory of its heap (JS_ComputeMemoryUsage) is turned into what JerryScript 2.4 stores
// for the same program, as Kaluma builds it (32-bit compressed pointers, 8-byte allocation units):
//  - Data: typed-array and ArrayBuffer contents, array elements and string values are counted as
//    QuickJS counts them. A dataset is made of typed arrays, and their bytes are the same on both.
//  - Objects: QuickJS's 48-byte object records and its shapes (hidden classes) become JerryScript's
//    16-byte object header plus 12 bytes per property (a property pair is 24 bytes for two).
//  - Functions: QuickJS's function records (header, variable definitions, closure references and the
//    function's whole source text, kept for toString) become JerryScript's compiled-code header,
//    16 bytes per function. JerryScript keeps no source text.
//  - Byte code: JerryScript's byte code with its literal tables and inline line info takes a little
//    over half the bytes of QuickJS's byte code plus its line-number table (QuickJS's operands are
//    mostly 4-byte atoms and 2-4-byte indexes and jumps, JerryScript's 1-byte literal indexes). This
//    ratio (0.55) is the one number fitted to a measurement: with it the firmware bundle of commit
//    aff00d7 (test/fixtures/firmware/aff00d7.js, 57,993 bytes) reports 101,190 bytes used after its
//    hello, where Kaluma 1.2.1 on the RP2040 reports 101,560 (the old model, which kept QuickJS's
//    byte code, objects and shapes as they are, said 129,484). Calibrated on one bundle only.
//  - Identifiers and string literals (QuickJS's atoms) are counted as they are: JerryScript's literal
//    strings (8-byte header plus the characters, in the literal storage) cost about the same. QuickJS
//    grows its atom table by doubling, so the figure can step by a KB or two as a program's names
//    cross a threshold.
// At board pace (pace.ts) the code is instrumented to count its board cost; the bytes that adds to
// QuickJS's byte code are taken out again (uninstrumented()), so the heap figure stays the same.
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
import { COUNTER, instrument, type InstrumentKind } from './cost-model.ts';
import { pacePrelude, type BoardClock } from './pace.ts';

/** Kaluma 1.2.1 on the Pico, measured: `.mem` at boot prints total 184312, occupied 12192, peak 15080. */
export const BOARD_HEAP_TOTAL = 184312;
export const BOARD_HEAP_AT_BOOT = 12192;
export const BOARD_PEAK_AT_BOOT = 15080;
export const OOM_MESSAGE = 'Error: ERR_OUT_OF_MEMORY';
/** What the board calls every script it parses (no resource name is given to jerry_parse). */
const SOURCE_NAME = '<anonymous>';
const MEMORY_CHECK_MS = 20;
const MAX_BACKTRACE = 32;
/** JerryScript's compiled-code header (cbc_uint8_arguments_t, 12 bytes) with its padding to 8 bytes: a function's fixed cost. */
const FUNCTION_BYTES = 16;
/** JerryScript's ecma_object_t with 32-bit compressed pointers. */
const OBJECT_BYTES = 16;
/** Half of JerryScript's ecma_property_pair_t (24 bytes for two properties, 32-bit compressed pointers). */
const PROPERTY_BYTES = 12;
/** JerryScript's byte code, literal tables and line info per byte of QuickJS's byte code and pc2line table (fitted on aff00d7, see the header). */
const CODE_RATIO = 0.55;
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
  /**
   * Calls of the interrupt handler since the sandbox was last entered. JerryScript checks for Ctrl-C
   * only at loop back-edges (every 16th): a pending Ctrl-C stops code that loops, while a short
   * timer callback (a ticker) runs on, so its setInterval lives (measured on the board). QuickJS
   * polls on every jump and keeps its count across calls, so its first call in an entry may be owed
   * to earlier ones; from the second on, this entry has itself run ~10,000 jumps: it loops.
   */
  private handlerCalls = 0;
  private lastMemoryCheck = 0;
  private peak = BOARD_PEAK_AT_BOOT;
  private disposed = false;

  constructor(
    module: QuickJSWASMModule,
    private readonly host: EngineHost,
    heapBytes: number = BOARD_HEAP_TOTAL,
    /** The board clock; when it is paced, every script is instrumented to count its board cost. */
    private readonly clock: BoardClock | null = null,
  ) {
    this.rt = module.newRuntime();
    this.ctx = this.rt.newContext();
    const ctx = this.ctx;
    const [natives, fn] = this.nativeObject();
    fn('write', (s) => {
      const text = ctx.getString(s);
      // Printing costs the board per call and per character; the text leaves at its board time.
      if (this.clock?.paced) {
        this.clock.charge('logCall');
        this.clock.charge('logChar', text.length);
        this.clock.sync();
      }
      this.host.write(text);
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
    if (this.clock?.paced) this.installPacing();

    // The first inventory interns the names of its own fields, and QuickJS's atom table may grow
    // for them (it never shrinks): the baseline is the second.
    this.measure();
    this.baseline = this.measure();
    this.budget = Math.max(0, heapBytes - BOARD_HEAP_AT_BOOT);
    this.measure(); // sets QuickJS's limit
    this.rt.setInterruptHandler(() => {
      const takeStop = () => ++this.handlerCalls >= 2 && this.host.takeStop();
      if (takeStop()) {
        this.interruptReason = 'abort';
        return true;
      }
      // A sync point: at board pace the board thread sleeps here until the wall clock catches up.
      if (this.clock?.paced && this.clock.sync(() => this.handlerCalls >= 2 && this.host.takeStop())) {
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

  // ---- board pace (pace.ts, cost-model.ts) -----------------------------------------------------

  /** QuickJS byte code (with line tables) that the original sources compile to, per byte of the instrumented ones. */
  private codeOriginal = 0;
  private codeInstrumented = 0;
  private codeAtBaseline = 0;

  private readonly readCounter = (): number => {
    const h = this.ctx.getProp(this.ctx.global, COUNTER);
    const n = this.ctx.getNumber(h);
    h.dispose();
    return n;
  };

  /** An object of host functions to hand to sandbox code, and `fn(name, impl)` to add one. */
  private nativeObject(): [QuickJSHandle, (name: string, impl: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => void] {
    const ctx = this.ctx;
    const natives = ctx.newObject();
    return [
      natives,
      (name, impl) => {
        const h = ctx.newFunction(name, impl);
        ctx.setProp(natives, name, h);
        h.dispose();
      },
    ];
  }

  /** The tick counter, cost wrappers and run-time instrumentation, before the heap baseline is taken. */
  private installPacing(): void {
    const ctx = this.ctx;
    const [natives, fn] = this.nativeObject();
    fn('instrumentFunction', (params, body) => {
      const p = ctx.getString(params);
      const b = ctx.getString(body);
      this.clock?.charge('parseChar', b.length);
      const wrapped = `(function anonymous(${p}\n) {\n${b}\n})`;
      const code = instrument(b, { kind: 'function', params: paramNames(p), weights: this.clock?.weights });
      if (code !== null) this.countCode(wrapped, `(function anonymous(${p}\n) {\n${code}\n})`);
      return ctx.newString(code ?? b);
    });
    fn('instrumentEval', (code) => {
      const src = ctx.getString(code);
      this.clock?.charge('parseChar', src.length);
      return ctx.newString(this.instrumented(src, 'eval', false));
    });
    const setup = ctx.unwrapResult(ctx.evalCode(pacePrelude(this.clock!.weights), '<kaluma>', { type: 'global', strict: true }));
    ctx.unwrapResult(ctx.callFunction(setup, ctx.undefined, natives)).dispose();
    setup.dispose();
    natives.dispose();
    const usage = this.rt.computeMemoryUsage();
    for (const name of ['js_func_code_size', 'js_func_pc2line_size']) {
      const h = ctx.getProp(usage, name);
      this.codeAtBaseline += ctx.getNumber(h);
      h.dispose();
    }
    usage.dispose();
  }

  /** The source instrumented to count its board cost (the original when acorn cannot parse it: QuickJS reports the error). */
  private instrumented(source: string, kind: InstrumentKind, lasting: boolean): string {
    const code = instrument(source, { kind, weights: this.clock?.weights });
    if (code === null) return source;
    // The flashed program's functions live on: their extra byte code is what the heap figure leaves out.
    if (lasting) this.countCode(source, code);
    return code;
  }

  /** Compiles (without running) the original and the instrumented code to learn what the instrumentation adds. */
  private countCode(original: string, instrumentedCode: string): void {
    const size = (code: string): number => {
      const before = this.codeSize();
      const r = this.ctx.evalCode(code, SOURCE_NAME, { type: 'global', strict: true, compileOnly: true });
      const after = this.codeSize();
      if (r.error) {
        r.error.dispose();
        return 0;
      }
      r.value.dispose();
      return after - before;
    };
    const a = size(original);
    const b = size(instrumentedCode);
    if (a > 0 && b > 0) {
      this.codeOriginal += a;
      this.codeInstrumented += b;
    }
  }

  private codeSize(): number {
    const usage = this.rt.computeMemoryUsage();
    let n = 0;
    for (const name of ['js_func_code_size', 'js_func_pc2line_size']) {
      const h = this.ctx.getProp(usage, name);
      n += this.ctx.getNumber(h);
      h.dispose();
    }
    usage.dispose();
    return n;
  }

  /**
   * Of QuickJS's live byte code and line tables (`code` bytes), what the instrumentation added: the
   * code loaded since the baseline shrinks by the ratio measured when it was compiled (0 when not paced).
   */
  private instrumentationBytes(code: number): number {
    if (this.codeInstrumented === 0) return 0;
    return Math.max(0, code - this.codeAtBaseline) * (1 - this.codeOriginal / this.codeInstrumented);
  }

  // ---- memory -------------------------------------------------------------------------------

  /**
   * The heap in use, in JerryScript terms (see the header): QuickJS's count with its function records,
   * byte code, objects and shapes replaced by what JerryScript stores for them. Also moves QuickJS's
   * own limit so that one allocation larger than what is left fails at once (its limit compares
   * malloc_size, 8 bytes per live block in this build, plus the request).
   */
  private measure(): number {
    const usage = this.rt.computeMemoryUsage();
    const field = (name: string) => {
      const h = this.ctx.getProp(usage, name);
      const n = this.ctx.getNumber(h);
      h.dispose();
      return n;
    };
    // At board pace, the byte code the instrumentation added is left out of both the total and the code.
    const added = this.instrumentationBytes(field('js_func_code_size') + field('js_func_pc2line_size'));
    const quickjsCode = field('js_func_code_size') + field('js_func_pc2line_size') - added;
    const used = Math.round(
      field('memory_used_size') - added +
        // function records (with their source text) → JerryScript's compiled-code headers
        (FUNCTION_BYTES * field('js_func_count') - field('js_func_size')) +
        // byte code and line table → JerryScript's more compact byte code
        (CODE_RATIO - 1) * quickjsCode +
        // object records, property slots and shapes → JerryScript's objects and property pairs
        (OBJECT_BYTES * field('obj_count') + PROPERTY_BYTES * field('prop_count') - field('obj_size') - field('prop_size') - field('shape_size')),
    );
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
    this.handlerCalls = 0;
    this.clock?.enter(this.readCounter);
    let result: ReturnType<QuickJSContext['evalCode']>;
    try {
      result = call();
    } finally {
      this.clock?.leave();
    }
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
    const code = this.clock?.paced ? this.instrumented(source, 'script', true) : source;
    return this.guarded(() => {
      // JerryScript parses before it runs: the parse is board time of this run.
      this.clock?.charge('parseChar', source.length);
      return this.ctx.evalCode(code, SOURCE_NAME, { type: 'global', strict: true });
    });
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
    this.handlerCalls = 0;
    this.clock?.enter(this.readCounter);
    let r: ReturnType<QuickJSRuntime['executePendingJobs']>;
    try {
      r = this.rt.executePendingJobs();
    } finally {
      this.clock?.leave();
    }
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


/** The parameter names of a `new Function(params…, body)`, for the instrumenter's scopes. */
function paramNames(params: string): string[] {
  const names: string[] = [];
  for (const m of params.matchAll(/(?:^|[,({[]|\.\.\.)\s*([A-Za-z_$][\w$]*)/g)) names.push(m[1]);
  return names;
}
