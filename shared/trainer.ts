// The training loop as a resumable state machine. `work(budget)` advances by about `budget`
// sample-visits and returns, so the board can train in short setTimeout slices and still read
// commands; the desktop calls `run()`. Everything is allocated in the constructor: an epoch or a
// step allocates nothing but the record line it prints.
//
// Order of one epoch e (1-based): lr ← schedule(e − 1); pick the pool (the curriculum's easiest
// samples, or all training samples); shuffle it if asked; for each batch: mean gradient → gradient
// noise → optimizer step; then evaluate the full training (and validation) loss and print the record.

import { ConfigError, type TrainConfig } from './config.ts';
import type { Dataset } from './dataset.ts';
import { finishGradient, gradientSums, meanSquaredError, sgdPerSample, squaredErrorSum } from './linear.ts';
import { getOptimizer, type Optimizer } from './optim/index.ts';
import { PROTOCOL_VERSION, f32, formatDone, formatEpoch, type DoneReason, type StartRecord } from './protocol.ts';
import { Random } from './random.ts';
import { scheduledLr } from './schedule.ts';

export type Source = 'desktop' | 'board';

function finite(v: number): boolean {
  return v === v && v !== Infinity && v !== -Infinity;
}

/** A loss this many times the reference (the larger of the starting loss and mean y²) has exploded. */
export const DIVERGENCE_FACTOR = 1e4;
/** An epoch that multiplies the loss by more than this, ending above the reference, is diverging. */
export const JUMP_FACTOR = 10;

type Phase = 'begin' | 'batches' | 'evaluate' | 'finished';

export class Trainer {
  private readonly f: number;
  /** Parameters the optimizer updates: the weights, plus the bias when the model has one. */
  private readonly np: number;
  private readonly nTrain: number;
  private readonly nVal: number;
  /** Training samples in base order (data order, or easy-to-hard under a curriculum). */
  private readonly trainIdx: Uint32Array;
  private readonly valIdx: Uint32Array;
  /** This epoch's visiting order. */
  private readonly order: Uint32Array;
  /** Parameters in the data's own units, [w…, b]: what records report and the loss is computed at. */
  private readonly params: Float32Array;
  /** Parameters the optimizer sees: the same array, or standardized-space ones when standardizing. */
  private readonly theta: Float32Array;
  private readonly grad: Float32Array;
  private readonly bestParams: Float32Array;
  private readonly bestTheta: Float32Array;
  private readonly lastGood: Float32Array;
  /** Standardization: x′ = (x − mean) / scale, fitted on the training split. */
  private readonly mean: Float64Array;
  private readonly scale: Float64Array;
  private readonly optimizer: Optimizer<unknown>;
  private readonly optState: unknown;
  private readonly rng: Random;

  /** Gradient sums of the batch in progress: a batch may span many time slices on the board. */
  private readonly acc: Float64Array;
  private batchStart = 0;
  private batchEnd = 0;
  private inBatch = false;
  /** The loss pass in progress: samples [0, nTrain) are training, [nTrain, nTrain + nVal) validation. */
  private evalPos = 0;
  private trainSum = 0;
  private valSum = 0;

  private phase: Phase = 'begin';
  private paused = false;
  private epochNo = 0;
  private pos = 0;
  private pool = 0;
  private batchSize = 0;
  private lr: number;
  private steps = 0;
  private reference = 0;
  private lastLoss = NaN;
  private lastGoodLoss = NaN;
  private bestMonitor = Infinity;
  private bestLoss = NaN;
  private bestEpoch = 0;
  private wait = 0;
  /** Per-sample plain SGD in the data's own units: one fused loop instead of gradient + optimizer. */
  private readonly fused: boolean;

  constructor(
    private readonly ds: Dataset,
    private readonly cfg: TrainConfig,
    private readonly out: (line: string) => void,
    private readonly source: Source = 'desktop',
  ) {
    const n = ds.n;
    const f = ds.features;
    if (n < 1) throw new RangeError('the dataset is empty');
    this.f = f;
    this.np = cfg.bias ? f + 1 : f;
    this.rng = new Random(cfg.seed);
    this.lr = cfg.lr;

    // Seeded validation split; both halves keep data order.
    this.nVal = cfg.valSplit > 0 ? Math.max(1, Math.floor(n * cfg.valSplit)) : 0;
    this.nTrain = n - this.nVal;
    if (this.nTrain < 1) throw new ConfigError('val-split', cfg.valSplit + ' of ' + n + ' samples leaves none to train on; use a smaller fraction or more data');
    this.order = new Uint32Array(n);
    this.trainIdx = new Uint32Array(this.nTrain);
    this.valIdx = new Uint32Array(Math.max(1, this.nVal));
    this.split();

    this.mean = new Float64Array(f);
    this.scale = new Float64Array(f).fill(1);
    if (cfg.standardize) this.fitStandardization();
    if (cfg.curriculum) this.sortByDifficulty();

    this.params = new Float32Array(f + 1);
    for (let j = 0; j < f; j++) this.params[j] = cfg.initW.length === 1 ? cfg.initW[0] : cfg.initW[j];
    this.params[f] = cfg.bias ? cfg.initB : 0;
    this.theta = cfg.standardize ? new Float32Array(f + 1) : this.params;
    if (cfg.standardize) this.toTheta();
    this.grad = new Float32Array(f + 1);
    this.acc = new Float64Array(f + 1);
    this.bestParams = new Float32Array(f + 1);
    this.bestTheta = new Float32Array(f + 1);
    this.lastGood = new Float32Array(f + 1);
    this.optimizer = getOptimizer(cfg.optimizer);
    this.optState = this.optimizer.init(f + 1, cfg);
    this.fused = cfg.batch === 1 && (cfg.optimizer === 'sgd' || cfg.optimizer === 'momentum' || cfg.optimizer === 'nesterov') &&
      cfg.momentum === 0 && cfg.weightDecay === 0 && cfg.bias && !cfg.standardize && cfg.noiseEta === 0;
  }

  private sgdRun(budget: number): number {
    const from = this.pos;
    const to = Math.min(this.pool, from + Math.max(1, budget));
    const done = sgdPerSample(this.ds.x, this.ds.y, this.f, this.order, from, to, this.params, this.lr);
    this.steps += done;
    this.pos = from + done;
    if (done < to - from || !this.paramsFinite()) {
      this.lastLoss = NaN;
      this.diverged('the parameters became infinite or NaN at step ' + this.steps);
      return done;
    }
    if (this.pos >= this.pool) this.startEvaluation();
    return done;
  }

  get epoch(): number {
    return this.epochNo;
  }
  get finished(): boolean {
    return this.phase === 'finished';
  }
  get isPaused(): boolean {
    return this.paused;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }

  /** Runs to the end, ignoring pause (the desktop's way). */
  run(): void {
    while (!this.finished) this.step(1e9);
  }

  /** Advances by about `budget` sample-visits; true while work remains. Does nothing while paused. */
  work(budget: number): boolean {
    if (!this.paused) this.step(budget);
    return !this.finished;
  }

  /** Ends the run now with reason "stopped", reporting the current parameters and their loss. */
  stop(): void {
    if (this.finished) return;
    if (this.phase === 'begin') this.begin();
    // Mid-epoch, the last completed epoch is the one before; the parameters are the current ones
    // (a batch in progress has not been applied).
    if (this.phase === 'batches') this.epochNo--;
    this.inBatch = false;
    this.lastLoss = this.trainLoss();
    this.finish('stopped', '');
  }

  private step(budget: number): void {
    let left = budget;
    while (left > 0 && this.phase !== 'finished') {
      if (this.phase === 'begin') {
        this.begin();
        left -= 1;
      } else if (this.phase === 'batches') {
        left -= this.fused ? this.sgdRun(left) : this.batchWork(left);
      } else {
        left -= this.evalWork(left);
      }
    }
  }

  // ------------------------------------------------------------------ phases

  private begin(): void {
    const c = this.cfg;
    const start: StartRecord = {
      type: 'start',
      protocol: PROTOCOL_VERSION,
      source: this.source,
      config: c,
      samples: this.ds.n,
      features: this.f,
      train: this.nTrain,
      val: this.nVal,
    };
    this.out(JSON.stringify(start));
    this.startEvaluation();
  }

  /** Epoch 0: the starting parameters' record, and the scale that divergence is judged against. */
  private initial(loss: number, val: number): void {
    if (!finite(loss) || !finite(val)) {
      this.lastLoss = NaN;
      this.finish('diverged', 'the loss at the starting parameters is not a finite float32: scale the data down, use --standardize, or give a smaller --init-w');
      return;
    }
    let meanSqY = 0;
    for (let k = 0; k < this.nTrain; k++) {
      const yi = this.ds.y[this.trainIdx[k]];
      meanSqY += yi * yi;
    }
    this.reference = Math.max(loss, meanSqY / this.nTrain, 1e-30);
    this.record(loss, val);
    this.startEpoch();
  }

  private startEpoch(): void {
    const c = this.cfg;
    this.epochNo++;
    this.lr = scheduledLr(c, this.epochNo - 1);
    const nt = this.nTrain;
    this.pool = c.curriculum && c.curriculumEpochs > 0 ? Math.ceil((nt * Math.min(1, this.epochNo / c.curriculumEpochs)) - 1e-9) : nt;
    if (this.pool < 1) this.pool = 1;
    // Without shuffling the order never changes: copy it once, not every epoch.
    if (c.shuffle || this.epochNo === 1 || c.curriculum) {
      for (let k = 0; k < this.pool; k++) this.order[k] = this.trainIdx[k];
      if (c.shuffle) this.rng.shuffle(this.order, this.pool);
    }
    this.batchSize = c.batch === 0 ? this.pool : Math.min(c.batch, this.pool);
    this.pos = 0;
    this.phase = 'batches';
  }

  /**
   * Up to `budget` samples of the batch in progress; at the batch's end, the optimizer step.
   * Returns the samples visited. The sums carry over between calls in the order of one pass, so
   * a batch split across slices gives exactly the gradient of the whole.
   */
  private batchWork(budget: number): number {
    if (!this.inBatch) {
      this.inBatch = true;
      this.batchStart = this.pos;
      this.batchEnd = Math.min(this.pos + this.batchSize, this.pool);
      this.acc.fill(0);
    }
    const from = this.pos;
    const to = Math.min(this.batchEnd, from + Math.max(1, budget));
    gradientSums(this.ds.x, this.ds.y, this.f, this.order, from, to, this.params, this.acc);
    this.pos = to;
    if (to === this.batchEnd) {
      this.inBatch = false;
      finishGradient(this.acc, this.f, this.batchEnd - this.batchStart, this.grad);
      this.applyStep();
    }
    return to - from;
  }

  /** The optimizer step with the batch's mean gradient in this.grad. */
  private applyStep(): void {
    const f = this.f;
    const g = this.grad;
    if (this.cfg.standardize) {
      // Chain rule through x′ = (x − mean)/scale: ∂L/∂θⱼ = (∂L/∂wⱼ − meanⱼ·∂L/∂b)/scaleⱼ, ∂L/∂θ_b = ∂L/∂b.
      for (let j = 0; j < f; j++) g[j] = Math.fround((g[j] - this.mean[j] * g[f]) / this.scale[j]);
    }
    if (this.cfg.noiseEta > 0) {
      // Annealed Gaussian noise (Neelakantan et al. 2015): variance η / (1 + t)^γ at step t.
      const sd = Math.sqrt(this.cfg.noiseEta / Math.pow(1 + this.steps, this.cfg.noiseGamma));
      for (let j = 0; j < this.np; j++) g[j] = Math.fround(g[j] + sd * this.rng.gauss());
      if (!this.cfg.bias) g[f] = 0;
    }
    this.optimizer.update(this.theta, g, this.np, this.optState, this.cfg, this.lr);
    if (this.cfg.standardize) this.fromTheta();
    this.steps++;
    if (!this.paramsFinite()) {
      this.lastLoss = NaN;
      this.diverged('the parameters became infinite or NaN at step ' + this.steps);
      return;
    }
    if (this.pos >= this.pool) this.startEvaluation();
  }

  private startEvaluation(): void {
    this.evalPos = 0;
    this.trainSum = 0;
    this.valSum = 0;
    this.phase = 'evaluate';
  }

  /**
   * Up to `budget` samples of the loss pass (training samples, then validation ones); at its end,
   * the epoch's record. Returns the samples visited. Summed in pieces, the losses are bit for bit
   * those of one pass.
   */
  private evalWork(budget: number): number {
    const { x, y } = this.ds;
    const nt = this.nTrain;
    const total = nt + this.nVal;
    let left = Math.max(1, budget);
    const start = this.evalPos;
    if (this.evalPos < nt) {
      const to = Math.min(nt, this.evalPos + left);
      this.trainSum = squaredErrorSum(x, y, this.f, this.trainIdx, this.evalPos, to, this.params, this.trainSum);
      left -= to - this.evalPos;
      this.evalPos = to;
    }
    if (this.evalPos >= nt && this.evalPos < total && left > 0) {
      const from = this.evalPos - nt;
      const to = Math.min(this.nVal, from + left);
      this.valSum = squaredErrorSum(x, y, this.f, this.valIdx, from, to, this.params, this.valSum);
      this.evalPos = nt + to;
    }
    const visited = this.evalPos - start;
    if (this.evalPos >= total) {
      const loss = Math.fround(this.trainSum / nt);
      const val = this.nVal > 0 ? Math.fround(this.valSum / this.nVal) : 0;
      if (this.epochNo === 0) this.initial(loss, val);
      else this.endEpoch(loss, val);
    }
    return visited;
  }

  private endEpoch(loss: number, val: number): void {
    const c = this.cfg;
    if (!finite(loss) || !finite(val)) {
      // Never print a record that is not a number.
      this.diverged('the ' + (finite(loss) ? 'validation ' : '') + 'loss overflowed float32 in epoch ' + this.epochNo);
      return;
    }
    const previous = this.lastLoss;
    this.record(loss, val);
    if (!(loss <= DIVERGENCE_FACTOR * this.reference)) {
      this.diverged('the loss reached ' + f32(loss) + ', over ' + DIVERGENCE_FACTOR + ' times its starting scale ' + f32(this.reference));
      return;
    }
    if (loss > JUMP_FACTOR * previous && loss > this.reference) {
      // Caught in the first epoch that explodes: a step too large overshoots by more each time.
      this.diverged('the loss jumped from ' + f32(previous) + ' to ' + f32(loss) + ' in epoch ' + this.epochNo);
      return;
    }
    if (c.patience > 0) {
      const monitored = this.nVal > 0 ? val : loss;
      if (monitored < this.bestMonitor - c.minDelta) {
        this.keepBest(monitored, loss);
      } else if (++this.wait >= c.patience) {
        this.params.set(this.bestParams);
        if (this.theta !== this.params) this.theta.set(this.bestTheta);
        this.lastLoss = this.bestLoss;
        this.finish('early_stop', 'no improvement of the ' + (this.nVal > 0 ? 'validation' : 'training') + ' loss for ' + c.patience + ' epochs; restored epoch ' + this.bestEpoch);
        return;
      }
    }
    if (this.epochNo >= c.epochs) this.finish('epochs', '');
    else this.startEpoch();
  }

  /** Prints the epoch record for the current parameters (both losses finite; val NaN without a split). */
  private record(loss: number, val: number): void {
    this.lastLoss = loss;
    this.out(formatEpoch(this.epochNo, this.params, this.f, this.params[this.f], loss, this.nVal > 0 ? val : NaN, this.lr));
    this.lastGood.set(this.params);
    this.lastGoodLoss = loss;
    if (this.epochNo === 0 && this.cfg.patience > 0) this.keepBest(this.nVal > 0 ? val : loss, loss);
  }

  private keepBest(monitored: number, loss: number): void {
    this.bestMonitor = monitored;
    this.bestLoss = loss;
    this.bestEpoch = this.epochNo;
    this.bestParams.set(this.params);
    this.bestTheta.set(this.theta);
    this.wait = 0;
  }

  private diverged(what: string): void {
    // Report the last parameters that were still finite rather than stream NaN.
    this.params.set(this.lastGood);
    this.lastLoss = this.lastGoodLoss;
    const lr = f32(this.lr);
    const smaller = f32(this.lr / 10);
    this.finish('diverged', what + ': the learning rate ' + lr + ' is too high for this data; try --lr ' + smaller + ' or smaller');
  }

  private finish(reason: DoneReason, message: string): void {
    const f = this.f;
    this.phase = 'finished';
    this.out(formatDone(reason, this.epochNo, this.params, f, this.params[f], this.lastLoss, this.cfg.patience > 0 ? this.bestEpoch : -1, message));
  }

  // ------------------------------------------------------------------ helpers

  private trainLoss(): number {
    return meanSquaredError(this.ds.x, this.ds.y, this.f, this.trainIdx, 0, this.nTrain, this.params);
  }

  private paramsFinite(): boolean {
    for (let j = 0; j <= this.f; j++) if (!finite(this.theta[j])) return false;
    return true;
  }

  /** Seeded split: a shuffled permutation's first nVal samples validate, the rest train; both sorted. */
  private split(): void {
    const n = this.ds.n;
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.nVal === 0) {
      this.trainIdx.set(order.subarray(0, n));
      return;
    }
    this.rng.shuffle(order, n);
    // Mark the validation samples in the top bit, then collect both halves in data order.
    for (let k = 0; k < this.nVal; k++) order[order[k] & 0x7fffffff] |= 0x80000000;
    let t = 0;
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (order[i] & 0x80000000) this.valIdx[v++] = i;
      else this.trainIdx[t++] = i;
    }
  }

  private fitStandardization(): void {
    const { x } = this.ds;
    const f = this.f;
    const nt = this.nTrain;
    for (let j = 0; j < f; j++) {
      let m = 0;
      if (this.cfg.bias) {
        for (let k = 0; k < nt; k++) m += x[this.trainIdx[k] * f + j];
        m /= nt;
      }
      // Without a bias the model cannot absorb a shift, so only scale (by the root mean square).
      let s = 0;
      for (let k = 0; k < nt; k++) {
        const d = x[this.trainIdx[k] * f + j] - m;
        s += d * d;
      }
      s = Math.sqrt(s / nt);
      this.mean[j] = m;
      this.scale[j] = s > 0 ? s : 1;
    }
  }

  /** Curriculum, easy to hard: difficulty is the squared length of the (standardized) feature vector. */
  private sortByDifficulty(): void {
    const { x } = this.ds;
    const f = this.f;
    const d = new Float64Array(this.ds.n);
    for (let k = 0; k < this.nTrain; k++) {
      const i = this.trainIdx[k];
      let s = 0;
      for (let j = 0; j < f; j++) {
        const z = (x[i * f + j] - this.mean[j]) / this.scale[j];
        s += z * z;
      }
      d[i] = s;
    }
    this.trainIdx.sort((a, b) => d[a] - d[b] || a - b);
  }

  private toTheta(): void {
    const f = this.f;
    let b = this.params[f];
    for (let j = 0; j < f; j++) {
      this.theta[j] = Math.fround(this.params[j] * this.scale[j]);
      b += this.params[j] * this.mean[j];
    }
    this.theta[f] = Math.fround(b);
  }

  private fromTheta(): void {
    const f = this.f;
    let b = this.theta[f];
    for (let j = 0; j < f; j++) {
      const w = this.theta[j] / this.scale[j];
      this.params[j] = Math.fround(w);
      b -= w * this.mean[j];
    }
    this.params[f] = Math.fround(b);
  }
}
