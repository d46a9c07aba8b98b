// adarevision: delay-tolerant AdaGrad, AdaptiveRevision (McMahan & Streeter 2014).
//   worker: read (x, ḡ, version); g = ∇ of its next batch at x; send (g, ḡ_old = the ḡ it read);
//           the reply is the next read (a worker waits for it: one update in flight per worker).
//   server, per coordinate i, in this order:
//     g_bck = ḡ − ḡ_old                       the backlog: others' gradients applied meanwhile
//     η_old = α / √z′
//     z  ← z + g² + 2·g·g_bck                  = (g_bck + g)² − g_bck²
//     z′ ← max(z′, z)                          the rate never increases
//     η  = α / √z′
//     x  ← x − η·g + (η_old − η)·g_bck         the backlog went in at the older, larger rate:
//     ḡ  ← ḡ + g                               shrink it retroactively to the new one
//   α = --lr. A worker may have --outstanding K updates in flight (default 1: it waits for each
//   answer, and p identical workers see a staleness of p − 1); more inject the large delays where the
//   paper's gains appear. --no-revision makes the server plain AdaGrad in the paper's form (g_bck
//   taken as 0), the comparison under the very same schedule. z and z′ start at 0 (the paper leaves z₀ open; Petuum starts at 1): while z′ is 0 a
//   coordinate does not move, and the revision is skipped when g_bck is 0. Without delays this is
//   the paper's AdaGrad, x − (α/√Σg²)·g: Downpour's server rule, bit for bit.
import type { ClusterAlgorithm, ClusterContext } from './cluster.ts';
import { batchGradientAt } from './cursor.ts';

export interface AdaRevisionServer {
  x: Float32Array;
  gbar: Float32Array;
  z: Float32Array;
  zmax: Float32Array;
}

export function initAdaRevision(theta0: Float32Array): AdaRevisionServer {
  const n = theta0.length;
  return { x: theta0.slice(), gbar: new Float32Array(n), z: new Float32Array(n), zmax: new Float32Array(n) };
}

/**
 * The server's update for gradient g computed from a read whose ḡ was gbarOld; returns ‖g_bck‖.
 * `revise` false: the backlog is measured but not used (AdaGrad).
 */
export function adaRevisionUpdate(s: AdaRevisionServer, g: Float64Array, gbarOld: Float32Array, np: number, alpha: number, revise = true): number {
  const f32 = Math.fround;
  let backlog = 0;
  for (let i = 0; i < np; i++) {
    const gi = g[i];
    const behind = s.gbar[i] - gbarOld[i];
    backlog += behind * behind;
    const bck = revise ? behind : 0;
    const etaOld = s.zmax[i] > 0 ? alpha / Math.sqrt(s.zmax[i]) : 0;
    s.z[i] = f32(s.z[i] + gi * gi + 2 * gi * bck);
    if (s.z[i] > s.zmax[i]) s.zmax[i] = s.z[i];
    if (s.zmax[i] > 0) {
      // While z′ is 0 the coordinate does not move (the paper's AdaGrad guard, 0/0 as no step).
      const eta = alpha / Math.sqrt(s.zmax[i]);
      let x = s.x[i] - eta * gi;
      if (bck !== 0) x += (etaOld - eta) * bck;
      s.x[i] = f32(x);
    }
    s.gbar[i] = f32(s.gbar[i] + gi);
  }
  return Math.sqrt(backlog);
}

export interface AdaRevisionState {
  server: AdaRevisionServer;
  local: Float32Array[];
  gbarOld: Float32Array[];
  read: number[];
  g: Float64Array[];
  samples: number[];
  /** Updates in flight, and whether the worker waits for an answer before computing again. */
  inflight: number[];
  waiting: boolean[];
  scratch: Float64Array;
}

function begin(ctx: ClusterContext, s: AdaRevisionState, k: number): void {
  s.samples[k] = batchGradientAt(ctx.setup, s.local[k], ctx.cursors[k], s.scratch, s.g[k]);
  ctx.compute(k, s.samples[k]);
}

export const adarevision: ClusterAlgorithm<AdaRevisionState> = {
  init(ctx) {
    const { f, theta0 } = ctx.setup;
    const p = ctx.par.workers;
    return {
      server: initAdaRevision(theta0),
      // Every worker starts having read version 0: x₀ and ḡ = 0.
      local: Array.from({ length: p }, () => theta0.slice()),
      gbarOld: Array.from({ length: p }, () => new Float32Array(f + 1)),
      read: new Array<number>(p).fill(0),
      g: Array.from({ length: p }, () => new Float64Array(f + 1)),
      samples: new Array<number>(p).fill(0),
      inflight: new Array<number>(p).fill(0),
      waiting: new Array<boolean>(p).fill(false),
      scratch: new Float64Array(f + 1),
    };
  },
  start(ctx, s) {
    for (let k = 0; k < ctx.par.workers; k++) begin(ctx, s, k);
  },
  computed(ctx, s, k) {
    ctx.send(k, { kind: 'update', read: s.read[k], values: s.g[k].slice(), aux: s.gbarOld[k].slice(), samples: s.samples[k] });
    if (++s.inflight[k] < ctx.par.outstanding) begin(ctx, s, k);
    else s.waiting[k] = true;
  },
  serve(ctx, s, k, m) {
    const backlog = adaRevisionUpdate(s.server, m.values as Float64Array, m.aux as Float32Array, ctx.setup.np, ctx.lr, ctx.par.revision);
    ctx.applied(k, m.read, m.samples as number, -1, backlog, NaN);
    ctx.reply(k, { kind: 'params', read: ctx.version, theta: s.server.x.slice(), aux: s.server.gbar.slice() });
  },
  receive(ctx, s, k, m) {
    s.local[k].set(m.theta as Float32Array);
    s.gbarOld[k].set(m.aux as Float32Array);
    s.read[k] = m.read;
    s.inflight[k]--;
    if (s.waiting[k]) {
      s.waiting[k] = false;
      begin(ctx, s, k);
    }
  },
  global: (s) => s.server.x,
  local: (s, k) => s.local[k],
};
