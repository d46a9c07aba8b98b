// The virtual Espruino's JavaScript engine: an isolated QuickJS context (never Node's own) holding
// only Espruino 2v29's globals (prelude.ts), every chunk of code gated and rewritten first (code.ts),
// memory counted in Espruino variables (variables.ts), timers as Espruino's idle loop runs them, and
// errors described the way src/jsinteractive.c prints them.
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import { espruinoFtoa, espruinoNumberText, espruinoParseNumber, espruinoStringToFloat } from '../../build/espruino-number.ts';
import { prepare, type GateError } from './code.ts';
import { PRELUDE } from './prelude.ts';
import { INVENTORY_FIELDS, BOOT_VARIABLES, modelVariables, stringBlocks, type Inventory, type Tracked } from './variables.ts';

/** How often running code has its memory measured (it is also measured after every call). */
const MEMORY_CHECK_MS = 20;
/** QuickJS's own ceiling, far above any board's: a runaway program must not take the host's memory. */
const QUICKJS_LIMIT_BYTES = 256 * 1024 * 1024;
/** Chunks kept for the source lines of error traces. */
const MAX_CHUNKS = 4000;
/** Timers fire no sooner than this (TIMER_MIN_INTERVAL, src/jsinteractive.h). */
const TIMER_MIN_MS = 0.1;

export type TodoKind = 'reset' | 'save' | 'load' | 'reboot';

/** What the engine asks of the board around it. */
export interface EngineHost {
  /** jswrap_interface_print: the console line (the board removes the input line first and adds the line end). */
  print(text: string): void;
  /** jsError: `ERROR: …` on the console. */
  error(text: string): void;
  /** Milliseconds the board's clock shows (getTime()·1000). */
  now(): number;
  setTime(ms: number): void;
  todo(kind: TodoKind): void;
  echo(on: boolean): void;
  /** Polled while code runs: 'interrupt' stops it (Ctrl-C; the board may have run its debugger in here). */
  pollInterrupt(): 'none' | 'interrupt';
  /** Variables the console holds outside the engine right now (the line being typed or run). */
  consoleVariables(): number;
  /** Variables in the command history (reported, not counted as used). */
  historyVariables(): number;
  storage: StorageAccess;
  env(): Record<string, string | number>;
  /** E.getErrorFlags(): the flag names, and the flags are cleared. */
  takeErrorFlags(): string[];
  setErrorFlag(flag: 'MEMORY' | 'LOW_MEMORY' | 'CALLBACK'): void;
  hasErrorFlag(flag: 'MEMORY'): boolean;
  setBootCode(code: string, always: boolean): void;
}

export interface StorageAccess {
  write(name: string, data: string, offset: number, size: number): true | string;
  read(name: string, offset: number, length: number): string | null;
  erase(name: string): void;
  eraseAll(): void;
  list(): string[];
  stats(): [total: number, free: number, fileBytes: number, fileCount: number];
}

/** One frame of an uncaught error's trace, in the code Espruino would point at. */
export interface TraceFrame {
  name: string | null;
  line: number;
  column: number;
  source: string | null;
}

export type Failure =
  | { kind: 'exception'; text: string; frames: TraceFrame[] }
  | { kind: 'interrupted'; reason: 'ctrlc' | 'oom' };

export type Outcome = { ok: true; value: QuickJSHandle } | { ok: false; failure: Failure };

export interface ChunkOptions {
  /** The code came from Storage: functions keep a flash pointer, not their text. */
  fromFlash?: boolean;
}

interface Timer {
  id: number;
  /** The callback is a string of code (evaluated like a console line). */
  code: boolean;
  /** Creation order since the interpreter last started: save() keeps the timers live at that moment by it. */
  seq: number;
  fn: QuickJSHandle;
  args: QuickJSHandle[];
  due: number;
  interval: number | null;
}

export class EspruinoEngine {
  private readonly rt: QuickJSRuntime;
  readonly ctx: QuickJSContext;
  private readonly helpers: QuickJSHandle;
  private readonly base: Inventory;
  private codeVariables = 0;
  private lastCodeBlocks = 0;
  private chunkCount = 0;
  private readonly chunks = new Map<string, { source: string; original: (line: number, column: number) => { line: number; column: number } }>();
  /** Texts Storage.read returned lately: on the board they are strings in flash, and code eval'd from them stays there. */
  private readonly flashTexts: string[] = [];
  private timers: Timer[] = [];
  private timerSeq = 0;
  private interruptReason: 'ctrlc' | 'oom' | null = null;
  private oomPending = false;
  private lastCheck = 0;
  private disposed = false;
  /** While the host replays a saved program: no output, no Storage writes, no save/load/reset. */
  quiet = false;

  constructor(
    module: QuickJSWASMModule,
    private readonly host: EngineHost,
    readonly totalVariables: number,
  ) {
    this.rt = module.newRuntime();
    this.rt.setMemoryLimit(QUICKJS_LIMIT_BYTES);
    this.ctx = this.rt.newContext();
    const ctx = this.ctx;
    const natives = ctx.newObject();
    const fn = (name: string, impl: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
      const h = ctx.newFunction(name, impl);
      ctx.setProp(natives, name, h);
      h.dispose();
    };
    // (A string crosses as a C string: it ends at its first NUL. E.CRC32 passes its bytes as numbers
    // for that reason; Storage files with NULs are not modelled, and the firmware never writes one.)
    const str = (h: QuickJSHandle) => ctx.getString(h);
    const num = (h: QuickJSHandle | undefined) => (h === undefined ? 0 : ctx.getNumber(h));
    fn('print', (text) => {
      if (!this.quiet) this.host.print(str(text));
      return undefined;
    });
    fn('now', () => ctx.newNumber(this.host.now()));
    fn('numberText', (n) => ctx.newString(espruinoNumberText(num(n))));
    fn('ftoa', (n, radix, digits) => ctx.newString(espruinoFtoa(num(n), num(radix), num(digits))));
    fn('stringToFloat', (s) => ctx.newNumber(espruinoStringToFloat(str(s))));
    fn('parseNumber', (s) => ctx.newNumber(espruinoParseNumber(str(s))));
    // jsvAsNumber on a string: a run of digits as an integer, anything else through stringToFloat.
    fn('stringToNumber', (s) => {
      const text = str(s);
      const t = text.trim();
      if (t === '') return ctx.newNumber(0);
      return ctx.newNumber(/^[+-]?[0-9]+$/.test(t) ? Number(t) : espruinoStringToFloat(text));
    });
    fn('setTime', (ms) => {
      this.host.setTime(num(ms));
      return undefined;
    });
    fn('todo', (kind) => {
      if (!this.quiet) this.host.todo(str(kind) as TodoKind);
      return undefined;
    });
    fn('echo', (on) => {
      this.host.echo(ctx.dump(on) === true);
      return undefined;
    });
    fn('setTimer', (callback, ms, repeat, args) => ctx.newNumber(this.addTimer(callback, num(ms), ctx.dump(repeat) === true, args)));
    fn('clearTimer', (id) => (this.clearTimer(num(id)) ? ctx.true : ctx.false));
    fn('clearAllTimers', () => {
      for (const t of this.timers.splice(0)) this.freeTimer(t);
      return undefined;
    });
    fn('changeInterval', (id, ms) => {
      const t = this.timers.find((x) => x.id === num(id));
      if (!t) return ctx.false;
      const interval = Math.max(TIMER_MIN_MS, num(ms));
      t.interval = interval;
      t.due = this.host.now() + interval;
      return ctx.true;
    });
    fn('memory', () => {
      const m = this.memory();
      return this.toHandle([m.free, m.usage, m.total, m.history]);
    });
    fn('fits', (blocks) => (this.usage() + num(blocks) <= this.totalVariables ? ctx.true : ctx.false));
    fn('outOfMemory', () => {
      this.outOfMemory();
      return undefined;
    });
    fn('compile', (kind, text, params) => {
      const k = str(kind);
      const body = str(text);
      const source = k === 'function' ? `(function anonymous(${str(params)}\n) {\n${body}\n})` : body;
      const p = prepare(source, { lineOffset: k === 'function' ? 2 : 0, fromFlash: k === 'eval' && this.flashTexts.includes(body) });
      if (!p.ok) return this.toHandle([p.error.type, `${p.error.message} (line ${p.error.line} col ${p.error.column})`]);
      this.lastCodeBlocks = p.codeBlocks;
      if (k !== 'function') this.codeVariables += p.codeBlocks;
      return ctx.newString(p.code);
    });
    fn('lastCodeBlocks', () => ctx.newNumber(this.lastCodeBlocks));
    // E.CRC32 (jswrap_espruino_CRC32): CRC-32, one byte per element, as an unsigned integer.
    fn('crc32', (data) => {
      const bytes = ctx.dump(data) as number[];
      let crc = 0xffffffff;
      for (let i = 0; i < bytes.length; i++) {
        crc ^= bytes[i]! & 255;
        for (let t = 0; t < 8; t++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
      }
      return ctx.newNumber(~crc >>> 0);
    });
    fn('env', () => ctx.newString(JSON.stringify(this.host.env())));
    fn('takeErrorFlags', () => this.toHandle(this.host.takeErrorFlags()));
    fn('setBootCode', (code, always) => {
      if (!this.quiet) this.host.setBootCode(str(code), ctx.dump(always) === true);
      return undefined;
    });
    fn('storageWrite', (name, data, offset, size) => {
      if (this.quiet) return ctx.true;
      const r = this.host.storage.write(str(name), str(data), num(offset), num(size));
      return r === true ? ctx.true : this.toHandle(['error', r]);
    });
    fn('storageRead', (name, offset, length) => {
      const r = this.host.storage.read(str(name), num(offset), num(length));
      if (r !== null && r.length > 64) {
        this.flashTexts.push(r);
        if (this.flashTexts.length > 8) this.flashTexts.shift();
      }
      return r === null ? ctx.null : ctx.newString(r);
    });
    fn('storageErase', (name) => {
      if (!this.quiet) this.host.storage.erase(str(name));
      return undefined;
    });
    fn('storageEraseAll', () => {
      if (!this.quiet) this.host.storage.eraseAll();
      return undefined;
    });
    fn('storageList', () => this.toHandle(this.host.storage.list()));
    fn('storageStats', () => this.toHandle(this.host.storage.stats()));

    const prelude = ctx.unwrapResult(ctx.evalCode(PRELUDE, '<espruino>', { type: 'global', strict: true }));
    this.helpers = ctx.unwrapResult(ctx.callFunction(prelude, ctx.undefined, natives));
    prelude.dispose();
    natives.dispose();
    this.warmUp();
    // The first inventory interns the names of its own fields (QuickJS's atom table only grows): the baseline is the second.
    this.inventory();
    this.base = this.inventory();
    this.rt.setInterruptHandler(() => this.onInterrupt());
  }

  /**
   * QuickJS makes some of its objects on first use (a class's prototype, a proxy's records): use
   * everything once before the baseline, so a program is not charged for them.
   */
  private warmUp(): void {
    const code = `(function () {
      var t = [new Int8Array(2), new Uint8Array(2), new Uint8ClampedArray(2), new Int16Array(2), new Uint16Array(2),
        new Int32Array(2), new Uint32Array(2), new Float32Array(2), new Float64Array(2), new ArrayBuffer(2), new DataView(new ArrayBuffer(2))];
      t[0].slice(); t[1].map(function (x) { return x; }); t[2].filter(function () { return true; }); t[7].subarray(1); t[8].fill(0);
      JSON.parse(JSON.stringify({ a: [1, 2.5, 'x'] })); String(1.5); Number('1.5'); (1.5).toFixed(2); [1, 2].join(); parseFloat('1');
      new Date(); Date.now(); getTime(); E.getSizeOf({ a: 1 }); E.toString(65); E.toUint8Array('ab'); btoa('ab'); atob('YWI=');
      Math.pow(2, 0.5); Math.sqrt(2); Math.sin(1); Math.round(1.5); Math.max(1, 2);
      try { null.x; } catch (e) { String(e); e.stack; }
      new Function('a', 'return a')(1);
      require('Storage');
      var o = {}; o.x = 1; delete o.x; 'a'.split(''); 'abc'.indexOf('b'); [3, 1].sort(); Object.keys(o);
      // Built-in methods are made on first use (QuickJS's autoinit): touch every one.
      var seen = [];
      function touch(obj) {
        if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function') || seen.indexOf(obj) >= 0) return;
        seen.push(obj);
        var names = Object.getOwnPropertyNames(obj);
        for (var i = 0; i < names.length; i++) {
          var d = Object.getOwnPropertyDescriptor(obj, names[i]);
          if (d && 'value' in d && (typeof d.value === 'function' || (typeof d.value === 'object' && d.value !== null && names[i] !== 'global'))) {
            touch(d.value);
            if (typeof d.value === 'function') touch(d.value.prototype);
          }
        }
      }
      touch(global);
      touch(Object.getPrototypeOf(Int8Array.prototype));
      touch(require('Storage'));
      seen = null;
      return [1.5, 'x', {}, t[7]];
    })()`;
    const r = this.ctx.evalCode(code, '<warm-up>', { type: 'global', strict: false });
    const value = this.ctx.unwrapResult(r);
    this.helper('result', value).dispose();
    this.helper('describe', value).dispose();
    value.dispose();
    this.helper('tracked').dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.timers.splice(0)) this.freeTimer(t);
    this.helpers.dispose();
    this.ctx.dispose();
    this.rt.dispose();
  }

  /** Plain data (numbers, strings, booleans, null, arrays of those) as a sandbox value. */
  private toHandle(v: unknown): QuickJSHandle {
    const ctx = this.ctx;
    if (v === null || v === undefined) return v === null ? ctx.null : ctx.undefined;
    if (typeof v === 'number') return ctx.newNumber(v);
    if (typeof v === 'string') return ctx.newString(v);
    if (typeof v === 'boolean') return v ? ctx.true : ctx.false;
    if (Array.isArray(v)) {
      const arr = ctx.newArray();
      v.forEach((item, i) => {
        const h = this.toHandle(item);
        ctx.setProp(arr, i, h);
        h.dispose();
      });
      return arr;
    }
    throw new Error('toHandle: unsupported value');
  }

  private helper(name: string, ...args: QuickJSHandle[]): QuickJSHandle {
    const f = this.ctx.getProp(this.helpers, name);
    try {
      return this.ctx.unwrapResult(this.ctx.callFunction(f, this.ctx.undefined, ...args));
    } finally {
      f.dispose();
    }
  }

  // ---- memory ---------------------------------------------------------------------------------

  private inventory(): Inventory {
    const usage = this.rt.computeMemoryUsage();
    const inv = {} as Inventory;
    for (const name of INVENTORY_FIELDS) {
      const h = this.ctx.getProp(usage, name);
      inv[name] = this.ctx.getNumber(h);
      h.dispose();
    }
    usage.dispose();
    return inv;
  }

  private tracked(): Tracked {
    const h = this.helper('tracked');
    const [typedBytes, typedBlocks, typedCount, functionBlocks, globalStringBlocks, bookkeepingObjects, bookkeepingElements] = this.ctx.dump(h) as number[];
    h.dispose();
    return { typedBytes, typedBlocks, typedCount, functionBlocks, globalStringBlocks, bookkeepingObjects, bookkeepingElements };
  }

  /** Variables in use now (process.memory().usage): the program's, the code's, the console's, the interpreter's own. */
  usage(): number {
    const program = modelVariables(this.inventory(), this.base, this.tracked());
    const usage = BOOT_VARIABLES + program + this.codeVariables + this.host.consoleVariables();
    if (usage > this.peak) this.peak = usage;
    return usage;
  }

  /** The most variables seen in use (measured after each call and every 20 ms while code runs). */
  peak = 0;

  memory(): { free: number; usage: number; total: number; history: number } {
    const usage = this.usage();
    return { free: this.totalVariables - usage, usage, total: this.totalVariables, history: this.host.historyVariables() };
  }

  /** The allocator found no room: `ERROR: Out of Memory!` (once, while the MEMORY flag is up) and the running code stops. */
  private outOfMemory(): void {
    if (!this.host.hasErrorFlag('MEMORY')) this.host.error('Out of Memory!');
    this.host.setErrorFlag('LOW_MEMORY');
    this.host.setErrorFlag('MEMORY');
    this.oomPending = true;
  }

  private onInterrupt(): boolean {
    if (this.oomPending) {
      this.interruptReason = 'oom';
      return true;
    }
    if (this.host.pollInterrupt() === 'interrupt') {
      this.interruptReason = 'ctrlc';
      return true;
    }
    const now = performance.now();
    if (now - this.lastCheck >= MEMORY_CHECK_MS) {
      this.lastCheck = now;
      if (this.usage() > this.totalVariables) {
        this.outOfMemory();
        this.interruptReason = 'oom';
        return true;
      }
    }
    return false;
  }

  // ---- running code ---------------------------------------------------------------------------

  /** Runs one call into the sandbox; sorts out how it failed, and checks the memory after it. */
  private guarded(call: () => ReturnType<QuickJSContext['evalCode']>): Outcome {
    this.interruptReason = null;
    this.oomPending = false;
    this.lastCheck = performance.now();
    const result = call();
    const reason = this.interruptReason as 'ctrlc' | 'oom' | null;
    this.interruptReason = null;
    this.oomPending = false;
    if (result.error) {
      const failure: Failure = reason !== null ? { kind: 'interrupted', reason } : this.toFailure(result.error);
      result.error.dispose();
      return { ok: false, failure };
    }
    if (this.usage() > this.totalVariables) {
      result.value.dispose();
      this.outOfMemory();
      return { ok: false, failure: { kind: 'interrupted', reason: 'oom' } };
    }
    return { ok: true, value: result.value };
  }

  private toFailure(error: QuickJSHandle): Failure {
    // A process.on('uncaughtException') handler takes the error instead of the console.
    const taken = this.ctx.getProp(this.helpers, 'uncaught');
    const r = this.ctx.callFunction(taken, this.ctx.undefined, error);
    taken.dispose();
    if (!r.error && this.ctx.dump(r.value) === true) {
      r.value.dispose();
      return { kind: 'exception', text: '', frames: [] };
    }
    if (r.error) r.error.dispose();
    else r.value.dispose();
    const d = this.helper('describe', error);
    const [text, stack] = this.ctx.dump(d) as [string, string];
    d.dispose();
    if (text === 'InternalError: out of memory') {
      this.outOfMemory();
      return { kind: 'interrupted', reason: 'oom' };
    }
    if (text === 'InternalError: interrupted') return { kind: 'interrupted', reason: 'ctrlc' };
    if (text === 'InternalError: stack overflow' || text === 'RangeError: Maximum call stack size exceeded') {
      // jspCheckStackPosition: an error message, and the code stops.
      this.host.error('Too much recursion - the stack is about to overflow');
      return { kind: 'interrupted', reason: 'ctrlc' };
    }
    const frames = this.frames(stack);
    return { kind: 'exception', text: espruinoMessage(text, frames[0]), frames };
  }

  private frames(stack: string): TraceFrame[] {
    const frames: TraceFrame[] = [];
    for (const m of stack.matchAll(/at ([^\s(]+|<eval>|<anonymous>) \((c\d+):(\d+):(\d+)\)/g)) {
      const name = m[1] === '<eval>' || m[1] === '<anonymous>' ? null : m[1];
      const chunk = this.chunks.get(m[2]);
      const at = chunk ? chunk.original(Number(m[3]), Number(m[4])) : { line: Number(m[3]), column: Number(m[4]) };
      frames.push({ name, line: at.line, column: at.column, source: chunk?.source ?? null });
    }
    return frames;
  }

  /** Where a gate failure is reported from: the chunk's own text. */
  static gateFailure(error: GateError, source: string): Failure {
    return { kind: 'exception', text: `${error.type}: ${error.message}`, frames: [{ name: null, line: error.line, column: error.column, source }] };
  }

  /**
   * Evaluates one chunk (a console line, the boot code, a string timer): the gate, the rewrites, its
   * code's variables, then QuickJS. The value is the completion value, or the function a trailing
   * declaration made (the console prints it).
   */
  runChunk(source: string, opts: ChunkOptions = {}): Outcome {
    const p = prepare(source, { fromFlash: opts.fromFlash });
    if (!p.ok) return { ok: false, failure: EspruinoEngine.gateFailure(p.error, source) };
    this.codeVariables += p.codeBlocks;
    const name = `c${++this.chunkCount}`;
    this.chunks.set(name, { source, original: p.original });
    if (this.chunks.size > MAX_CHUNKS) {
      // Forget old chunks that made no functions (nothing can point back into them).
      for (const [key, chunk] of this.chunks) {
        if (this.chunks.size <= MAX_CHUNKS / 2) break;
        if (!/function|=>|class/.test(chunk.source)) this.chunks.delete(key);
      }
    }
    const r = this.guarded(() => this.ctx.evalCode(p.code, name, { type: 'global', strict: false }));
    if (r.ok && p.declared !== null) {
      r.value.dispose();
      return { ok: true, value: this.ctx.getProp(this.ctx.global, p.declared) };
    }
    return r;
  }

  /** The console's `=value` text for a value (jsfPrintJSON with the console's flags); null when printing it failed (a toString that throws). */
  resultText(value: QuickJSHandle): string | null {
    const f = this.ctx.getProp(this.helpers, 'result');
    const r = this.guarded(() => this.ctx.callFunction(f, this.ctx.undefined, value));
    f.dispose();
    if (!r.ok) {
      this.lastFailure = r.failure;
      return null;
    }
    const s = this.ctx.getString(r.value);
    r.value.dispose();
    return s;
  }

  /** How the last resultText failed. */
  lastFailure: Failure | null = null;

  /** The debugger's `print expr`: evaluated in the global scope (the paused function's locals are out of reach). */
  debugPrint(expr: string): string {
    const p = prepare(expr);
    if (!p.ok) return 'undefined';
    const r = this.ctx.evalCode(p.code, 'debug', { type: 'global', strict: false });
    if (r.error) {
      r.error.dispose();
      return 'undefined';
    }
    const text = this.resultText(r.value);
    r.value.dispose();
    return text ?? 'undefined';
  }

  /** E.on('init') handlers, then onInit() when defined (jsiSoftInit). */
  runInit(echo: boolean): Outcome {
    const f = this.ctx.getProp(this.helpers, 'init');
    const flag = echo ? this.ctx.true : this.ctx.false;
    const r = this.guarded(() => this.ctx.callFunction(f, this.ctx.undefined, flag));
    f.dispose();
    return r;
  }

  runKill(): void {
    const f = this.ctx.getProp(this.helpers, 'kill');
    const r = this.guarded(() => this.ctx.callFunction(f, this.ctx.undefined));
    f.dispose();
    if (r.ok) r.value.dispose();
  }

  // ---- timers ---------------------------------------------------------------------------------

  private addTimer(callback: QuickJSHandle, ms: number, repeat: boolean, args: QuickJSHandle): number {
    // jsiTimerAdd: the index after the last timer's, or 1 when there is none.
    const id = this.timers.reduce((max, t) => Math.max(max, t.id), 0) + 1;
    const interval = Math.max(TIMER_MIN_MS, ms);
    const argList: QuickJSHandle[] = [];
    const lengthHandle = this.ctx.getProp(args, 'length');
    const n = this.ctx.getNumber(lengthHandle);
    lengthHandle.dispose();
    for (let i = 0; i < n; i++) argList.push(this.ctx.getProp(args, i));
    this.timers.push({
      id,
      code: this.ctx.typeof(callback) === 'string',
      seq: ++this.timerSeq,
      fn: callback.dup(),
      args: argList,
      due: this.host.now() + interval,
      interval: repeat ? interval : null,
    });
    return id;
  }

  private freeTimer(t: Timer): void {
    t.fn.dispose();
    for (const a of t.args) a.dispose();
  }

  private clearTimer(id: number): boolean {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i < 0) return false;
    const [t] = this.timers.splice(i, 1);
    this.freeTimer(t);
    return true;
  }

  /** When the next timer is due (board ms), or null. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const t of this.timers) if (next === null || t.due < next) next = t.due;
    return next;
  }

  hasTimers(): boolean {
    return this.timers.length > 0;
  }

  /** The timers live now, by creation order, with the time each has left (save()). */
  liveTimers(): { seq: number; left: number }[] {
    const now = this.host.now();
    return this.timers.map((t) => ({ seq: t.seq, left: Math.max(0, t.due - now) }));
  }

  /** After a saved program is replayed: keep only the timers that were live when it was saved, with their time left. */
  keepTimers(saved: { seq: number; left: number }[]): void {
    const now = this.host.now();
    for (const t of this.timers.slice()) {
      const s = saved.find((x) => x.seq === t.seq);
      if (!s) this.clearTimer(t.id);
      else t.due = now + s.left;
    }
  }

  /**
   * jsiIdle's timer pass: runs every timer that is due, in the order they were made; `report` gets each
   * failure (an interval stopped by Ctrl-C or by running out of memory is removed, as on the board).
   */
  runTimers(report: (failure: Failure, wasInterval: boolean) => void): boolean {
    let ran = false;
    for (const t of this.timers.slice()) {
      if (this.disposed) return ran;
      if (!this.timers.includes(t) || t.due > this.host.now()) continue;
      ran = true;
      if (t.interval !== null) t.due += t.interval;
      else this.timers.splice(this.timers.indexOf(t), 1);
      let r: Outcome;
      if (t.code) r = this.runChunk(this.ctx.getString(t.fn));
      else r = this.guarded(() => this.ctx.callFunction(t.fn, this.ctx.undefined, ...t.args));
      if (r.ok) r.value.dispose();
      else {
        if (r.failure.kind === 'interrupted' && t.interval !== null && this.timers.includes(t)) this.clearTimer(t.id);
        report(r.failure, t.interval !== null);
      }
      if (t.interval === null && !this.timers.includes(t)) this.freeTimer(t);
    }
    return ran;
  }

  hasJobs(): boolean {
    return this.rt.hasPendingJob();
  }

  /** Promise jobs (Espruino runs them from its idle loop too). */
  runJobs(report: (failure: Failure) => void): void {
    if (!this.rt.hasPendingJob()) return;
    this.interruptReason = null;
    this.oomPending = false;
    const r = this.rt.executePendingJobs();
    const reason = this.interruptReason as 'ctrlc' | 'oom' | null;
    this.interruptReason = null;
    if (r.error) {
      report(reason !== null ? { kind: 'interrupted', reason } : this.toFailure(r.error));
      r.error.dispose();
    } else r.dispose();
  }
}

/** QuickJS's wording where Espruino's differs: `"x" is not defined`, `Function "f" not found!`. */
function espruinoMessage(text: string, at: TraceFrame | undefined): string {
  const m = /^ReferenceError: '?([\w$]+)'? is not defined$/.exec(text);
  if (m) return `ReferenceError: "${m[1]}" is not defined`;
  if (/^TypeError: (not a function|.* is not a function)$/.test(text) && at?.source) {
    // The name called: the identifier before the `(` QuickJS points at.
    const line = at.source.split('\n')[at.line - 1] ?? '';
    const before = line.slice(0, Math.max(0, at.column - 1)).replace(/\s+$/, '');
    const name = /([A-Za-z_$][\w$]*)$/.exec(before);
    if (line[at.column - 1] === '(' && name) return `Error: Function "${name[1]}" not found!`;
  }
  return text;
}

/** Variables of a string of `length` characters held by the console (the input line, the line being run). */
export function consoleStringVariables(length: number): number {
  return length === 0 ? 0 : stringBlocks(length);
}
