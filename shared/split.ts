// The seeded validation split: the first nVal samples of a shuffled permutation validate, the rest
// train, and both halves keep data order (so a loss is summed in the same order everywhere).
import type { Random } from './random.ts';

/** Samples held out for validation: a fraction of n, at least one when there is a split at all. */
export function validationCount(n: number, valSplit: number): number {
  return valSplit > 0 ? Math.max(1, Math.floor(n * valSplit)) : 0;
}

/** Fills trainIdx with n − nVal and valIdx with nVal sample indices; `scratch` holds n entries. */
export function seededSplit(n: number, nVal: number, rng: Random, trainIdx: Uint32Array, valIdx: Uint32Array, scratch: Uint32Array): void {
  for (let i = 0; i < n; i++) scratch[i] = i;
  if (nVal === 0) {
    trainIdx.set(scratch.subarray(0, n));
    return;
  }
  rng.shuffle(scratch, n);
  // Mark the validation samples in the top bit, then collect both halves in data order.
  for (let k = 0; k < nVal; k++) scratch[scratch[k] & 0x7fffffff] |= 0x80000000;
  let t = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    if (scratch[i] & 0x80000000) valIdx[v++] = i;
    else trainIdx[t++] = i;
  }
}
