// easgd: Elastic Averaging SGD (Zhang, Choromanska, LeCun 2015), workers on a spring to a center x̃.
//   asynchronous (Algorithm 1), worker i with its own clock tᵢ:
//     x ← xⁱ                                       (the snapshot the gradient is taken at)
//     if tᵢ mod τ = 0:  read x̃;  d = α(x − x̃);  xⁱ ← xⁱ − d;  send d;  server: x̃ ← x̃ + d
//     xⁱ ← xⁱ − η·gⁱ(x);  tᵢ ← tᵢ + 1
//   synchronous (--synchronous): every τ steps all workers at once, old values on the right:
//     xⁱ ← xⁱ − α(xⁱ − x̃);   x̃ ← x̃ + α·Σᵢ(xⁱ − x̃)
//   EAMSGD (--momentum δ > 0): the local step is Nesterov momentum,
//     vⁱ ← δvⁱ − η·gⁱ(x + δvⁱ);   xⁱ ← xⁱ + vⁱ
//   α = --elastic (default β/p with β = 0.9), τ = --period, η = --lr. With α = 0 the workers are
//   independent SGD runs on their shards and x̃ never moves. An exchange moves −d out of the worker
//   and +d into the center: xⁱ + x̃ is unchanged by it (up to float32 rounding).
// The worker waits for x̃ at an exchange; the d it sends is applied whenever it arrives.
import type { ClusterAlgorithm, ClusterContext } from './cluster.ts';
import { batchGradientAt } from './cursor.ts';

// ---------------------------------------------------------------- the rules, over explicit state

/** The worker's elastic move once x̃ has arrived: d = α(x − x̃) from the snapshot x; xⁱ ← xⁱ − d. */
export function elasticMove(xi: Float32Array, snap: Float32Array, center: Float32Array, alpha: number, np: number, d: Float64Array): void {
  for (let j = 0; j < np; j++) {
    d[j] = alpha * (snap[j] - center[j]);
    xi[j] = Math.fround(xi[j] - d[j]);
  }
}

/** The server's side of an exchange: x̃ ← x̃ + d. Returns ‖d‖. */
export function centerAdd(center: Float32Array, d: Float64Array, np: number): number {
  let norm = 0;
  for (let j = 0; j < np; j++) {
    center[j] = Math.fround(center[j] + d[j]);
    norm += d[j] * d[j];
  }
  return Math.sqrt(norm);
}

/** The synchronous center: x̃ ← x̃ + α·Σᵢ(xⁱ − x̃), summed in worker order (sum is scratch). */
export function centerRound(center: Float32Array, xs: Float32Array[], alpha: number, np: number, sum: Float64Array): void {
  sum.fill(0);
  for (let w = 0; w < xs.length; w++) for (let j = 0; j < np; j++) sum[j] += xs[w][j] - center[j];
  for (let j = 0; j < np; j++) center[j] = Math.fround(center[j] + alpha * sum[j]);
}

/** The point the gradient is taken at: x, or x + δv for EAMSGD. */
export function gradientPoint(at: Float32Array, snap: Float32Array, v: Float32Array, delta: number): void {
  if (delta > 0) for (let j = 0; j < at.length; j++) at[j] = Math.fround(snap[j] + delta * v[j]);
  else at.set(snap);
}

/** The local step: xⁱ ← xⁱ − η·g, or EAMSGD's vⁱ ← δvⁱ − η·g; xⁱ ← xⁱ + vⁱ. */
export function localStep(x: Float32Array, v: Float32Array, g: Float64Array, np: number, eta: number, delta: number): void {
  if (delta > 0) {
    for (let j = 0; j < np; j++) {
      v[j] = Math.fround(delta * v[j] - eta * g[j]);
      x[j] = Math.fround(x[j] + v[j]);
    }
  } else {
    for (let j = 0; j < np; j++) x[j] = Math.fround(x[j] - eta * g[j]);
  }
}

// ---------------------------------------------------------------- on the simulated cluster

export interface EasgdState {
  center: Float32Array;
  x: Float32Array[];
  v: Float32Array[];
  /** The snapshot x of the step in progress, and the point its gradient is taken at (x + δv). */
  snap: Float32Array[];
  at: Float32Array[];
  clock: number[];
  /** Samples of each worker's computation in flight (they count as progress when it is done). */
  samples: number[];
  g: Float64Array[];
  d: Float64Array;
  scratch: Float64Array;
  /** Synchronous form: the workers' x at this round's exchange, and how many have arrived. */
  round: Float32Array[];
  arrived: number;
  sum: Float64Array;
  exchanges: number;
}

/** A step of worker k: snapshot, and an exchange when its clock says so, else the gradient. */
function begin(ctx: ClusterContext, s: EasgdState, k: number): void {
  s.snap[k].set(s.x[k]);
  if (s.clock[k] % ctx.par.period === 0) {
    if (ctx.par.synchronous) ctx.send(k, { kind: 'push', read: ctx.version, theta: s.x[k].slice() });
    else ctx.send(k, { kind: 'fetch', read: ctx.version });
    return;
  }
  gradient(ctx, s, k);
}

function gradient(ctx: ClusterContext, s: EasgdState, k: number): void {
  const at = s.at[k];
  gradientPoint(at, s.snap[k], s.v[k], ctx.cfg.momentum);
  s.samples[k] = batchGradientAt(ctx.setup, at, ctx.cursors[k], s.scratch, s.g[k]);
  s.clock[k]++;
  ctx.compute(k, s.samples[k]);
}

export const easgd: ClusterAlgorithm<EasgdState> = {
  init(ctx) {
    const { f, theta0 } = ctx.setup;
    const p = ctx.par.workers;
    const f32s = () => Array.from({ length: p }, () => theta0.slice());
    return {
      center: theta0.slice(),
      x: f32s(),
      v: Array.from({ length: p }, () => new Float32Array(f + 1)),
      snap: f32s(),
      at: f32s(),
      clock: new Array<number>(p).fill(0),
      samples: new Array<number>(p).fill(0),
      g: Array.from({ length: p }, () => new Float64Array(f + 1)),
      d: new Float64Array(f + 1),
      scratch: new Float64Array(f + 1),
      round: f32s(),
      arrived: 0,
      sum: new Float64Array(f + 1),
      exchanges: 0,
    };
  },
  start(ctx, s) {
    for (let k = 0; k < ctx.par.workers; k++) begin(ctx, s, k);
  },
  computed(ctx, s, k) {
    localStep(s.x[k], s.v[k], s.g[k], ctx.setup.np, ctx.lr, ctx.cfg.momentum);
    ctx.progress(s.samples[k]);
    begin(ctx, s, k);
  },
  serve(ctx, s, k, m) {
    const np = ctx.setup.np;
    const alpha = ctx.par.elastic;
    if (m.kind === 'fetch') {
      ctx.reply(k, { kind: 'center', read: ctx.version, theta: s.center.slice() });
    } else if (m.kind === 'elastic') {
      // x̃ ← x̃ + d, whenever d arrives (x̃ may have moved since the worker read it).
      const norm = centerAdd(s.center, m.values as Float64Array, np);
      s.exchanges++;
      ctx.applied(k, m.read, 0, -1, NaN, norm);
    } else {
      // Synchronous: wait for every worker, then move the center with the old values.
      s.round[k].set(m.theta as Float32Array);
      if (++s.arrived < ctx.par.workers) return;
      s.arrived = 0;
      const old = s.center.slice();
      centerRound(s.center, s.round, alpha, np, s.sum);
      const read = ctx.version;
      for (let w = 0; w < ctx.par.workers; w++) {
        let norm = 0;
        for (let j = 0; j < np; j++) {
          const d = alpha * (s.round[w][j] - old[j]);
          norm += d * d;
        }
        s.exchanges++;
        ctx.applied(w, read, 0, -1, NaN, Math.sqrt(norm), w > 0);
      }
      for (let w = 0; w < ctx.par.workers; w++) ctx.reply(w, { kind: 'center', read: ctx.version, theta: old.slice() });
    }
  },
  receive(ctx, s, k, m) {
    // The center has arrived: the elastic move, relative to the snapshot taken at the step's start.
    elasticMove(s.x[k], s.snap[k], m.theta as Float32Array, ctx.par.elastic, ctx.setup.np, s.d);
    if (!ctx.par.synchronous) ctx.send(k, { kind: 'elastic', read: m.read, values: s.d.slice() });
    gradient(ctx, s, k);
  },
  global: (s) => s.center,
  local: (s, k) => s.x[k],
  counts: (s) => ({ exchanges: s.exchanges }),
};
