// The shared memory of a threads run (threads.ts and thread-worker.ts both read this layout).
//
//   theta  SharedArrayBuffer of 64 bytes (one cache line): θ as Float32Array(f + 1). Workers read and
//          write it with plain loads and stores (Hogwild!); the CAS toggle goes through an Int32Array
//          view of the same bytes. No other data shares its line.
//   x, y   the dataset, copied once into shared Float32Arrays (read-only)
//   ctrl   Int32Array: slot 0 global (barrier generation, arrivals, stop flag), slot k + 1 worker k's
//          counters; 16 ints = 64 bytes a slot, so no two threads write into one cache line.
//          Atomics work here (and only here; never on θ, save the CAS toggle).
//   wide   Float64Array: slot 0 global (the step size of the pass), then WIDE_SLOT doubles (384 B,
//          six lines) per worker: its intended deltas Σ −η·g, its gradient sums (sync), the θ it
//          read last (float32 values, exact in double), and the samples in its sums (sync).

/** Int32 slots of `ctrl`: 16 ints (64 bytes) each. */
export const SLOT = 16;
export const GEN = 0;
export const ARRIVED = 1;
export const STOP = 2;
/** In worker k's slot, (k + 1)·SLOT + …: */
export const UPDATES = 0;
export const SAMPLES = 1;

/** Doubles of `wide`: the global slot, then one of WIDE_SLOT per worker. */
export const WIDE_GLOBAL = 8;
export const LR = 0;
export const WIDE_SLOT = 48;
export const INTENDED = 0;
export const ACC = 16;
export const SNAP = 32;
export const COUNT = 44;

export const THETA_BYTES = 64;

export function ctrlBytes(workers: number): number {
  return (workers + 1) * SLOT * 4;
}

export function wideBytes(workers: number): number {
  return (WIDE_GLOBAL + workers * WIDE_SLOT) * 8;
}

export function wideBase(k: number): number {
  return WIDE_GLOBAL + k * WIDE_SLOT;
}

export interface ThreadWorkerData {
  k: number;
  mode: 'hogwild' | 'sync';
  ctrl: SharedArrayBuffer;
  wide: SharedArrayBuffer;
  theta: SharedArrayBuffer;
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  f: number;
  bias: boolean;
  np: number;
  mean: Float64Array;
  scale: Float64Array;
  /** Sample indices of this worker's shard. */
  shard: Uint32Array;
  /** Samples per gradient (≥ 1: the engine's batch 0 has been turned into the shard's size). */
  batch: number;
  /** sync: rounds per pass (the same for every worker; a worker whose shard is used up sends nothing). */
  rounds: number;
  shuffle: boolean;
  seed: number;
  /** hogwild: apply each coordinate's step as an atomic add (compare-and-swap loop). */
  cas: boolean;
}
