// hogwild: Hogwild! (Niu, Recht, Ré, Wright 2011), lock-free SGD on shared memory, simulated.
//   each processor, repeatedly: read θ (all coordinates, no lock); g = ∇ of its next batch at what
//   it read; for each coordinate j: θⱼ ← θⱼ − γ·gⱼ (a load, then a store --rmw-us later);
//   after every pass (an epoch-equivalent) γ ← β·γ (--pass-decay β; the paper used 0.9).
// No messages: the processors share θ, so latency does not apply. A store overwrites whatever
// another processor stored between this one's load and store: that update is lost, and counted.
// With --rmw-us 0 the load and the store are one instant and nothing is lost; staleness remains
// (the writes others made between this processor's read and its write). One worker is sequential
// SGD, `host run --batch 1` bit for bit. The real thing, on threads: host/parallel/threads.ts.
import type { ClusterAlgorithm, ClusterContext } from './cluster.ts';
import { batchGradientAt } from './cursor.ts';

export interface HogwildState {
  theta: Float32Array;
  /** What each processor read, its gradient, and the version it read at. */
  local: Float32Array[];
  g: Float64Array[];
  samples: number[];
  read: number[];
  /** Stores to each coordinate so far, and each processor's count at its load (lost-update check). */
  stores: Uint32Array;
  atLoad: Uint32Array[];
  loaded: Float32Array[];
  lost: number;
  scratch: Float64Array;
}

/** Read θ and compute the next batch's gradient at it. */
function begin(ctx: ClusterContext, s: HogwildState, k: number): void {
  s.local[k].set(s.theta);
  s.read[k] = ctx.version;
  s.samples[k] = batchGradientAt(ctx.setup, s.local[k], ctx.cursors[k], s.scratch, s.g[k]);
  ctx.compute(k, s.samples[k]);
}

/**
 * The write rule: θⱼ ← loadedⱼ − γ·gⱼ for every j with gⱼ ≠ 0; `stores` counts the stores to each
 * coordinate and `atLoad` is what it was at this processor's load. Returns the coordinates whose
 * store since the load this one overwrites (lost updates).
 */
export function hogwildStore(theta: Float32Array, loaded: Float32Array, g: Float64Array, np: number, lr: number, stores: Uint32Array, atLoad: Uint32Array): number {
  let lost = 0;
  for (let j = 0; j < np; j++) {
    if (g[j] === 0) continue;
    if (stores[j] !== atLoad[j]) lost++;
    theta[j] = Math.fround(loaded[j] - lr * g[j]);
    stores[j]++;
  }
  return lost;
}

/**
 * The store of processor k: θⱼ ← (what it loaded) − γ·gⱼ for the coordinates its sample touches
 * (gⱼ ≠ 0: the paper's hyperedge e), overwriting any store to them since its load.
 */
function store(ctx: ClusterContext, s: HogwildState, k: number): void {
  const lost = hogwildStore(s.theta, s.loaded[k], s.g[k], ctx.setup.np, ctx.lr, s.stores, s.atLoad[k]);
  s.lost += lost;
  ctx.applied(k, s.read[k], s.samples[k], lost, NaN, NaN);
  begin(ctx, s, k);
}

export const hogwild: ClusterAlgorithm<HogwildState> = {
  init(ctx) {
    const { f, theta0 } = ctx.setup;
    const p = ctx.par.workers;
    return {
      theta: theta0.slice(),
      local: Array.from({ length: p }, () => theta0.slice()),
      g: Array.from({ length: p }, () => new Float64Array(f + 1)),
      samples: new Array<number>(p).fill(0),
      read: new Array<number>(p).fill(0),
      stores: new Uint32Array(f + 1),
      atLoad: Array.from({ length: p }, () => new Uint32Array(f + 1)),
      loaded: Array.from({ length: p }, () => new Float32Array(f + 1)),
      lost: 0,
      scratch: new Float64Array(f + 1),
    };
  },
  start(ctx, s) {
    for (let k = 0; k < ctx.par.workers; k++) begin(ctx, s, k);
  },
  computed(ctx, s, k) {
    s.loaded[k].set(s.theta);
    s.atLoad[k].set(s.stores);
    if (ctx.par.rmwUs === 0) store(ctx, s, k);
    else ctx.later(k, ctx.par.rmwUs, { kind: 'store', read: s.read[k] });
  },
  serve(ctx, s, k) {
    store(ctx, s, k);
  },
  receive() {
    // Shared memory: nothing is ever sent to a processor.
  },
  global: (s) => s.theta,
  local: (s, k) => s.local[k],
  counts: (s) => ({ lost: s.lost }),
};
