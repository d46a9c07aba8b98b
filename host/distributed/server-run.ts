// What the parameter server keeps for a run with boards as workers, whichever way the boards work
// (rounds, boards.ts; or the firmware's worker role, stream.ts): the shards and their upload, the
// start record, the global parameters and the server's rule, the versions and each update's
// record, the epoch-equivalents (an epoch record of the global parameters with every board's own
// each N sample-updates over all boards, as on the simulated cluster), boards gone and back, and
// the done record.
import type { TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked, packedRows } from '../../shared/dataset.ts';
import { parallelSettings, type ParallelConfig } from '../../shared/parallel/options.ts';
import type { ParallelSink } from '../../shared/parallel/records.ts';
import { EpochRecorder } from '../../shared/parallel/recorder.ts';
import { serverRule } from '../../shared/parallel/server-optimizer.ts';
import { meanLoss, prepare, type ParallelSetup } from '../../shared/parallel/setup.ts';
import { PROTOCOL_VERSION, type DoneRecord } from '../../shared/protocol.ts';
import type { CsvDataset } from '../csv.ts';
import type { PushServer } from './boards.ts';
import { workerLr } from './worker-rules.ts';
import { UserError } from '../errors.ts';

export type ServerCounts = { rounds: number; pushes: number; fetches: number; updates: number; lost_boards: number; rejoined: number };

/** The data dealt into shards, each as the dataset a board is sent. Refuses what boards cannot do. */
export function boardShards(data: CsvDataset, cfg: TrainConfig, par: ParallelConfig): { setup: ParallelSetup; shards: CsvDataset[] } {
  if (cfg.standardize || cfg.valSplit > 0) throw new UserError(`--${cfg.standardize ? 'standardize' : 'val-split'}: not with boards yet (each board would fit its own shard); leave it out`);
  const ds = datasetFromPacked(data.packed, data.features);
  const setup = prepare(ds, cfg, par);
  const shards = setup.shards.map((rows) => ({ packed: packedRows(ds, rows), features: setup.f, rows: rows.length, header: null }));
  return { setup, shards };
}

/** What the server applies pushes with, as the run's settings say: θ₀, its rule, the rates (boards.ts PushServer). */
export function newPushServer(setup: ParallelSetup, cfg: TrainConfig, par: ParallelConfig): PushServer {
  return {
    server: setup.theta0.slice(),
    rule: serverRule(par.serverOptimizer, cfg, setup.f, cfg.bias, par.algorithm === 'downpour'),
    lr: cfg.lr,
    localLr: workerLr(par.algorithm, cfg, par),
    elastic: par.elastic,
    np: setup.np,
  };
}

export class BoardServer {
  /** The server's state and rates for applying pushes; `server` is its. */
  readonly push: PushServer;
  /** θ, or EASGD's center. */
  readonly server: Float32Array;
  /** Each board's parameters as last heard, and its training samples and applied updates. */
  readonly local: Float32Array[];
  readonly samples: number[];
  readonly updates: number[];
  readonly alive: boolean[];
  readonly counts: ServerCounts = { rounds: 0, pushes: 0, fetches: 0, updates: 0, lost_boards: 0, rejoined: 0 };
  joinedLate = 0;
  version = 0;
  epoch = 0;
  finished = false;
  reason: DoneRecord['reason'] = 'epochs';
  message = '';
  private readonly recorder: EpochRecorder;
  private readonly t0 = Date.now();
  private doneSamples = 0;

  constructor(
    readonly setup: ParallelSetup,
    readonly cfg: TrainConfig,
    readonly par: ParallelConfig,
    private readonly sink: ParallelSink,
    /** The workers' names (the ports), and what the start record's parallel settings add (round, push). */
    names: string[],
    extra: Record<string, unknown>,
    private readonly say: (text: string) => void,
  ) {
    const p = names.length;
    sink.start({
      type: 'start',
      protocol: PROTOCOL_VERSION,
      source: 'board',
      config: cfg,
      samples: setup.nTrain + setup.nVal,
      features: setup.f,
      train: setup.nTrain,
      val: 0,
      parallel: { ...parallelSettings(par), ...extra, ports: names },
    });
    this.push = newPushServer(setup, cfg, par);
    this.server = this.push.server;
    this.local = names.map(() => setup.theta0.slice());
    this.samples = new Array<number>(p).fill(0);
    this.updates = new Array<number>(p).fill(0);
    this.alive = new Array<boolean>(p).fill(true);
    this.recorder = new EpochRecorder(setup, sink);
    const first = this.record(0);
    if (first) this.finish('diverged', first);
  }

  micros(): number {
    return (Date.now() - this.t0) * 1000;
  }

  private record(epoch: number): string {
    return this.recorder.record(epoch, this.server, this.cfg.lr, this.version, this.micros(), (k) => this.local[k], (k) => this.samples[k], (k) => this.updates[k]);
  }

  /** Ends the run (the first reason given stands). */
  finish(reason: DoneRecord['reason'], message: string): void {
    if (this.finished) return;
    this.finished = true;
    this.reason = reason;
    this.message = message;
  }

  /** `n` more sample-updates over all boards: the epoch records they complete, and the end when due. */
  progress(n: number): void {
    this.doneSamples += n;
    while (!this.finished && this.doneSamples >= (this.epoch + 1) * this.setup.nTrain) {
      this.epoch++;
      const problem = this.record(this.epoch);
      if (problem) this.finish('diverged', problem);
      else if (this.epoch >= this.cfg.epochs) this.finish('epochs', '');
    }
  }

  /**
   * Board k's push applied: a new version, and its update record (read: the version its push started
   * from). `sameVersion`: one more board's share of the update just applied (a sync round is one version).
   */
  applied(k: number, read: number, elastic: number, sameVersion?: boolean, backlog = NaN): void {
    if (!sameVersion) this.version++;
    this.counts.pushes++;
    this.counts.updates++;
    this.updates[k]++;
    this.sink.update(k, this.micros(), read, this.version, -1, backlog, elastic);
  }

  /** Board k (`name`) is gone: said, recorded; the run ends when every board is. */
  lose(k: number, name: string, err: unknown): void {
    if (!this.alive[k]) return;
    this.alive[k] = false;
    this.counts.lost_boards++;
    const line = `board ${k + 1} (${name}) is gone: ${(err as Error).message}; the server goes on with the others`;
    this.sink.state(k, this.micros(), 'gone', line);
    this.say(line);
    if (this.alive.every((a) => !a)) this.finish('stopped', 'every board is gone');
  }

  /** Place k trains again (a board that restarted, or a late joiner in a lost board's place), from the current parameters. */
  back(k: number, line: string): void {
    this.alive[k] = true;
    this.local[k].set(this.server);
    this.sink.state(k, this.micros(), 'back', line);
    this.say(line);
  }

  /** The done record; returns the end and the counts it carries. */
  end(): { reason: DoneRecord['reason']; counts: Record<string, number> } {
    if (!this.finished) this.finish('stopped', 'the boards stopped before the epochs were done');
    const diverged = this.reason === 'diverged';
    const params = diverged ? this.recorder.lastGood : this.server;
    const loss = diverged ? this.recorder.lastGoodLoss : meanLoss(this.setup, this.server, this.setup.trainIdx, this.setup.nTrain);
    // Rounds are the round form's: boards in their worker role train one run each.
    const { rounds, ...counts } = this.counts;
    const all = { ...(rounds > 0 ? { rounds } : {}), ...counts, ...(this.joinedLate > 0 ? { joined_late: this.joinedLate } : {}), time_us: this.micros() };
    this.sink.done(this.reason, this.epoch, params, this.setup.f, loss, this.message, all);
    return { reason: this.reason, counts: all };
  }
}
