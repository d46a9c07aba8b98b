// The virtual Raspberry Pi Pico running Kaluma 1.2.1, as the host sees it: a serial port path.
// The main thread owns the pseudo-terminal and the flash contents (they survive a board reset);
// the board itself (REPL, JavaScript engine, YMODEM) runs in a worker thread (board.ts).
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { loadNodePty } from './pty.ts';
import { PtyBoard, type VirtualBoard } from './pty-board.ts';
import { createSharedIo, InputWriter, type SharedIo } from './shared-io.ts';
import type { BoardCommand, BoardMessage, BoardWorkerData } from './messages.ts';
import { BOARD_HEAP_TOTAL } from './engine.ts';
import { workerUrl } from '../worker-bundle.ts';

/** The board worker's entry (bundled), and the tsx entry should bundling fail. */
const boardWorkerUrl = () => workerUrl(new URL('./board.ts', import.meta.url), 'board', new URL('./board-worker.mjs', import.meta.url));
import { CLOCK_SLOTS, readPublishedClock, type PaceMode } from './pace.ts';
import type { CostWeights } from './cost-model.ts';

export interface VirtualPicoOptions {
  /** A program already in the board's flash (it runs at boot, like a flashed Pico). Default: blank. */
  program?: string;
  /** The JavaScript heap in bytes, as `.mem` reports its total. Default 184312 (Kaluma 1.2.1 on the Pico). */
  heapBytes?: number;
  /** List the port in the registry of running simulators (what `npx host sim` does). Default false. */
  register?: boolean;
  /**
   * How fast the board runs (pace.ts). 'fast' (the default, for tests): at QuickJS's speed.
   * 'board': at the real board's speed, from the cost model (cost-model.ts); millis() is board time
   * and output appears at its board time. 'virtual': board time is counted but not waited for.
   */
  pace?: PaceMode;
  /** Cost-model weights for a paced board. Default: DEFAULT_WEIGHTS (cost-model.ts). */
  weights?: CostWeights;
}

export interface BoardClockReading {
  /** The board's millis() now. */
  millis: number;
  /** Board ms spent running JavaScript since the board last booted (the cost model's count). */
  busyMillis: number;
}

export interface VirtualPicoStats {
  /** Input bytes the board's 2048-byte ring buffer overwrote before they were read. */
  inputLost: number;
  /** Output bytes the board dropped because the host did not read (the first stalled write waits up to 500 ms, later ones drop at once). */
  outputDropped: number;
}

/** A virtual Pico: a VirtualBoard (the port, faults, taps) with Kaluma's flash and clock. */
export interface VirtualPico extends VirtualBoard {
  /** Called each time the board's flash changes (a `.flash -w` that ended in Done): the program, or null when erased. Returns a function that removes the listener. */
  onFlash(listener: (program: string | null) => void): () => void;
  /** Line noise during `.flash -w`: the next `count` YMODEM blocks arrive corrupted (bad CRC, the board asks again). */
  corruptNextFlashBlocks(count?: number): void;
  /** The next YMODEM data block fails to write: the board cancels (CAN CAN) and prints "Verification failed". */
  failNextFlashWrite(): void;
  stats(): VirtualPicoStats;
  /** The board's clock (since it last booted): with pace 'board' or 'virtual', board time from the cost model. */
  boardClock(): BoardClockReading;
}

interface RunningBoard {
  worker: Worker;
  io: SharedIo;
  input: InputWriter;
  commands: MessagePort;
  ready: Promise<void>;
}

class Sim extends PtyBoard implements VirtualPico {
  private board: RunningBoard | null = null;
  private program: string | null;
  private readonly heapBytes: number;
  private readonly pace: PaceMode;
  private readonly weights: CostWeights | undefined;
  private clock = new Float64Array(new SharedArrayBuffer(CLOCK_SLOTS * 8));
  private readonly flashListeners = new Set<(program: string | null) => void>();
  private statsNow: VirtualPicoStats = { inputLost: 0, outputDropped: 0 };
  private statsBase: VirtualPicoStats = { inputLost: 0, outputDropped: 0 };

  constructor(opts: VirtualPicoOptions) {
    super('virtual Pico', 'kaluma', boardWorkerUrl);
    this.program = opts.program ?? null;
    this.heapBytes = opts.heapBytes ?? BOARD_HEAP_TOTAL;
    this.pace = opts.pace ?? 'fast';
    this.weights = opts.weights;
  }

  protected fromHost(bytes: Uint8Array): void {
    this.board?.input.push(bytes);
  }

  protected async startBoard(): Promise<void> {
    const url = await boardWorkerUrl();
    const io = createSharedIo();
    const channel = new MessageChannel();
    this.clock = new Float64Array(new SharedArrayBuffer(CLOCK_SLOTS * 8));
    const data: BoardWorkerData = {
      io,
      program: this.program,
      heapBytes: this.heapBytes,
      commands: channel.port2,
      pace: this.pace,
      weights: this.weights,
      clock: this.clock.buffer as SharedArrayBuffer,
    };
    const { worker, ready } = this.startThread<BoardMessage>(
      url,
      data,
      [channel.port2],
      (w) => this.board?.worker === w,
      (message) => {
        if (message.type === 'flash') {
          this.program = message.program;
          for (const listener of this.flashListeners) listener(message.program);
        } else if (message.type === 'stats') {
          this.statsNow = {
            inputLost: this.statsBase.inputLost + message.inputLost,
            outputDropped: this.statsBase.outputDropped + message.outputDropped,
          };
        }
      },
      () => (this.board = null),
    );
    this.board = { worker, io, input: new InputWriter(io), commands: channel.port1, ready };
    return ready;
  }

  protected async stopBoard(): Promise<void> {
    const board = this.board;
    if (board === null) return;
    this.board = null;
    this.statsBase = { ...this.statsNow };
    board.commands.close();
    await board.worker.terminate();
  }

  storedProgram(): string | null {
    return this.program;
  }

  onFlash(listener: (program: string | null) => void): () => void {
    this.flashListeners.add(listener);
    return () => this.flashListeners.delete(listener);
  }

  private command(command: BoardCommand): void {
    const board = this.board;
    if (board === null) return;
    board.commands.postMessage(command);
    board.input.wake();
  }

  corruptNextFlashBlocks(count = 1): void {
    this.command({ type: 'corrupt-flash-blocks', count });
  }

  failNextFlashWrite(): void {
    this.command({ type: 'fail-flash-write' });
  }

  stats(): VirtualPicoStats {
    return { ...this.statsNow };
  }

  boardClock(): BoardClockReading {
    return readPublishedClock(this.clock);
  }
}

/** Starts a virtual Pico and resolves once it has booted (banner printed; the flashed program starts right after). */
export async function startVirtualPico(opts: VirtualPicoOptions = {}): Promise<VirtualPico> {
  await loadNodePty(); // node-pty is optional: without it, say so before anything starts
  // Bundle the worker first: esbuild starts a long-lived helper process, and a child started after
  // the pty is open would inherit its descriptors (node-pty does not mark them close-on-exec) and
  // keep the port alive after unplug().
  await boardWorkerUrl();
  const sim = new Sim(opts);
  await sim.boot(opts.register ?? false);
  return sim;
}
