// Messages between the virtual Espruino's main thread (pty, API, flash) and its board worker.
import type { SharedIo } from '../shared-io.ts';

/** What save() left in flash (the `.varimg` file), in the simulator's terms: the program's lines to replay. */
export interface SavedImage {
  /** The lines the console ran since the interpreter last started, in order. */
  lines: string[];
  /** The timers live when it was saved (by creation order) and the time each had left. */
  timers: { seq: number; left: number }[];
  /** Bytes the compressed variable image would take in Storage (an estimate, see README.md). */
  bytes: number;
}

/** Int32 slots of the Espruino-only control array (shared-io.ts's slots are Kaluma's). */
export const EspSlot = {
  /** Ctrl-C arrived (the USB interrupt's jsiCtrlC): set by the main thread, cleared by the board. */
  ctrlC: 0,
  /** How far the board has read the input ring (the main thread holds back what does not fit: USB flow control). */
  readPos: 1,
} as const;
export const ESP_SLOTS = 4;

export interface EspruinoWorkerData {
  io: SharedIo;
  esp: SharedArrayBuffer;
  variables: number;
  /** The Storage files (name → bytes; 0xFF is unwritten flash). */
  files: [string, Uint8Array][];
  image: SavedImage | null;
}

/** Board → main thread. */
export type EspruinoMessage =
  | { type: 'ready' }
  | { type: 'out'; bytes: Uint8Array }
  | { type: 'flash'; files: [string, Uint8Array][]; image: SavedImage | null }
  | { type: 'stats'; outputDropped: number; peakVariables: number };
