// Messages between the virtual Pico's main thread (pty, API) and its board worker.
import type { MessagePort } from 'node:worker_threads';
import type { SharedIo } from './shared-io.ts';

export interface BoardWorkerData {
  io: SharedIo;
  /** The flashed program (what survives a reset), or null for a blank board. */
  program: string | null;
  heapBytes: number;
  /** Commands from the main thread; the worker polls it, since its loop never yields to Node's. */
  commands: MessagePort;
}

/** Main thread → board (fault injection for tests). */
export type BoardCommand = { type: 'corrupt-flash-blocks'; count: number } | { type: 'fail-flash-write' };

/** Board → main thread. */
export type BoardMessage =
  | { type: 'ready' }
  | { type: 'out'; bytes: Uint8Array }
  | { type: 'flash'; program: string | null }
  | { type: 'stats'; inputLost: number; outputDropped: number };
