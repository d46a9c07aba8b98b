// The server's side of boards in their worker role (stream.ts), one place for the run and its
// replay (replay.ts): what a push does to the global parameters, what the board is answered, and
// what the server remembers of the board when it takes an answer. Every push carries the board's
// parameters θ_k; its progress since `base` (its θ at its last push, or the answer it last took)
// is its accrued gradient A = (base − θ_k)/α, α its local lr.
//   downpour     θ ← rule(θ, A)  (--server-optimizer, the paper's AdaGrad by default)
//   hogwild      θ ← θ − (base − θ_k): each board's own steps land on the shared θ as they come,
//                unlocked and unaveraged; the answer d = θ_k − θ shifts the board by the others'
//                writes, θ_k ← θ_k − d, and keeps its own progress since its push, as a processor's
//                view of shared memory does. (The host applies the writes one at a time: none is
//                lost, staleness remains.)
//   adarevision  θ ← AdaRevision(θ, A, ḡ_old), ḡ_old the ḡ of the version the board read
//                (adarevision.ts: the backlog of others' gradients revised at the newer rate)
//   easgd        d = α(θ_k − x̃), x̃ ← x̃ + d; the board takes θ_k ← θ_k − d (elasticPush)
// Downpour and AdaRevision answer θ (the board's parameters from then on). Downpour also applies
// the push a board makes as it takes an answer (its progress while the answer was on its way),
// which EASGD leaves to its next exchange; Hogwild's and AdaRevision's boards wait for their
// answers (waitsForAnswer), so theirs carries no progress.
import type { TrainConfig } from '../../shared/config.ts';
import { adaRevisionUpdate, type AdaRevisionServer } from '../../shared/parallel/adarevision.ts';
import type { ParallelConfig } from '../../shared/parallel/options.ts';
import { downpourPush, elasticPush, type PushServer } from './boards.ts';

export const WORKER_ALGORITHMS = ['downpour', 'hogwild', 'adarevision', 'easgd'] as const;

export interface WorkerRules {
  alg: string;
  ps: PushServer;
  /** AdaRevision's server state, over the same θ, and whether it revises (--no-revision: AdaGrad). */
  ada: AdaRevisionServer | null;
  revise: boolean;
}

/** The server's answer to a push: θ to set, or EASGD's d to subtract; and what the board reads with it. */
export interface WorkerAnswer {
  values: Float64Array;
  /** Downpour, Hogwild, AdaRevision: the θ it sets (the board's base once it takes it). */
  theta: Float32Array | null;
  /** AdaRevision: ḡ at this version (the board's ḡ_old once it takes it). */
  gbar: Float32Array | null;
  version: number;
}

/** What the server remembers of a board: its base, and (AdaRevision) the ḡ of the version it read. */
export interface WorkerSlot {
  base: Float32Array;
  gbar: Float32Array | null;
}

/** The rules over `server` (θ, or EASGD's center). */
export function workerRules(alg: string, ps: PushServer, revise: boolean): WorkerRules {
  const n = ps.server.length;
  const ada = alg === 'adarevision' ? { x: ps.server, gbar: new Float32Array(n), z: new Float32Array(n), zmax: new Float32Array(n) } : null;
  return { alg, ps, ada, revise };
}

/** What the worker role cannot do of an algorithm's settings: the reason, or '' when it can. */
export function workerRefusal(par: ParallelConfig): string {
  if (par.algorithm === 'adarevision' && par.outstanding !== 1) return `--outstanding ${par.outstanding}: a board has one push unanswered at a time; leave it out`;
  if (par.algorithm === 'hogwild' && par.passDecay !== 1) return `--pass-decay ${par.passDecay}: a board's step size is fixed for its run; leave it out`;
  return '';
}

/**
 * Whether a board stops training while its push is unanswered: Hogwild's processor reads θ before
 * its next step, and AdaRevision's worker waits for each answer (one update in flight). Downpour's
 * and EASGD's boards train on: their fetch is asynchronous to their compute.
 */
export function waitsForAnswer(alg: string): boolean {
  return alg === 'hogwild' || alg === 'adarevision';
}

/** The local lr a board trains at: Downpour's --local-lr, Hogwild's γ (its steps are the server's), the lr otherwise. */
export function workerLr(alg: string, cfg: TrainConfig, par: ParallelConfig): number {
  return alg === 'downpour' ? par.localLr : cfg.lr;
}

/** A board (re)starts from the server's θ. */
export function startSlot(r: WorkerRules, slot: WorkerSlot): void {
  slot.base.set(r.ps.server);
  slot.gbar = r.ada ? r.ada.gbar.slice() : null;
}

/**
 * Board k's push at θ_k = `end` (`landing`: made as it took an answer) applied. Returns whether it
 * was an update, its ‖d‖ (EASGD) or backlog (AdaRevision), NaN otherwise, and the answer to send
 * (null: none, for a landing push). `version` is the version the update makes.
 */
export function applyWorkerPush(r: WorkerRules, slot: WorkerSlot, end: Float32Array, landing: boolean, version: number): { update: boolean; elastic: number; backlog: number; answer: WorkerAnswer | null } {
  const { ps } = r;
  const n = ps.server.length;
  // EASGD leaves a board's progress while its answer came to its next exchange; a board that waits
  // for its answer made none (its landing push is the θ of its push).
  if (landing && (r.alg === 'easgd' || waitsForAnswer(r.alg))) return { update: false, elastic: NaN, backlog: NaN, answer: null };
  if (r.alg === 'easgd') {
    const d = new Float64Array(n);
    const elastic = elasticPush(ps, end, d, new Float32Array(n));
    return { update: true, elastic, backlog: NaN, answer: { values: d, theta: null, gbar: null, version } };
  }
  let backlog = NaN;
  if (r.alg === 'downpour') downpourPush(ps, slot.base, end);
  else if (r.alg === 'hogwild') {
    for (let j = 0; j < ps.np; j++) ps.server[j] = Math.fround(ps.server[j] - (slot.base[j] - end[j]));
  } else {
    const a = new Float64Array(n);
    for (let j = 0; j < ps.np; j++) a[j] = (slot.base[j] - end[j]) / ps.localLr;
    backlog = adaRevisionUpdate(r.ada as AdaRevisionServer, a, slot.gbar as Float32Array, ps.np, ps.lr, r.revise);
  }
  slot.base.set(end);
  if (landing) return { update: true, elastic: NaN, backlog, answer: null };
  if (r.alg === 'hogwild') {
    const d = new Float64Array(n);
    for (let j = 0; j < ps.np; j++) d[j] = end[j] - ps.server[j];
    return { update: true, elastic: NaN, backlog, answer: { values: d, theta: null, gbar: null, version } };
  }
  const theta = ps.server.slice();
  return { update: true, elastic: NaN, backlog, answer: { values: Float64Array.from(theta), theta, gbar: r.ada ? r.ada.gbar.slice() : null, version } };
}

/**
 * The board took answer `a`, with its base at the θ it had then (its landing push): the base is
 * what the board holds from then on, θ ← a.theta or θ ← θ − d as the board computes it; and what it
 * read is the answer's.
 */
export function takeAnswer(slot: WorkerSlot, a: WorkerAnswer): void {
  if (a.theta) slot.base.set(a.theta);
  else for (let j = 0; j < slot.base.length; j++) slot.base[j] = Math.fround(slot.base[j] - a.values[j]);
  if (a.gbar) slot.gbar = a.gbar;
}
