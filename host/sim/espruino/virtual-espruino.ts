// The virtual Espruino: an Espruino Pico running Espruino 2v29, as the host sees it on its USB
// console: a serial port path. The main thread owns the pseudo-terminal and the flash (the Storage
// files and what save() left, kept across resets and power cycles); the board itself (console,
// JavaScript engine, Storage) runs in a worker thread (board.ts). See README.md.
import { Worker } from 'node:worker_threads';
import { loadNodePty } from '../pty.ts';
import { PtyBoard, type VirtualBoard } from '../pty-board.ts';
import { createSharedIo, RING_SIZE, Slot, type SharedIo } from '../shared-io.ts';
import { workerUrl } from '../../worker-bundle.ts';
import { BOOT_CODE_FILE, PICO_VARIABLES } from './board-facts.ts';
import { ESP_SLOTS, EspSlot, type EspruinoMessage, type EspruinoWorkerData, type SavedImage } from './messages.ts';

const boardWorkerUrl = () => workerUrl(new URL('./board.ts', import.meta.url), 'espruino-board', new URL('./board-worker.mjs', import.meta.url));

const ETX = 0x03;
/** How soon the main thread offers held-back input again when the board's buffer was full. */
const PUMP_RETRY_MS = 2;

export interface VirtualEspruinoOptions {
  /** Variables (13-byte blocks) the interpreter has. Default 5100: an Espruino Pico. */
  variables?: number;
  /** A program already in flash, as `.bootcde` in Storage: it runs at power-on, from flash. */
  program?: string;
  /** List the port in the registry of running simulators (what `npx host sim --runtime espruino` does). Default false. */
  register?: boolean;
  /** Only 'fast' (QuickJS's speed) is modelled. */
  pace?: 'fast';
}

export interface VirtualEspruinoStats {
  /** Input bytes lost (never: USB flow control holds the host back while the board's buffer is full). */
  inputLost: number;
  /** Output bytes the board dropped because the host did not read. */
  outputDropped: number;
  /** The most variables in use since the interpreter last started (measured after each call and every 20 ms while code runs). */
  peakVariables: number;
}

/** A virtual Espruino: a VirtualBoard (the port, faults, taps) with Espruino's variables and Storage. storedProgram() is `.bootcde`'s text, else the lines save() kept (joined by newlines), else null. */
export interface VirtualEspruino extends VirtualBoard {
  /** Variables the board has (process.memory().total). */
  readonly variables: number;
  /** The Storage files (name → bytes), as the board's flash holds them now. */
  storage(): Map<string, Uint8Array>;
  stats(): VirtualEspruinoStats;
}

interface RunningBoard {
  worker: Worker;
  io: SharedIo;
  esp: Int32Array;
  ready: Promise<void>;
}

class Sim extends PtyBoard implements VirtualEspruino {
  private board: RunningBoard | null = null;
  private files = new Map<string, Uint8Array>();
  private image: SavedImage | null = null;
  readonly variables: number;
  private statsNow: VirtualEspruinoStats = { inputLost: 0, outputDropped: 0, peakVariables: 0 };
  private statsBase = 0;
  /** Host bytes the board's input buffer had no room for yet (USB flow control). */
  private held: number[] = [];
  private pumpTimer: NodeJS.Timeout | null = null;

  constructor(opts: VirtualEspruinoOptions) {
    super('virtual Espruino', 'espruino', boardWorkerUrl);
    this.variables = opts.variables ?? PICO_VARIABLES;
    if (opts.program !== undefined) this.files.set(BOOT_CODE_FILE, new TextEncoder().encode(opts.program));
  }

  protected fromHost(bytes: Uint8Array): void {
    for (const b of bytes) this.held.push(b);
    this.pump();
  }

  /** Moves held bytes into the board's ring as far as it has room; a Ctrl-C raises the interrupt flag instead (jsiCtrlC). */
  private pump(): void {
    const board = this.board;
    if (board === null || this.held.length === 0) return;
    const ctrl = new Int32Array(board.io.ctrl);
    const ring = new Uint8Array(board.io.ring);
    let w = Atomics.load(ctrl, Slot.written);
    const readPos = Atomics.load(board.esp, EspSlot.readPos);
    let room = RING_SIZE - ((w - readPos) | 0);
    let taken = 0;
    for (; taken < this.held.length; taken++) {
      const b = this.held[taken];
      if (b === ETX) {
        Atomics.store(board.esp, EspSlot.ctrlC, 1);
        continue;
      }
      if (room <= 0) break;
      ring[w & (RING_SIZE - 1)] = b;
      w = (w + 1) | 0;
      room--;
    }
    this.held.splice(0, taken);
    Atomics.store(ctrl, Slot.written, w);
    Atomics.add(ctrl, Slot.signal, 1);
    Atomics.notify(ctrl, Slot.signal);
    if (this.held.length > 0 && this.pumpTimer === null) {
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = null;
        this.pump();
      }, PUMP_RETRY_MS);
    }
  }

  protected async startBoard(): Promise<void> {
    const url = await boardWorkerUrl();
    const io = createSharedIo();
    const esp = new SharedArrayBuffer(ESP_SLOTS * 4);
    const data: EspruinoWorkerData = {
      io,
      esp,
      variables: this.variables,
      files: [...this.files].map(([n, b]) => [n, b.slice()]),
      image: this.image,
    };
    const { worker, ready } = this.startThread<EspruinoMessage>(
      url,
      data,
      [],
      (w) => this.board?.worker === w,
      (message) => {
        if (message.type === 'flash') {
          this.files = new Map(message.files);
          this.image = message.image;
        } else if (message.type === 'stats') {
          this.statsNow = { inputLost: 0, outputDropped: this.statsBase + message.outputDropped, peakVariables: message.peakVariables };
        }
      },
      () => (this.board = null),
    );
    this.board = { worker, io, esp: new Int32Array(esp), ready };
    return ready;
  }

  protected async stopBoard(): Promise<void> {
    const board = this.board;
    if (board === null) return;
    this.board = null;
    this.held = [];
    this.statsBase = this.statsNow.outputDropped;
    await board.worker.terminate();
  }

  protected beforeUnplug(): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
  }

  storedProgram(): string | null {
    const boot = this.files.get(BOOT_CODE_FILE);
    if (boot) return new TextDecoder().decode(boot);
    if (this.image) return this.image.lines.join('\n');
    return null;
  }

  storage(): Map<string, Uint8Array> {
    return new Map([...this.files].map(([n, b]) => [n, b.slice()]));
  }

  stats(): VirtualEspruinoStats {
    return { ...this.statsNow };
  }
}

/** Starts a virtual Espruino and resolves once it is up (the boot code, if any, runs right after). */
export async function startVirtualEspruino(opts: VirtualEspruinoOptions = {}): Promise<VirtualEspruino> {
  await loadNodePty();
  // Bundle the worker first: esbuild's helper process must not inherit the pty's descriptors.
  await boardWorkerUrl();
  const sim = new Sim(opts);
  await sim.boot(opts.register ?? false);
  return sim;
}
