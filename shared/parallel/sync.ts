// sync: synchronous data-parallel SGD, the baseline.
//   round t: every worker k sums its next batch at θ_t:  A_k = Σᵢ rᵢ·z̃ᵢ over n_k samples
//   server, once all p have arrived (a barrier), in worker order:
//            g = 2·(Σ_k A_k) / (Σ_k n_k)        (the mean gradients weighted by λ_k = n_k / Σ n)
//            θ_{t+1} = rule(θ_t, g)              (--server-optimizer, default SGD: θ − ηg)
//   and θ_{t+1} goes back to every worker. Staleness is 0 by construction.
// With equal shards and --batch 0 (batch = shard) one round is one full-batch step on the union;
// one worker gives `host run --batch 0` bit for bit (the same sums in the same order).
import { batchGradient } from '../linear.ts';
import type { ClusterAlgorithm, ClusterContext, Message } from './cluster.ts';
import { addBatchSums } from './cursor.ts';
import { serverRule, type ServerRule } from './server-optimizer.ts';

export interface SyncState {
  theta: Float32Array;
  rule: ServerRule;
  /** Each worker's copy of θ (the last broadcast) and the sums it is computing or has sent. */
  local: Float32Array[];
  sums: Float64Array[];
  counts: number[];
  arrived: number;
  read: number;
  g: Float64Array;
  total: Float64Array;
}

/** The server's combination: g = 2·(Σ_k sums_k) / (Σ_k counts_k), summed in worker order. */
export function combineSums(sums: Float64Array[], counts: number[], f: number, total: Float64Array, g: Float64Array): number {
  total.fill(0);
  let n = 0;
  for (let k = 0; k < sums.length; k++) {
    for (let j = 0; j <= f; j++) total[j] += sums[k][j];
    n += counts[k];
  }
  batchGradient(total, f, n, g);
  return n;
}

function begin(ctx: ClusterContext, s: SyncState, k: number): void {
  s.sums[k].fill(0);
  s.counts[k] = addBatchSums(ctx.setup, s.local[k], ctx.cursors[k], s.sums[k]);
  ctx.compute(k, s.counts[k]);
}

export const sync: ClusterAlgorithm<SyncState> = {
  init(ctx) {
    const { f, bias, theta0 } = ctx.setup;
    const p = ctx.par.workers;
    return {
      theta: theta0.slice(),
      rule: serverRule(ctx.par.serverOptimizer, ctx.cfg, f, bias, false),
      local: Array.from({ length: p }, () => theta0.slice()),
      sums: Array.from({ length: p }, () => new Float64Array(f + 1)),
      counts: new Array<number>(p).fill(0),
      arrived: 0,
      read: 0,
      g: new Float64Array(f + 1),
      total: new Float64Array(f + 1),
    };
  },
  start(ctx, s) {
    for (let k = 0; k < ctx.par.workers; k++) begin(ctx, s, k);
  },
  computed(ctx, s, k) {
    ctx.send(k, { kind: 'push', read: s.read, values: s.sums[k].slice(), samples: s.counts[k] });
  },
  serve(ctx, s, k, m: Message) {
    s.sums[k].set(m.values as Float64Array);
    s.counts[k] = m.samples as number;
    if (++s.arrived < ctx.par.workers) return;
    s.arrived = 0;
    combineSums(s.sums, s.counts, ctx.setup.f, s.total, s.g);
    s.rule.apply(s.theta, s.g, ctx.lr);
    const read = ctx.version;
    for (let w = 0; w < ctx.par.workers; w++) ctx.applied(w, read, s.counts[w], -1, NaN, NaN, w > 0);
    s.read = ctx.version;
    for (let w = 0; w < ctx.par.workers; w++) ctx.reply(w, { kind: 'params', read: ctx.version, theta: s.theta.slice() });
  },
  receive(ctx, s, k, m) {
    s.local[k].set(m.theta as Float32Array);
    begin(ctx, s, k);
  },
  global: (s) => s.theta,
  local: (s, k) => s.local[k],
};
