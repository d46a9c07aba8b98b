// downpour: Downpour SGD (Dean et al. 2012), replicas around a parameter server.
//   replica k, step s (the paper's appendix, one model shard on the server):
//     if s mod n_fetch = 0:  fetch θ (asynchronous: θ_k ← θ_server when the reply lands)
//     g = ∇ of the next batch at θ_k;   A_k ← A_k + g;   θ_k ← θ_k − α·g     (α: --local-lr, default --lr)
//     if s mod n_push = 0:   push A_k (with the version it last fetched);  A_k ← 0
//   server, on a push:  θ ← rule(θ, A)   (--server-optimizer, default the paper's Adagrad,
//                                          θᵢ ← θᵢ − (γ/√Gᵢ)·Aᵢ with Gᵢ ← Gᵢ + Aᵢ²; γ = --lr)
//          on a fetch:  reply θ and its version.
//   --warmstart N: worker 0 alone until the server has applied N updates, then the others start.
// The replica never waits: a fetch in flight overwrites its local progress when it lands (a good
// staleness demo). A fetch at a step's start lands before the step's computation only when the
// link is instant (--latency-us 0 --jitter-us 0 --service-us 0): then one worker with a plain SGD
// server is `host run --batch 1` bit for bit. The accrued gradient travels in double, as every
// gradient in flight does (the engine's precision rule), so the server's step is host run's step.
import type { ClusterAlgorithm, ClusterContext } from './cluster.ts';
import { batchGradientAt } from './cursor.ts';
import { serverRule, type ServerRule } from './server-optimizer.ts';

export interface DownpourState {
  theta: Float32Array;
  rule: ServerRule;
  local: Float32Array[];
  /** The accrued gradient A_k, its samples, and the gradient of the step in progress. */
  acc: Float64Array[];
  accSamples: number[];
  g: Float64Array[];
  gSamples: number[];
  step: number[];
  /** The version of θ_k's last fetch. */
  read: number[];
  /** Workers waiting for the warm start to end. */
  waiting: boolean[];
  scratch: Float64Array;
}

/** The replica's rule after a gradient: A ← A + g;  θ_k ← θ_k − α·g (the first np coordinates). */
export function replicaStep(theta: Float32Array, acc: Float64Array, g: Float64Array, np: number, alpha: number): void {
  for (let j = 0; j < np; j++) {
    acc[j] += g[j];
    theta[j] = Math.fround(theta[j] - alpha * g[j]);
  }
}

/** Step s of replica k: fetch when due, then compute (after anything landing at this instant). */
function begin(ctx: ClusterContext, s: DownpourState, k: number): void {
  if (s.step[k] % ctx.par.fetchEvery === 0) ctx.send(k, { kind: 'fetch', read: s.read[k] });
  ctx.soon(k, { kind: 'compute', read: s.read[k] });
}

export const downpour: ClusterAlgorithm<DownpourState> = {
  init(ctx) {
    const { f, bias, theta0 } = ctx.setup;
    const p = ctx.par.workers;
    const vec = () => new Float64Array(f + 1);
    return {
      theta: theta0.slice(),
      rule: serverRule(ctx.par.serverOptimizer, ctx.cfg, f, bias, true),
      local: Array.from({ length: p }, () => theta0.slice()),
      acc: Array.from({ length: p }, vec),
      accSamples: new Array<number>(p).fill(0),
      g: Array.from({ length: p }, vec),
      gSamples: new Array<number>(p).fill(0),
      step: new Array<number>(p).fill(0),
      read: new Array<number>(p).fill(0),
      waiting: Array.from({ length: p }, (_, k) => k > 0 && ctx.par.warmstart > 0),
      scratch: vec(),
    };
  },
  start(ctx, s) {
    for (let k = 0; k < ctx.par.workers; k++) if (!s.waiting[k]) begin(ctx, s, k);
  },
  computed(ctx, s, k) {
    const a = s.acc[k];
    replicaStep(s.local[k], a, s.g[k], ctx.setup.np, ctx.par.localLr);
    s.accSamples[k] += s.gSamples[k];
    s.step[k]++;
    if (s.step[k] % ctx.par.pushEvery === 0) {
      ctx.send(k, { kind: 'push', read: s.read[k], values: a.slice(), samples: s.accSamples[k] });
      a.fill(0);
      s.accSamples[k] = 0;
    }
    begin(ctx, s, k);
  },
  serve(ctx, s, k, m) {
    if (m.kind === 'fetch') {
      ctx.reply(k, { kind: 'params', read: ctx.version, theta: s.theta.slice() });
      return;
    }
    s.rule.apply(s.theta, m.values as Float64Array, ctx.lr);
    ctx.applied(k, m.read, m.samples as number, -1, NaN, NaN);
    if (ctx.version === ctx.par.warmstart) {
      for (let w = 1; w < ctx.par.workers; w++) {
        if (!s.waiting[w]) continue;
        ctx.reply(w, { kind: 'go', read: ctx.version, theta: s.theta.slice() });
      }
    }
  },
  receive(ctx, s, k, m) {
    if (m.kind === 'compute') {
      s.gSamples[k] = batchGradientAt(ctx.setup, s.local[k], ctx.cursors[k], s.scratch, s.g[k]);
      ctx.compute(k, s.gSamples[k]);
      return;
    }
    s.local[k].set(m.theta as Float32Array);
    s.read[k] = m.read;
    if (m.kind === 'go') {
      s.waiting[k] = false;
      begin(ctx, s, k);
    }
  },
  global: (s) => s.theta,
  local: (s, k) => s.local[k],
};
