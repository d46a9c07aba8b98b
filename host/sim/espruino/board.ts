// The virtual Espruino's firmware, in a worker thread: Espruino's main loop as src/jsinteractive.c
// runs it (jsiLoop: the console's input, then the timers, then what reset()/save()/load() left to
// do, then the errors, then the prompt back), the boot sequence (jsiInit/jsiSemiInit/jsiSoftInit),
// the Storage files, Ctrl-C with the SysTick delay and the debugger, and error printing.
import { parentPort, workerData } from 'node:worker_threads';
import { BoardOutput } from '../board-output.ts';
import { InputReader, Slot } from '../shared-io.ts';
import { loadQuickJS } from '../engine.ts';
import { EspruinoConsole, lineMarker, type ConsoleBoard } from './console.ts';
import { EspruinoEngine, type EngineHost, type Failure, type StorageAccess, type TodoKind, type TraceFrame } from './engine.ts';
import { EspSlot, type EspruinoMessage, type EspruinoWorkerData, type SavedImage } from './messages.ts';
import {
  BANNER,
  BLOCK_SIZE,
  BOOT_CODE_FILE,
  BOOT_CODE_RESET_FILE,
  ERROR_FLAGS,
  FILE_HEADER_BYTES,
  FILE_NAME_MAX,
  STORAGE_BYTES,
  VAR_IMAGE_FILE,
  processEnv,
  type ErrorFlag,
} from './board-facts.ts';

const data = workerData as EspruinoWorkerData;
const post = (message: EspruinoMessage) => parentPort!.postMessage(message);
const IDLE_WAIT_MS = 1000;
/** The STM32's SysTick, which turns a pending Ctrl-C into a break (SYSTICK_RANGE at 84 MHz: about 0.2 s). */
const SYSTICK_MS = 200;

const align4 = (n: number) => (n + 3) & ~3;

function binary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

/** Output bytes: one per character, as Espruino's strings are bytes (a character above U+00FF goes out as UTF-8). */
function outputBytes(text: string): Uint8Array {
  let wide = false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 255) wide = true;
  if (wide) return new TextEncoder().encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

class Board implements ConsoleBoard, EngineHost {
  private readonly ctrl = new Int32Array(data.io.ctrl);
  private readonly esp = new Int32Array(data.esp);
  private readonly input = new InputReader(data.io);
  private readonly out = new BoardOutput(data.io, (bytes) => post({ type: 'out', bytes }));
  private readonly files = new Map<string, Uint8Array>(data.files);
  private image: SavedImage | null = data.image;
  private engine!: EspruinoEngine;
  private console!: EspruinoConsole;
  /** Lines run since the interpreter started: what save() keeps. */
  private log: string[] = [];
  private todos = new Set<TodoKind>();
  private errorFlags = 0;
  private lastErrorFlags = 0;
  private pendingException: Failure | null = null;
  private interrupted = false;
  private eventInterrupted = false;
  private ctrlCSeenAt: number | null = null;
  private exitDebugger = false;
  private quitDebugger = false;
  private breakSoonAt: number | null = null;
  /** The console line being run, for the debugger's marker. */
  private runningLine: string | null = null;
  private powerOnAt = performance.now();
  private timeOffset = 0;
  private reported = 0;
  private reportedPeak = 0;

  constructor(private readonly quickjs: Awaited<ReturnType<typeof loadQuickJS>>) {}

  // ---- output ---------------------------------------------------------------------------------

  write(text: string): void {
    this.out.writeBytes(outputBytes(text));
  }

  private flush(): void {
    this.out.flush();
    const peak = this.engine?.peak ?? 0;
    if (this.out.dropped !== this.reported || peak !== this.reportedPeak) {
      this.reported = this.out.dropped;
      this.reportedPeak = peak;
      post({ type: 'stats', outputDropped: this.out.dropped, peakVariables: peak });
    }
  }

  // ---- EngineHost -----------------------------------------------------------------------------

  print(text: string): void {
    this.console.printLine(text);
    this.flush();
  }

  error(text: string): void {
    if (this.engine?.quiet) return;
    this.console.printLine('ERROR: ' + text);
    this.flush();
  }

  now(): number {
    return performance.now() - this.powerOnAt + this.timeOffset;
  }

  setTime(ms: number): void {
    this.timeOffset += ms - this.now();
  }

  todo(kind: TodoKind): void {
    this.todos.add(kind);
  }

  echo(on: boolean): void {
    this.console.echoOff = !on;
  }

  consoleVariables(): number {
    return this.console.variables();
  }

  historyVariables(): number {
    return this.console.historyVariables();
  }

  env(): Record<string, string | number> {
    return processEnv();
  }

  takeErrorFlags(): string[] {
    const names = this.flagNames(this.errorFlags);
    this.errorFlags = 0;
    this.lastErrorFlags = 0;
    return names;
  }

  setErrorFlag(flag: ErrorFlag): void {
    this.errorFlags |= 1 << ERROR_FLAGS.indexOf(flag);
  }

  hasErrorFlag(flag: ErrorFlag): boolean {
    return (this.errorFlags & (1 << ERROR_FLAGS.indexOf(flag))) !== 0;
  }

  private flagNames(flags: number): string[] {
    return ERROR_FLAGS.filter((_, i) => (flags & (1 << i)) !== 0);
  }

  setBootCode(code: string, always: boolean): void {
    this.files.delete(BOOT_CODE_FILE);
    this.files.delete(BOOT_CODE_RESET_FILE);
    if (code.length > 0) this.storage.write(always ? BOOT_CODE_RESET_FILE : BOOT_CODE_FILE, code, 0, 0);
    this.flashChanged();
  }

  // ---- Storage (src/jsflash.c) ----------------------------------------------------------------

  private storageUsed(): number {
    let used = 0;
    for (const f of this.files.values()) used += FILE_HEADER_BYTES + align4(f.length);
    if (this.image) used += FILE_HEADER_BYTES + align4(this.image.bytes);
    return used;
  }

  private flashChanged(): void {
    post({ type: 'flash', files: [...this.files].map(([n, b]) => [n, b.slice()]), image: this.image });
  }

  readonly storage: StorageAccess = {
    write: (name, text, offset, size) => {
      name = name.slice(0, FILE_NAME_MAX);
      const d = text;
      if (offset < 0 || size < 0) return 'Unable to find or create file';
      if (size === 0) size = d.length;
      if (size === 0) return "Can't create zero length file";
      let file = this.files.get(name);
      const erased = (f: Uint8Array, from: number, n: number) => {
        for (let i = from; i < from + n && i < f.length; i++) if (f[i] !== 0xff) return false;
        return true;
      };
      if ((!file && offset === 0) || (file && offset === 0 && (size !== file.length || !erased(file, 0, size)))) {
        if (file && offset === 0 && size === file.length && d.length === size) {
          let same = true;
          for (let i = 0; i < size; i++) if (file[i] !== (d.charCodeAt(i) & 255)) same = false;
          if (same) return true;
        }
        if (file) this.files.delete(name);
        if (this.storageUsed() + FILE_HEADER_BYTES + align4(size) > STORAGE_BYTES) {
          this.flashChanged();
          return 'Unable to find or create file';
        }
        file = new Uint8Array(size).fill(0xff);
        this.files.set(name, file);
      }
      if (!file) return 'Unable to find or create file';
      if (offset + d.length > file.length) return 'Too much data for file size';
      if (!erased(file, offset, d.length)) return 'File already written with different data';
      for (let i = 0; i < d.length; i++) file[offset + i] = d.charCodeAt(i) & 255;
      this.flashChanged();
      return true;
    },
    read: (name, offset, length) => {
      const file = this.files.get(name.slice(0, FILE_NAME_MAX));
      if (!file) return null;
      if (offset < 0) offset = 0;
      if (length <= 0) length = file.length;
      if (offset > file.length) offset = file.length;
      if (offset + length > file.length) length = file.length - offset;
      return length <= 0 ? '' : binary(file.subarray(offset, offset + length));
    },
    erase: (name) => {
      if (name === VAR_IMAGE_FILE) this.image = null;
      this.files.delete(name.slice(0, FILE_NAME_MAX));
      this.flashChanged();
    },
    eraseAll: () => {
      this.files.clear();
      this.image = null;
      this.flashChanged();
    },
    list: () => [...this.files.keys(), ...(this.image ? [VAR_IMAGE_FILE] : [])],
    stats: () => {
      const used = this.storageUsed();
      return [STORAGE_BYTES, STORAGE_BYTES - used, used, this.files.size + (this.image ? 1 : 0)];
    },
  };

  private bootCode(name: string): string | null {
    const f = this.files.get(name);
    return f ? binary(f) : null;
  }

  // ---- Ctrl-C and the debugger ------------------------------------------------------------------

  private ctrlC(): boolean {
    return Atomics.load(this.esp, EspSlot.ctrlC) !== 0;
  }

  private takeCtrlC(): void {
    Atomics.store(this.esp, EspSlot.ctrlC, 0);
    this.ctrlCSeenAt = null;
  }

  /**
   * Polled while code runs. A Ctrl-C becomes EXEC_CTRL_C_WAIT at the next SysTick: code typed at the
   * console (echo on) then drops into the debugger; a `\x10` line (no debugger) is interrupted at the
   * SysTick after (EXEC_INTERRUPTED).
   */
  pollInterrupt(): 'none' | 'interrupt' {
    const now = performance.now();
    if (this.breakSoonAt !== null && now >= this.breakSoonAt) {
      this.breakSoonAt = null;
      return this.runDebugger();
    }
    if (!this.ctrlC()) {
      this.ctrlCSeenAt = null;
      return 'none';
    }
    this.ctrlCSeenAt ??= now;
    const elapsed = now - this.ctrlCSeenAt;
    if (!this.console.echoOffForLine && !this.console.inDebugger && elapsed >= SYSTICK_MS) return this.runDebugger();
    if (elapsed >= 2 * SYSTICK_MS) {
      this.takeCtrlC();
      return 'interrupt';
    }
    return 'none';
  }

  /** jsiDebuggerLoop: `debug>` until `c`ontinue, `q`uit or another Ctrl-C. */
  private runDebugger(): 'none' | 'interrupt' {
    this.takeCtrlC();
    const c = this.console;
    c.clearInputLine(true);
    c.removeInputLine();
    const savedEcho = [c.echoOff, c.echoOffForLine] as const;
    c.echoOff = false;
    c.echoOffForLine = false;
    c.inDebugger = true;
    if (this.runningLine !== null) {
      // The statement being run is not known (QuickJS does not say): the marker points at the line's start.
      const line = this.runningLine.split('\n')[0].slice(0, 60);
      c.print('        ' + line + '\n' + ' '.repeat(8) + '^\n');
    }
    this.exitDebugger = false;
    this.quitDebugger = false;
    while (!this.exitDebugger && !this.ctrlC()) {
      c.returnInputLine();
      this.flush();
      const seen = this.input.signal();
      const bytes = this.readInput();
      for (const b of bytes) {
        c.handleChar(b);
        if (this.exitDebugger || this.ctrlC()) break;
      }
      if (bytes.length === 0 && !this.ctrlC()) this.input.waitForSignal(seen, 100);
    }
    c.removeInputLine();
    c.inDebugger = false;
    [c.echoOff, c.echoOffForLine] = savedEcho;
    this.flush();
    const stop = this.ctrlC() || this.quitDebugger;
    if (this.ctrlC()) this.takeCtrlC();
    return stop ? 'interrupt' : 'none';
  }

  debuggerLine(line: string): void {
    const m = /^\s*([A-Za-z_$][\w$]*)\s*(.*)$/.exec(line);
    const id = m?.[1] ?? '';
    const rest = m?.[2] ?? '';
    const c = this.console;
    if (id === 'help' || id === 'h') {
      c.print(
        'Commands:\n' +
          'help / h           - this information\n' +
          'quit / q / Ctrl-C  - Quit debug mode, break execution\n' +
          'reset              - Soft-reset Espruino\n' +
          'continue / c       - Continue execution\n' +
          'next / n           - execute to next line\n' +
          'step / s           - execute to next line, or step into function call\n' +
          'finish / f         - finish execution of the function call\n' +
          'print ... / p ...  - evaluate and print the next argument\n' +
          'info locals / i l)    - output local variables\n' +
          'info scopechain / i s - output all variables in all scopes\n',
      );
    } else if (id === 'quit' || id === 'q') {
      this.exitDebugger = true;
      this.quitDebugger = true;
    } else if (id === 'reset') {
      this.todos.add('reset');
      this.exitDebugger = true;
      this.quitDebugger = true;
    } else if (id === 'continue' || id === 'c') {
      this.exitDebugger = true;
    } else if (['next', 'n', 'step', 's', 'finish', 'f'].includes(id)) {
      // Stepping is not modelled: run on and stop again a moment later.
      this.exitDebugger = true;
      this.breakSoonAt = performance.now() + 50;
    } else if (id === 'print' || id === 'p') {
      c.print('=' + this.engine.debugPrint(rest) + '\n');
    } else if (id === 'info' || id === 'i') {
      const what = rest.trim();
      if (what === 'locals' || what === 'l') c.print('No locals found\n');
      else if (what === 'scopechain' || what === 's') c.print('No scopes found\n');
      else c.print('Unknown command\n');
    } else {
      c.print("In debug mode: Expected a simple ID, type 'help' for more info.\n");
    }
  }

  // ---- running code and reporting it (jsiCheckErrors) -----------------------------------------

  private record(failure: Failure): void {
    if (failure.kind === 'exception') {
      if (failure.text !== '') this.pendingException = failure;
    } else this.interrupted = true;
  }

  runLine(line: string): string | null {
    if (line.length === 0) return null;
    this.log.push(line);
    this.runningLine = line;
    this.flush(); // the echo goes out before the line runs, as the board's does
    const r = this.engine.runChunk(line);
    this.runningLine = null;
    if (r.ok) {
      const text = this.engine.resultText(r.value);
      r.value.dispose();
      if (text === null && this.engine.lastFailure) this.record(this.engine.lastFailure);
      return text;
    }
    this.record(r.failure);
    return null;
  }

  private traceText(frames: TraceFrame[]): string {
    let s = '';
    frames.forEach((f, i) => {
      const where = `line ${f.line} col ${f.column}\n`;
      if (i === 0) s += ' at ' + where;
      else s += `in function ${frames[i - 1].name ? `"${frames[i - 1].name}" ` : ''}called from ` + where;
      if (f.source !== null) s += lineMarker(f.source, f.line, f.column);
    });
    return s;
  }

  checkErrors(): void {
    const c = this.console;
    if (this.eventInterrupted) {
      this.eventInterrupted = false;
      this.interrupted = false;
      c.removeInputLine();
      c.print('Execution Interrupted during event processing.\n');
    }
    if (this.pendingException) {
      const e = this.pendingException;
      this.pendingException = null;
      if (e.kind === 'exception') {
        c.removeInputLine();
        c.print('Uncaught ' + e.text + '\n' + this.traceText(e.frames));
      }
    }
    if (this.interrupted) {
      this.interrupted = false;
      c.removeInputLine();
      c.print('Execution Interrupted\n');
    }
    if (this.lastErrorFlags !== this.errorFlags) {
      const fresh = this.errorFlags & ~this.lastErrorFlags;
      const lowMemory = 1 << ERROR_FLAGS.indexOf('LOW_MEMORY');
      if (fresh & ~lowMemory) {
        c.removeInputLine();
        c.print('New interpreter error: ' + this.flagNames(fresh).join(',') + '\n');
      }
      this.lastErrorFlags = this.errorFlags;
    }
    this.flush();
  }

  private timerFailure(failure: Failure, wasInterval: boolean): void {
    if (failure.kind === 'interrupted') {
      if (wasInterval) {
        this.error('Ctrl-C while processing interval - removing it.');
        this.setErrorFlag('CALLBACK');
      }
      this.eventInterrupted = true;
    } else this.record(failure);
  }

  // ---- the interpreter's life -------------------------------------------------------------------

  private newInterpreter(): void {
    this.engine?.dispose();
    this.console = new EspruinoConsole(this);
    this.engine = new EspruinoEngine(this.quickjs, this, data.variables);
    this.log = [];
    this.errorFlags = 0;
    this.lastErrorFlags = 0;
    this.pendingException = null;
    this.interrupted = false;
    this.eventInterrupted = false;
  }

  /** jsfLoadStateFromFlash: the saved program comes back (replayed quietly, see README.md). */
  private loadImage(): void {
    const image = this.image;
    if (!image) return;
    this.console.print(`Loading ${image.bytes} bytes from flash...\n`);
    this.engine.quiet = true;
    for (const line of image.lines) {
      const r = this.engine.runChunk(line);
      if (r.ok) r.value.dispose();
    }
    this.engine.quiet = false;
    this.engine.keepTimers(image.timers);
    this.log = image.lines.slice();
  }

  /** jsiSoftInit: the boot code from Storage, then `init` events and onInit(). */
  private softInit(hasBeenReset: boolean): void {
    for (let i = 0; i < 4; i++) this.runBootFile(`.boot${i}`);
    const resetCode = this.bootCode(BOOT_CODE_RESET_FILE);
    if (hasBeenReset || resetCode !== null) this.runBootFile(BOOT_CODE_RESET_FILE);
    else this.runBootFile(BOOT_CODE_FILE);
    const r = this.engine.runInit(this.console.echo());
    if (r.ok) r.value.dispose();
    else this.record(r.failure);
  }

  private runBootFile(name: string): void {
    const code = this.bootCode(name);
    if (code === null) return;
    const r = this.engine.runChunk(code, { fromFlash: true });
    if (r.ok) r.value.dispose();
    else this.record(r.failure);
  }

  /** jsiSemiInit: `autoLoad` at power-on (saved code and boot code run), not after reset(). */
  private semiInit(autoLoad: boolean): void {
    const loadFlash = autoLoad && (this.image !== null || this.files.has(BOOT_CODE_FILE) || this.files.has(BOOT_CODE_RESET_FILE));
    if (loadFlash) this.loadImage();
    this.softInit(!autoLoad);
    if (this.console.echo()) {
      if (!loadFlash) this.console.print(BANNER);
      this.console.print('\n');
      this.console.inputLineRemoved = true;
    }
  }

  /** Power on (jsiInit(true)): the clock starts again. */
  powerOn(): void {
    this.powerOnAt = performance.now();
    this.timeOffset = 0;
    this.newInterpreter();
    this.semiInit(true);
  }

  private processTodos(): void {
    if (this.todos.size === 0) return;
    const todos = this.todos;
    this.todos = new Set();
    if (todos.has('reboot')) {
      this.engine.runKill();
      this.powerOn();
      return;
    }
    if (todos.has('reset')) {
      this.engine.runKill();
      this.newInterpreter();
      this.semiInit(false);
    }
    if (todos.has('save')) {
      this.engine.runKill();
      this.saveImage();
      this.softInit(false);
    }
    if (todos.has('load')) {
      this.engine.runKill();
      this.newInterpreter();
      this.loadImage();
      this.softInit(false);
    }
  }

  /** jsfSaveToFlash, with the program kept as its lines (see README.md). */
  private saveImage(): void {
    const c = this.console;
    const varBytes = data.variables * BLOCK_SIZE;
    c.print('Compacting Flash...\n');
    this.image = null;
    c.print('Calculating Size...\n');
    // heatshrink on the variable image: free blocks are zeros and compress to almost nothing (an estimate).
    const usage = this.engine.memory().usage;
    const bytes = 4 + Math.round(usage * BLOCK_SIZE * 0.45 + (data.variables - usage) * BLOCK_SIZE * 0.01);
    const free = STORAGE_BYTES - this.storageUsed();
    if (FILE_HEADER_BYTES + align4(bytes) > free) {
      c.print(`ERROR: Too big to save to flash (${bytes} vs ${free - FILE_HEADER_BYTES} bytes)\n`);
      c.print(this.files.size > 0 ? "Not enough free space to save. Try require('Storage').eraseAll()\n" : 'Code is too big to save to Flash.\n');
      this.flashChanged();
      return;
    }
    c.print('Writing..' + '.'.repeat(Math.floor(bytes / 1024)));
    this.image = { lines: this.log.slice(), timers: this.engine.liveTimers(), bytes };
    c.print(`\nCompressed ${varBytes} bytes to ${bytes}\n`);
    this.flashChanged();
  }

  // ---- the main loop (jsiLoop) ------------------------------------------------------------------

  /** Everything queued on the USB input; tells the main thread how far it has read (flow control). */
  private readInput(): Uint8Array {
    const bytes = this.input.read();
    const pos = (Atomics.load(this.ctrl, Slot.written) - this.input.available()) | 0;
    Atomics.store(this.esp, EspSlot.readPos, pos);
    return bytes;
  }

  run(): never {
    for (;;) {
      // jsiIdle: console input, timers, then the TODOs.
      const bytes = this.readInput();
      for (const b of bytes) this.console.handleChar(b);
      this.engine.runTimers((f, wasInterval) => this.timerFailure(f, wasInterval));
      this.engine.runJobs((f) => this.record(f));
      this.processTodos();
      // jsiLoop: errors, a Ctrl-C clears the line, the prompt comes back.
      this.checkErrors();
      if (this.ctrlC()) {
        this.takeCtrlC();
        this.console.clearInputLine(true);
      }
      this.console.returnInputLine();
      this.flush();

      const seen = this.input.signal();
      if (this.input.available() > 0 || this.engine.hasJobs() || this.ctrlC() || this.todos.size > 0) continue;
      const due = this.engine.nextDue();
      const wait = due === null ? IDLE_WAIT_MS : Math.min(IDLE_WAIT_MS, due - this.now());
      this.input.waitForSignal(seen, Math.max(0, wait));
    }
  }
}

const board = new Board(await loadQuickJS());
// Ready before the boot code runs: a program that never returns must not hide the port (Ctrl-C stops it).
post({ type: 'ready' });
board.powerOn();
board.run();
