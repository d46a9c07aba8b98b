// The records every parallel runner writes once per epoch-equivalent (the simulated cluster, the
// threads, later the boards' server), and the divergence guard over them, in one place:
//   epoch   the global θ in data units and its losses (epoch 0: the starting parameters as given,
//           as `host run` reports them, not θ's round trip through standardization);
//   worker  each worker's own θ and its loss on its shard;
// and the run's end: the last finite parameters and loss when it diverged.
import { allFinite, divergenceReference, finite, lossDiverged } from '../divergence.ts';
import { formatF32 } from '../protocol.ts';
import type { ParallelSink } from './records.ts';
import { meanLoss, paramsOf, type ParallelSetup } from './setup.ts';

export class EpochRecorder {
  /** The parameters (data units) and loss of the last epoch record: what a diverged run reports. */
  readonly lastGood: Float32Array;
  lastGoodLoss = NaN;
  /** The loss of the last record. */
  lastLoss = NaN;
  private reference = 0;
  private readonly params: Float32Array;
  private readonly wp: Float32Array;

  constructor(
    private readonly s: ParallelSetup,
    private readonly sink: ParallelSink,
  ) {
    // Before any record, the last good parameters are the starting ones.
    this.lastGood = s.params0.slice();
    this.params = new Float32Array(s.f + 1);
    this.wp = new Float32Array(s.f + 1);
  }

  private toData(epoch: number, theta: Float32Array, out: Float32Array): void {
    if (epoch === 0) out.set(this.s.params0);
    else paramsOf(this.s, theta, out);
  }

  /**
   * The epoch record of global θ, then one worker record per worker (`local(k)`, its counts);
   * returns what went wrong ('' when nothing did): a loss that is not finite, or one that diverged.
   * Nothing is recorded for a loss that is not finite.
   */
  record(
    epoch: number,
    theta: Float32Array,
    lr: number,
    version: number,
    timeUs: number,
    local: (k: number) => Float32Array,
    samples: (k: number) => number,
    updates: (k: number) => number,
  ): string {
    const s = this.s;
    const f = s.f;
    const p = this.params;
    this.toData(epoch, theta, p);
    const loss = allFinite(p, f + 1) ? meanLoss(s, p, s.trainIdx, s.nTrain) : NaN;
    const val = s.nVal > 0 && finite(loss) ? meanLoss(s, p, s.valIdx, s.nVal) : NaN;
    if (!finite(loss) || (s.nVal > 0 && !finite(val))) {
      if (epoch === 0) return 'the loss at the starting parameters is not a finite float32: scale the data down, use --standardize, or give a smaller --init-w';
      return 'the ' + (finite(loss) ? 'validation ' : '') + 'loss of the global parameters is no longer a finite float32 at epoch-equivalent ' + epoch;
    }
    this.sink.epoch(epoch, p, f, loss, val, lr, version, timeUs);
    for (let k = 0; k < s.shards.length; k++) {
      this.toData(epoch, local(k), this.wp);
      const shard = s.shards[k];
      const wl = allFinite(this.wp, f + 1) ? meanLoss(s, this.wp, shard, shard.length) : NaN;
      this.sink.worker(epoch, k, this.wp, f, wl, samples(k), updates(k));
    }
    const previous = this.lastLoss;
    this.lastGood.set(p);
    this.lastGoodLoss = this.lastLoss = loss;
    if (epoch === 0) {
      this.reference = divergenceReference(loss, s.y, s.trainIdx, s.nTrain);
      return '';
    }
    return lossDiverged(loss, previous, this.reference, epoch, formatF32);
  }
}
