// One thread of a threads run (threads.ts starts it; layout.ts is the shared memory).
//
// It announces itself ready, then loops: wait for the main thread's release (the barrier's
// generation changes), do one unit of work, publish its counters, arrive at the barrier.
//   hogwild  a unit is a pass over its shard (reshuffled first with its own stream when asked).
//            Per batch: copy θ into a local array (plain loads), take the gradient with linear.ts,
//            and for every coordinate the sample touches, θⱼ ← fround(θⱼ − η·gⱼ): a plain load and a
//            plain store, lock-free (Niu et al. 2011, Algorithm 1). A coordinate whose gradient is 0
//            (a feature the sample does not have) is not written, as in the paper's loop over v ∈ e;
//            without this the sparse data would not be sparse for the threads. With `cas` the step is
//            the paper's atomic add instead: a compareExchange loop on θ's bytes as Int32.
//            Each write's intended delta, the step it meant to add (the value it stored minus the
//            value it loaded, both float32, exact in double), is summed in float64 for the lost-update
//            drift: without a lost update the deltas add up to θ_T − θ₀ exactly (up to the double
//            sum's rounding). (Summing −η·g instead would also count every step that float32 rounds
//            away: about 3e-3 after 100,000 updates of a converged 1-thread run, with nothing lost.)
//   sync     a unit is a round: the gradient sums of its next batch at the current θ, which the
//            main thread combines and applies while the workers wait.
// The gradient is linear.ts's, the one the engine trains with: no formula is repeated here.
// θ is read and written as Float32 (the sheet's caveat 2: ECMAScript promises tear-free racy accesses
// only for integer element types; aligned 4-byte stores do not tear on x86-64 or ARM64 in practice).
import { workerData } from 'node:worker_threads';
import { addSums, batchGradient, sampleGradient, type LinearModel } from '../../shared/linear.ts';
import { workerRandom } from '../../shared/parallel/setup.ts';
import { ACC, ARRIVED, COUNT, GEN, INTENDED, LR, SAMPLES, SLOT, SNAP, STOP, UPDATES, wideBase, type ThreadWorkerData } from './layout.ts';

const d = workerData as ThreadWorkerData;
const f = d.f;
const np = d.np;
const ctrl = new Int32Array(d.ctrl);
const wide = new Float64Array(d.wide);
const P = new Float32Array(d.theta, 0, f + 1);
const Pbits = new Int32Array(d.theta, 0, f + 1);
const local = new Float32Array(f + 1);
const model: LinearModel = { x: new Float32Array(d.x), y: new Float32Array(d.y), f, bias: d.bias, theta: local, mean: d.mean, scale: d.scale };
const base = wideBase(d.k);
const intended = new Float64Array(d.wide, (base + INTENDED) * 8, f + 1);
const acc = new Float64Array(d.wide, (base + ACC) * 8, f + 1);
const snap = new Float64Array(d.wide, (base + SNAP) * 8, f + 1);
const slot = (d.k + 1) * SLOT;
const shard = d.shard;
const m = shard.length;
const order = shard.slice();
const rng = workerRandom(d.seed, d.k);
const B = d.batch;
const g = new Float64Array(f + 1);
const sums = new Float64Array(f + 1);
// The CAS loop's float ↔ bits conversion.
const bitsF = new Float32Array(1);
const bitsI = new Int32Array(bitsF.buffer);

let updates = 0;
let samples = 0;
let round = 0;

function reshuffle(): void {
  order.set(shard);
  rng.shuffle(order, m);
}

function readTheta(): void {
  for (let j = 0; j <= f; j++) local[j] = P[j];
}

function hogwildPass(lr: number): void {
  if (d.shuffle) reshuffle();
  const cas = d.cas;
  for (let s = 0; s < m; s += B) {
    const e = Math.min(m, s + B);
    readTheta();
    if (B === 1) {
      sampleGradient(model, order[s], g);
    } else {
      sums.fill(0);
      addSums(model, order, s, e, sums, 0);
      batchGradient(sums, f, e - s, g);
    }
    for (let j = 0; j < np; j++) {
      const gj = g[j];
      if (gj === 0) continue;
      if (cas) {
        for (;;) {
          const oldBits = Atomics.load(Pbits, j);
          bitsI[0] = oldBits;
          const old = bitsF[0];
          bitsF[0] = old - lr * gj;
          if (Atomics.compareExchange(Pbits, j, oldBits, bitsI[0]) === oldBits) {
            intended[j] += bitsF[0] - old;
            break;
          }
        }
      } else {
        const old = P[j];
        const next = Math.fround(old - lr * gj);
        P[j] = next;
        intended[j] += next - old;
      }
    }
    updates++;
    samples += e - s;
    ctrl[slot + UPDATES] = updates;
  }
  for (let j = 0; j <= f; j++) snap[j] = local[j];
}

function syncRound(): void {
  if (round === 0 && d.shuffle) reshuffle();
  const from = round * B;
  const to = Math.min(m, from + B);
  readTheta();
  for (let j = 0; j <= f; j++) snap[j] = local[j];
  acc.fill(0);
  const n = to > from ? to - from : 0;
  if (n > 0) {
    addSums(model, order, from, to, acc, 0);
    updates++;
    samples += n;
  }
  wide[base + COUNT] = n;
  round = (round + 1) % d.rounds;
}

function arrive(): void {
  Atomics.store(ctrl, slot + UPDATES, updates);
  Atomics.store(ctrl, slot + SAMPLES, samples);
  Atomics.add(ctrl, ARRIVED, 1);
  Atomics.notify(ctrl, ARRIVED);
}

let gen = 0;
arrive(); // ready
for (;;) {
  while (Atomics.load(ctrl, GEN) === gen) Atomics.wait(ctrl, GEN, gen);
  gen = Atomics.load(ctrl, GEN);
  if (Atomics.load(ctrl, STOP) !== 0) break;
  if (d.mode === 'hogwild') hogwildPass(wide[LR]);
  else syncRound();
  arrive();
}
