// The kernel sets, chosen by name (torch picks its foreach/fused kernels the same way: by an
// explicit flag, never by a condition on the options). The board imports fast.ts alone.
import { fastKernels } from './fast.ts';
import { referenceKernels } from './reference.ts';
import type { Kernels, TrainingState } from './types.ts';

export type { Kernels, TrainingState } from './types.ts';

export type KernelChoice = 'reference' | 'fast';

export const KERNELS: Record<KernelChoice, (st: TrainingState) => Kernels> = {
  reference: referenceKernels,
  fast: fastKernels,
};
