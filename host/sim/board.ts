// The virtual Pico's firmware: runs in a worker thread, shaped like Kaluma's C main loop
// (km_io_run: timers, then the USB input into the REPL, then the idle handler for promise jobs),
// sleeping on the shared signal until input arrives or a timer is due.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { BoardCommand, BoardMessage, BoardWorkerData } from './messages.ts';
import { InputReader, Slot } from './shared-io.ts';
import { BoardOutput } from './board-output.ts';
import { JsEngine, loadQuickJS } from './engine.ts';
import { Repl, type ReplBoard } from './repl.ts';
import { ymodemReceive, type YmodemFaults, type YmodemStatus } from './ymodem-receiver.ts';
import { decodeSource, latin1Bytes } from './text.ts';
import { BoardClock } from './pace.ts';
import { DEFAULT_WEIGHTS } from './cost-model.ts';

const FLASH_TOTAL = 524288;
const IDLE_WAIT_MS = 1000;

const data = workerData as BoardWorkerData;
const post = (message: BoardMessage) => parentPort!.postMessage(message);

class Board implements ReplBoard {
  private readonly ctrl = new Int32Array(data.io.ctrl);
  private readonly input = new InputReader(data.io);
  private readonly out = new BoardOutput(data.io, (bytes) => post({ type: 'out', bytes }));
  /** The board's clock: the wall clock, or board time from the cost model at board pace (pace.ts). */
  private readonly clock = new BoardClock(data.pace ?? 'fast', data.weights ?? DEFAULT_WEIGHTS, data.clock ? new Float64Array(data.clock) : null);
  private handleIds = 2; // Kaluma's I/O handle counter; the REPL's tty and the idler took 0 and 1
  private program: Uint8Array | null;
  private readonly faults: YmodemFaults = { corruptBlocks: 0 };
  private failNextWrite = false;
  private reported = { inputLost: 0, outputDropped: 0 };
  private engine!: JsEngine;
  private readonly repl = new Repl(this);

  constructor(private readonly quickjs: Awaited<ReturnType<typeof loadQuickJS>>) {
    this.program = data.program === null ? null : nulTerminated(new TextEncoder().encode(data.program));
  }

  // ---- the runtime ---------------------------------------------------------------------------

  private newEngine(): JsEngine {
    return new JsEngine(
      this.quickjs,
      {
        write: (text) => {
          this.out.write(text);
          this.out.flush();
        },
        writeBytes: (bytes) => {
          this.out.writeBytes(bytes);
          this.out.flush();
        },
        stdinRead: () => {
          const bytes = this.input.read();
          return bytes.length > 0 ? bytes : null;
        },
        now: () => this.now(),
        delay: (ms) => this.delay(ms),
        takeStop: () => Atomics.compareExchange(this.ctrl, Slot.vmStop, 1, 0) === 1,
        nextHandleId: () => this.handleIds++,
      },
      data.heapBytes,
      this.clock,
    );
  }

  /** km_runtime_init: a fresh JavaScript context; with `load`, the flashed program runs. */
  private startRuntime(load: boolean): void {
    this.engine = this.newEngine();
    if (load && this.program !== null && this.program.length > 0) {
      const failure = this.engine.runProgram(decodeSource(this.program));
      // An uncaught error while loading: Kaluma cleans up and starts again without the program.
      if (failure !== null) this.restartRuntime(false);
    }
  }

  private restartRuntime(load: boolean): void {
    this.engine.dispose();
    this.startRuntime(load);
  }

  now(): number {
    return this.clock.now();
  }

  delay(ms: number): void {
    this.out.flush();
    this.clock.delay(ms);
  }

  // ---- ReplBoard -----------------------------------------------------------------------------

  write(text: string): void {
    this.out.writeBytes(latin1Bytes(text));
  }

  flush(): void {
    this.out.flush();
  }

  runCode(source: string): void {
    if (this.engine.runLine(source) === 'oom') this.restartRuntime(false);
  }

  softReset(): void {
    this.restartRuntime(false);
  }

  load(): void {
    this.restartRuntime(true);
  }

  memory(): { total: number; used: number; peak: number } {
    return this.engine.memory();
  }

  flashErase(): void {
    this.setProgram(null);
  }

  flashRead(): Uint8Array | null {
    return this.program;
  }

  private setProgram(program: Uint8Array | null): void {
    this.program = program;
    post({ type: 'flash', program: program === null ? null : decodeSource(program) });
  }

  flashReceive(): YmodemStatus {
    this.out.flush();
    Atomics.store(this.ctrl, Slot.ymodem, 1); // ymodem_state: Ctrl-C is data now
    let image: Uint8Array | null = null;
    let size = 0;
    let remaining = 0;
    try {
      return ymodemReceive(
        {
          readExactly: (n, timeoutMs) => this.readExactly(n, timeoutMs),
          putc: (byte) => {
            this.out.writeBytes(Uint8Array.of(byte));
            this.out.flush();
          },
        },
        {
          header: (_name, fileSize) => {
            this.setProgram(null); // km_prog_begin erases the program area
            if (fileSize > FLASH_TOTAL) return -1;
            image = new Uint8Array(fileSize);
            size = 0;
            remaining = fileSize;
            return 0;
          },
          packet: (block) => {
            if (this.failNextWrite) {
              this.failNextWrite = false;
              return -1;
            }
            const n = Math.min(block.length, remaining);
            (image as Uint8Array | null)?.set(block.subarray(0, n), size);
            size += n;
            remaining -= n;
            return 0;
          },
          footer: () => {
            if (image !== null) this.setProgram(nulTerminated(image));
          },
        },
        this.faults,
      );
    } finally {
      Atomics.store(this.ctrl, Slot.ymodem, 0);
    }
  }

  /** km_tty_read_sync: waits until `n` bytes are queued, then takes them; takes nothing on time-out. */
  private readExactly(n: number, timeoutMs: number): Uint8Array | null {
    const end = performance.now() + timeoutMs;
    for (;;) {
      this.pollCommands();
      const seen = this.input.signal();
      if (this.input.available() >= n) return this.input.read(n);
      const left = end - performance.now();
      if (left <= 0) return null;
      this.input.waitForSignal(seen, left);
    }
  }

  // ---- the loop ------------------------------------------------------------------------------

  private pollCommands(): void {
    for (let m = receiveMessageOnPort(data.commands); m !== undefined; m = receiveMessageOnPort(data.commands)) {
      const command = m.message as BoardCommand;
      if (command.type === 'corrupt-flash-blocks') this.faults.corruptBlocks += command.count;
      else if (command.type === 'fail-flash-write') this.failNextWrite = true;
    }
  }

  private reportStats(): void {
    const now = { inputLost: this.input.lost, outputDropped: this.out.dropped };
    if (now.inputLost !== this.reported.inputLost || now.outputDropped !== this.reported.outputDropped) {
      this.reported = now;
      post({ type: 'stats', ...now });
    }
  }

  boot(): void {
    this.repl.hi();
    this.out.flush();
    // Ready before the program runs: a program that never returns must not hide the port (Ctrl-C stops it).
    post({ type: 'ready' });
    this.startRuntime(true);
    this.out.flush();
  }

  run(): never {
    for (;;) {
      this.pollCommands();
      if (this.engine.runTimers() === 'oom') this.restartRuntime(false);
      const bytes = this.input.read();
      if (bytes.length > 0) this.repl.feed(bytes);
      if (this.engine.runJobs() === 'oom') this.restartRuntime(false);
      this.out.flush();
      this.reportStats();

      const seen = this.input.signal();
      if (this.input.available() > 0 || this.engine.hasJobs()) continue;
      const due = this.engine.nextDue();
      const wait = due === null ? IDLE_WAIT_MS : Math.min(IDLE_WAIT_MS, due - this.now());
      this.input.waitForSignal(seen, wait);
    }
  }
}

/** The program area holds the code up to its first NUL, as the board reads it back. */
function nulTerminated(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.slice(0, nul);
}

const board = new Board(await loadQuickJS());
board.boot();
board.run();
