// The training loop as a resumable state machine: the phases of an epoch, and nothing else.
// `work(budget)` advances by about `budget` sample-visits and returns, so the board can train in
// short setTimeout slices and still read commands; the desktop calls `run()`. The work inside a
// phase is a kernel's (kernels/), the rules around it are units of their own: the split (split.ts),
// standardization (standardize.ts), the curriculum (curriculum.ts), the gradient transforms
// (transforms.ts), early stopping (early-stopping.ts) and the divergence guard (divergence.ts).
// Everything is allocated in the constructor: an epoch allocates nothing but its record line.
//
// One epoch e (from 1): lr ← schedule(e − 1); the pool (all training samples, or the curriculum's
// easiest); its order (shuffled if asked); the batches, each a step; then the loss over the
// training (and validation) samples at the epoch's parameters, and the record.
//
// Full-batch training in data order is fused: the loss pass of epoch e and the gradient pass of
// epoch e + 1 visit the same samples at the same parameters, so one pass gives both (the same sums
// in the same order as two passes: the records are identical, the board does a third less work).

import { ConfigError, type TrainConfig } from './config.ts';
import { curriculumPool, sortByDifficulty } from './curriculum.ts';
import type { Dataset } from './dataset.ts';
import { allFinite, divergenceReference, finite, lossDiverged, lowerRateAdvice } from './divergence.ts';
import { initEarlyStopping, observeEpoch, restoreBest, type EarlyStopping } from './early-stopping.ts';
import { fround } from './f32.ts';
import { fastKernels } from './kernels/fast.ts';
import type { Kernels, TrainingState } from './kernels/types.ts';
import { getOptimizer } from './optim/index.ts';
import { PROTOCOL_VERSION, type DoneReason } from './protocol.ts';
import { Random } from './random.ts';
import type { RecordSink } from './records.ts';
import { scheduledLr } from './schedule.ts';
import { seededSplit } from './split.ts';
import { fitStandardization, fromTheta, identityStandardization, toTheta, type Standardization } from './standardize.ts';
import { initTransforms } from './transforms.ts';

export type Source = 'desktop' | 'board';

type Phase = 'begin' | 'train' | 'evaluate' | 'finished';

export class Trainer {
  private readonly st: TrainingState;
  private readonly kernels: Kernels;
  private readonly std: Standardization;
  private readonly rng: Random;
  private readonly f: number;
  private readonly nTrain: number;
  private readonly nVal: number;
  /** Training samples in base order (data order, or easy-to-hard under a curriculum). */
  private readonly trainIdx: Uint32Array;
  private readonly valIdx: Uint32Array;
  /** This epoch's visiting order. */
  private readonly order: Uint32Array;
  /** trainIdx is 0, 1, 2, …: kernels read the samples directly, without the index list. */
  private readonly trainDirect: boolean;
  /** So is every epoch's order. */
  private readonly orderDirect: boolean;
  /** The loss pass also sums the next epoch's full-batch gradient (see the header). */
  private readonly fused: boolean;
  private readonly early: EarlyStopping | null;
  /** The parameters of the last record: what a diverged run reports. */
  private readonly lastGood: Float32Array;

  private phase: Phase = 'begin';
  private epochNo = 0;
  private pos = 0;
  private pool = 0;
  private lr: number;
  /** The loss pass in progress: samples [0, nTrain) are training, [nTrain, nTrain + nVal) validation. */
  private evalPos = 0;
  private trainSum = 0;
  private valSum = 0;
  private reference = 0;
  private lastLoss = NaN;
  private lastGoodLoss = NaN;
  /** The loss early stopping watches, of the last record: validation, or training without a split. */
  private monitored = NaN;
  /**
   * Sample-visits so far (the start, training, loss passes): a place in the run that does not depend
   * on how the run was cut into slices, so that a replay can stop where a board did (work(at − visits)).
   */
  visits = 0;
  /** Training samples visited so far. */
  trained = 0;
  /**
   * The worker role (host/distributed/): a push record (sink.push) every pushEvery training samples,
   * the next when `trained` reaches pushAt (never while it is Infinity). Set both before the first work.
   */
  pushEvery = 0;
  pushAt = Infinity;
  /** A push is out and its answer (setParams) has not come yet. */
  waiting = false;
  /** Whether training stops while waiting: Hogwild's read and AdaRevision's (the worker waits for each answer). */
  hold = false;

  constructor(
    private readonly ds: Dataset,
    private readonly cfg: TrainConfig,
    private readonly sink: RecordSink,
    /** 'desktop' when absent (no default parameters: Espruino has none). */
    private readonly source?: Source,
    /** The kernel set: the generated fast one (when absent), or referenceKernels (kernels/reference.ts) for checking it. */
    kernels?: (st: TrainingState) => Kernels,
  ) {
    const n = ds.n;
    const f = ds.features;
    if (n < 1) throw new RangeError('the dataset is empty');
    this.f = f;
    this.rng = new Random(cfg.seed);
    this.lr = cfg.lr;

    // split.ts's validationCount, written out: on the board every function costs heap (the parallel
    // runner's use of that function is checked against this in test/parallel/cluster.test.ts).
    this.nVal = cfg.valSplit > 0 ? Math.max(1, Math.floor(n * cfg.valSplit)) : 0;
    this.nTrain = n - this.nVal;
    if (this.nTrain < 1) throw new ConfigError('val-split', cfg.valSplit + ' of ' + n + ' samples leaves none to train on; use a smaller fraction or more data');
    this.order = new Uint32Array(n);
    this.trainIdx = new Uint32Array(this.nTrain);
    this.valIdx = new Uint32Array(Math.max(1, this.nVal));
    seededSplit(n, this.nVal, this.rng, this.trainIdx, this.valIdx, this.order);

    this.std = identityStandardization(f);
    if (cfg.standardize) fitStandardization(this.std, ds.x, f, this.trainIdx, this.nTrain, cfg.bias);
    if (cfg.curriculum) sortByDifficulty(this.trainIdx, this.nTrain, ds.x, f, this.std.mean, this.std.scale, n);
    this.trainDirect = this.nVal === 0 && !cfg.curriculum;
    this.orderDirect = this.trainDirect && !cfg.shuffle;
    this.fused = (cfg.batch === 0 || cfg.batch >= this.nTrain) && !cfg.shuffle && !cfg.curriculum && !cfg.standardize;

    const params = new Float32Array(f + 1);
    for (let j = 0; j < f; j++) params[j] = cfg.initW.length === 1 ? cfg.initW[0] : cfg.initW[j];
    params[f] = cfg.bias ? cfg.initB : 0;
    const theta = cfg.standardize ? new Float32Array(f + 1) : params;
    if (cfg.standardize) toTheta(this.std, f, params, theta);
    const optimizer = getOptimizer(cfg.optimizer);
    this.st = {
      x: ds.x,
      y: ds.y,
      f,
      bias: cfg.bias,
      np: cfg.bias ? f + 1 : f,
      theta,
      params,
      mean: this.std.mean,
      scale: this.std.scale,
      acc: new Float64Array(f + 1),
      grad: new Float64Array(f + 1),
      batchSize: 1,
      inBatch: 0,
      optimizer,
      opt: optimizer.init(f + 1, cfg),
      cfg,
      transforms: initTransforms(cfg, optimizer, this.rng),
    };
    this.kernels = (kernels || fastKernels)(this.st);
    this.early = cfg.patience > 0 ? initEarlyStopping(cfg.patience, cfg.minDelta, f + 1) : null;
    this.lastGood = new Float32Array(f + 1);
  }

  get epoch(): number {
    return this.epochNo;
  }
  get finished(): boolean {
    return this.phase === 'finished';
  }
  /** Runs to the end (the desktop's way). */
  run(): void {
    while (!this.finished) this.step(1e9);
  }

  /** Advances by about `budget` sample-visits (the board's way, a slice at a time); true while work remains. */
  work(budget: number): boolean {
    this.step(budget);
    return !this.finished;
  }

  /**
   * The worker role's answer from the server, between slices: θ ← v, or θ ← θ − v in float32
   * (EASGD's elastic move, elasticMove's rule in parallel/easgd.ts: the board-run replay checks
   * one against the other). v holds at least np values.
   */
  setParams(v: ArrayLike<number>, subtract: boolean): void {
    const t = this.st.theta;
    // First the parameters it replaces, as a push at this place: what the board learnt since its
    // last push reaches the server too (Downpour's accrued gradient survives a fetch).
    (this.sink.push as NonNullable<RecordSink['push']>)(this.visits, this.trained, t, this.f + 1);
    for (let j = 0; j < this.st.np; j++) t[j] = subtract ? fround(t[j] - v[j]) : v[j];
    this.toParams();
    this.waiting = false;
  }

  /** Ends the run now with reason "stopped", reporting the current parameters and their loss. */
  stop(): void {
    if (this.finished) return;
    if (this.phase === 'begin') this.begin();
    if (this.phase === 'train') {
      // Mid-epoch, the last completed epoch is the one before; a batch in progress is dropped.
      this.epochNo--;
      this.st.inBatch = 0;
      this.st.acc.fill(0);
      this.toParams();
    }
    this.lastLoss = fround(this.kernels.loss(this.trainDirect ? null : this.trainIdx, 0, this.nTrain, 0) / this.nTrain);
    this.finish('stopped', '');
  }

  private step(budget: number): void {
    const end = this.visits + budget;
    while (this.visits < end && this.phase !== 'finished' && !(this.hold && this.waiting)) {
      if (this.phase === 'begin') {
        this.begin();
        this.visits++;
      } else if (this.phase === 'train') {
        // A worker's training stops where its push is due (pushAt is Infinity otherwise). A compare,
        // not Math.min: on the board a call costs what a few operations do.
        const room = end - this.visits;
        const due = this.pushAt - this.trained;
        this.visits += this.trainWork(due < room ? due : room);
      } else {
        this.visits += this.evalWork(end - this.visits);
      }
      // The push, there (after a fused full-batch step, at the epoch's end: see startEpoch).
      if (this.trained >= this.pushAt && !this.finished) {
        this.pushAt = this.trained + this.pushEvery;
        // One push unanswered at a time: a push due before the last one's answer waits for the next due point.
        if (!this.waiting) (this.sink.push as NonNullable<RecordSink['push']>)(this.visits, this.trained, this.st.params, this.f + 1);
        this.waiting = true;
      }
    }
  }

  // ------------------------------------------------------------------ phases

  private begin(): void {
    const c = this.cfg;
    this.sink.start({ type: 'start', protocol: PROTOCOL_VERSION, source: this.source || 'desktop', config: c, samples: this.ds.n, features: this.f, train: this.nTrain, val: this.nVal });
    this.startEvaluation();
  }

  private startEpoch(): void {
    const c = this.cfg;
    this.epochNo++;
    this.lr = scheduledLr(c, this.epochNo - 1, this.lr);
    if (this.fused) {
      // The loss pass just summed this step's gradient over every training sample.
      this.kernels.step(this.nTrain, this.lr);
      this.trained += this.nTrain;
      if (this.thetaFinite()) this.startEvaluation();
      return;
    }
    this.pool = c.curriculum ? curriculumPool(this.epochNo, this.nTrain, c.curriculumEpochs) : this.nTrain;
    // Without shuffling the order never changes: copy it once, not every epoch.
    if (!this.orderDirect && (c.shuffle || this.epochNo === 1 || c.curriculum)) {
      for (let k = 0; k < this.pool; k++) this.order[k] = this.trainIdx[k];
      if (c.shuffle) this.rng.shuffle(this.order, this.pool);
    }
    this.st.batchSize = c.batch === 0 ? this.pool : Math.min(c.batch, this.pool);
    this.pos = 0;
    this.phase = 'train';
  }

  /** Up to `budget` samples of this epoch's batches; returns the samples visited. */
  private trainWork(budget: number): number {
    const from = this.pos;
    const to = Math.min(this.pool, from + Math.max(1, budget));
    this.kernels.train(this.orderDirect ? null : this.order, from, to, this.pool, this.lr);
    this.pos = to;
    this.trained += to - from;
    if (!this.thetaFinite()) return to - from;
    if (to === this.pool) {
      this.toParams();
      this.startEvaluation();
    }
    return to - from;
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
    const nt = this.nTrain;
    const total = nt + this.nVal;
    const start = this.evalPos;
    const end = Math.min(total, start + Math.max(1, budget));
    if (this.evalPos < nt) {
      const to = Math.min(nt, end);
      const idx = this.trainDirect ? null : this.trainIdx;
      this.trainSum = this.fused ? this.kernels.lossAndSums(idx, this.evalPos, to, this.trainSum) : this.kernels.loss(idx, this.evalPos, to, this.trainSum);
      this.evalPos = to;
    }
    if (this.evalPos >= nt && this.evalPos < end) {
      this.valSum = this.kernels.loss(this.valIdx, this.evalPos - nt, end - nt, this.valSum);
      this.evalPos = end;
    }
    if (this.evalPos === total) {
      const loss = fround(this.trainSum / nt);
      const val = this.nVal > 0 ? fround(this.valSum / this.nVal) : 0;
      if (this.epochNo === 0) this.initial(loss, val);
      else this.endEpoch(loss, val);
    }
    return end - start;
  }

  /** Epoch 0: the starting parameters' record, and the scale that divergence is judged against. */
  private initial(loss: number, val: number): void {
    if (!finite(loss) || !finite(val)) {
      this.lastLoss = NaN;
      this.finish('diverged', 'the loss at the starting parameters is not a finite float32: scale the data down, use --standardize, or give a smaller --init-w');
      return;
    }
    this.reference = divergenceReference(loss, this.ds.y, this.trainIdx, this.nTrain);
    this.record(loss, val);
    this.startEpoch();
  }

  private endEpoch(loss: number, val: number): void {
    if (!finite(loss) || !finite(val)) {
      // Never print a record that is not a number.
      this.diverged('the ' + (finite(loss) ? 'validation ' : '') + 'loss overflowed float32 in epoch ' + this.epochNo);
      return;
    }
    const previous = this.lastLoss;
    this.record(loss, val);
    // A worker's loss may jump when the server's parameters replace its own: the server judges
    // divergence over the global parameters (a loss that is not finite still ends the run here).
    const problem = this.pushEvery > 0 ? '' : lossDiverged(loss, previous, this.reference, this.epochNo, this.sink.num);
    if (problem) {
      this.diverged(problem);
      return;
    }
    if (this.early && this.stopEarly()) return;
    if (this.epochNo >= this.cfg.epochs) this.finish('epochs', '');
    else this.startEpoch();
  }

  /** Prints the epoch record for the current parameters, and hands the epoch to early stopping. */
  private record(loss: number, val: number): void {
    const p = this.st.params;
    this.lastLoss = loss;
    this.sink.epoch(this.epochNo, p, this.f, p[this.f], loss, this.nVal > 0 ? val : NaN, this.lr);
    this.lastGood.set(p);
    this.lastGoodLoss = loss;
    if (this.early && this.epochNo === 0) observeEpoch(this.early, 0, this.nVal > 0 ? val : loss, loss, p, this.st.theta);
    this.monitored = this.nVal > 0 ? val : loss;
  }

  /** Early stopping's verdict on the epoch just recorded; restores the best parameters when it ends the run. */
  private stopEarly(): boolean {
    const e = this.early as EarlyStopping;
    if (!observeEpoch(e, this.epochNo, this.monitored, this.lastLoss, this.st.params, this.st.theta)) return false;
    this.lastLoss = restoreBest(e, this.st.params, this.st.theta);
    this.finish('early_stop', 'no improvement of the ' + (this.nVal > 0 ? 'validation' : 'training') + ' loss for ' + e.patience + ' epochs; restored epoch ' + e.bestEpoch);
    return true;
  }

  /** After a kernel: false (and the run ends) when a parameter is no longer finite. */
  private thetaFinite(): boolean {
    if (allFinite(this.st.theta, this.st.np)) return true;
    this.lastLoss = NaN;
    this.diverged('the parameters became infinite or NaN in epoch ' + this.epochNo);
    return false;
  }

  private diverged(what: string): void {
    // Report the last parameters that were still finite rather than stream NaN.
    this.st.params.set(this.lastGood);
    this.lastLoss = this.lastGoodLoss;
    this.finish('diverged', what + lowerRateAdvice(this.lr, this.sink.num));
  }

  private finish(reason: DoneReason, message: string): void {
    const p = this.st.params;
    this.phase = 'finished';
    this.sink.done(reason, this.epochNo, p, this.f, p[this.f], this.lastLoss, this.early ? this.early.bestEpoch : -1, message);
  }

  /** The parameters in data units from θ, when they are not the same array. */
  private toParams(): void {
    if (this.st.theta !== this.st.params) fromTheta(this.std, this.f, this.st.theta, this.st.params, this.cfg.bias);
  }
}
