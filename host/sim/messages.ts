// Messages between the virtual Pico's main thread (pty, API) and its board worker.
import type { MessagePort } from 'node:worker_threads';
import type { SharedIo } from './shared-io.ts';
import type { PaceMode } from './pace.ts';
import type { CostWeights } from './cost-model.ts';

export interface BoardWorkerData {
  io: SharedIo;
  /** The flashed program (what survives a reset), or null for a blank board. */
  program: string | null;
  heapBytes: number;
  /** Commands from the main thread; the worker polls it, since its loop never yields to Node's. */
  commands: MessagePort;
  /** How the board's clock runs (pace.ts). Default 'fast'. */
  pace?: PaceMode;
  /** Cost-model weights for a paced board (cost-model.ts); default DEFAULT_WEIGHTS. */
  weights?: CostWeights;
  /** Float64 slots where the board publishes its clock (pace.ts ClockSlot). */
  clock?: SharedArrayBuffer;
}

/** Main thread → board (fault injection for tests). */
export type BoardCommand = { type: 'corrupt-flash-blocks'; count: number } | { type: 'fail-flash-write' };

/** Board → main thread. */
export type BoardMessage =
  | { type: 'ready' }
  | { type: 'out'; bytes: Uint8Array }
  | { type: 'flash'; program: string | null }
  | { type: 'stats'; inputLost: number; outputDropped: number };
