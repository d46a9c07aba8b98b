// What every virtual board is to the host, whatever runs inside it: a USB serial port on a
// pseudo-terminal that can be unplugged, plugged back in (a new port), reset, stalled and tapped, and
// that lists itself in the registry of running simulators. The virtual Pico (virtual-pico.ts) and
// the virtual Espruino (espruino/virtual-espruino.ts) supply only their board: how it starts, stops
// and takes the host's bytes.
import { Worker, type TransferListItem } from 'node:worker_threads';
import { PtyPair } from './pty.ts';
import { Slot, type SharedIo } from './shared-io.ts';
import { registerSim, unregisterSim, type SimRuntime } from '../sim-registry.ts';

/** What every virtual board offers the host and the tests (PtyBoard implements it). */
export interface VirtualBoard {
  /** The serial port path (a pseudo-terminal such as /dev/pts/3): open it with serialport. A replug() changes it. */
  readonly path: string;
  /** Its serial number, as a USB board has one: the same after a replug (a new port), which is how a host finds it again. */
  readonly serial: string;
  /** Shuts the board down and removes the port. */
  close(): Promise<void>;
  /** Pulls the USB cable: the board stops and the port goes away (a host that has it open gets an error/close). */
  unplug(): Promise<void>;
  /** Plugs it back in: a new port (the path usually changes, as a real ttyACM number can), the board boots with its flash. Resolves to the new path. */
  replug(): Promise<string>;
  /** Presses reset: the board powers on again with its flash; the port stays. Resolves once it is up. */
  reset(): Promise<void>;
  /** Puts bytes on the wire to the host as if the board had sent them (garbage, partial lines). */
  inject(bytes: Uint8Array | string): void;
  /** The host stops taking output for `ms`: once the buffers are full, the first write waits up to 500 ms, later ones are dropped at once (a line may be cut short). */
  stall(ms: number): void;
  /** Taps every byte the board sends to the host. Returns a function that removes the tap. */
  onOutput(listener: (bytes: Uint8Array) => void): () => void;
  /** Taps every byte the host sends to the board. Returns a function that removes the tap. */
  onInput(listener: (bytes: Uint8Array) => void): () => void;
  /** The program kept in the board's flash, or null when blank. */
  storedProgram(): string | null;
}

export abstract class PtyBoard {
  protected pty: PtyPair;
  protected readonly outputTaps = new Set<(bytes: Uint8Array) => void>();
  protected readonly inputTaps = new Set<(bytes: Uint8Array) => void>();
  protected stallTimer: NodeJS.Timeout | null = null;
  protected gone = false;
  private registered = false;
  /** Its serial number in the registry: the same after a replug, as a USB board's (its port is new). */
  readonly serial = `sim-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  /** `name` for messages ("virtual Pico"); `runtime` for the registry; `prepareWorker` builds the board thread's bundle. */
  constructor(
    private readonly name: string,
    private readonly runtime: SimRuntime,
    private readonly prepareWorker: () => Promise<unknown>,
  ) {
    this.pty = new PtyPair((bytes) => this.takeFromHost(bytes));
  }

  /** The board thread: started at boot, at a reset and at a replug; stopped at a reset and an unplug. */
  protected abstract startBoard(): Promise<void>;
  protected abstract stopBoard(): Promise<void>;
  /** The host's bytes, after the input taps have seen them. */
  protected abstract fromHost(bytes: Uint8Array): void;
  /** Before the port goes away (timers of the board's own to clear). */
  protected beforeUnplug(): void {}

  get path(): string {
    return this.pty.path;
  }

  /**
   * The board's output on its way to the host: the taps, then the pty; the board thread hears when
   * the pty has taken it (its USB FIFO drained), through `ctrl` (shared-io.ts).
   */
  protected sendToHost(bytes: Uint8Array, ctrl: Int32Array): void {
    for (const tap of this.outputTaps) tap(bytes);
    this.pty.write(bytes, () => {
      Atomics.sub(ctrl, Slot.outPending, bytes.length);
      Atomics.add(ctrl, Slot.outSignal, 1);
      Atomics.notify(ctrl, Slot.outSignal);
    });
  }

  /**
   * Starts a board thread from `url` with `data`: its output goes to the host and its 'ready'
   * resolves `ready`; its other messages go to `onMessage` while it is the current board
   * (`current`). A crash or an exit nobody asked for is a simulator bug, not the host's doing: it is
   * said on stderr, and `dead()` forgets the board (input goes nowhere from then on).
   */
  protected startThread<M extends { type: string }>(
    url: URL,
    data: { io: SharedIo },
    transferList: TransferListItem[],
    current: (worker: Worker) => boolean,
    onMessage: (message: M) => void,
    dead: () => void,
  ): { worker: Worker; ready: Promise<void> } {
    // The bundled worker is plain JavaScript: no need to start the parent's loaders (tsx) in it again.
    const execArgv = url.pathname.endsWith('board-worker.mjs') ? undefined : [];
    const worker = new Worker(url, { workerData: data, transferList, execArgv });
    const ctrl = new Int32Array(data.io.ctrl);
    let markReady!: () => void;
    let fail!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    worker.on('message', (message: M & { bytes?: Uint8Array }) => {
      if (!current(worker)) return;
      if (message.type === 'out') this.sendToHost(message.bytes as Uint8Array, ctrl);
      else if (message.type === 'ready') markReady();
      else onMessage(message);
    });
    worker.on('error', (err: Error) => {
      fail(err);
      if (current(worker)) process.stderr.write(`${this.name}: the board thread crashed: ${err.stack ?? err}\n`);
    });
    worker.on('exit', (code) => {
      fail(new Error(`the ${this.name}'s board thread exited (code ${code})`));
      if (current(worker)) {
        dead();
        process.stderr.write(`${this.name}: the board thread stopped unexpectedly (exit code ${code})\n`);
      }
    });
    return { worker, ready };
  }

  private takeFromHost(bytes: Uint8Array): void {
    for (const tap of this.inputTaps) tap(bytes);
    this.fromHost(bytes);
  }

  /** Powers the board on (and lists it in the registry); one that fails to boot is closed, its port removed, before the error goes on. */
  async boot(register: boolean): Promise<void> {
    try {
      await this.startBoard();
      if (register) {
        await registerSim(this.path, this.runtime, this.serial);
        this.registered = true;
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async reset(): Promise<void> {
    if (this.gone) throw new Error(`the ${this.name} is unplugged`);
    await this.stopBoard();
    await this.startBoard();
  }

  async unplug(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.beforeUnplug();
    await this.stopBoard();
    this.pty.close();
    if (this.registered) await unregisterSim(this.path); // stays marked: a replug() lists the new port
  }

  async replug(): Promise<string> {
    if (!this.gone) await this.unplug();
    // The worker bundle is built before a pty opens: a child process started meanwhile would inherit it.
    await this.prepareWorker();
    this.pty = new PtyPair((bytes) => this.takeFromHost(bytes));
    this.gone = false;
    await this.startBoard();
    if (this.registered) await registerSim(this.path, this.runtime, this.serial);
    return this.path;
  }

  async close(): Promise<void> {
    await this.unplug();
    this.registered = false;
  }

  inject(bytes: Uint8Array | string): void {
    if (this.gone) return;
    this.pty.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  stall(ms: number): void {
    if (this.gone) return;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.pty.setPaused(true);
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      this.pty.setPaused(false);
    }, ms);
  }

  onOutput(listener: (bytes: Uint8Array) => void): () => void {
    this.outputTaps.add(listener);
    return () => this.outputTaps.delete(listener);
  }

  onInput(listener: (bytes: Uint8Array) => void): () => void {
    this.inputTaps.add(listener);
    return () => this.inputTaps.delete(listener);
  }
}
