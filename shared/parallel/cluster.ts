// The simulated cluster: p workers and a server as a deterministic discrete-event model (§7 of
// ../shared/distributed-sgd.md). One thread, integer µs, no clock and no Math.random: the same
// settings give the same run, bit for bit, and staleness comes from the schedule alone.
//
// - Worker k computes a batch of B samples in B·c_k µs (+ up to J µs of jitter from its own stream).
// - Links are FIFO per direction: a message sent at t arrives at max(t + L + jitter, the link's
//   previous arrival). (The sheet adds 1 µs to keep arrivals apart; here equal times keep their
//   order by sequence number instead, so that a zero latency is truly zero: a reduction to the
//   sequential algorithm then holds bit for bit.)
// - The server handles one message at a time: it starts at max(arrival, when it is free) and its
//   effects (apply, version + 1, replies) happen S µs later.
// - Events are ordered by (t, class, worker, seq): class 0 server done, 1 arrival at the server,
//   2 arrival at a worker, 3 a worker's computation starts or ends; seq is a global counter. This
//   order settles every tie, and puts everything that happens at t before a computation at t.
//
// The algorithms (sync.ts, downpour.ts, hogwild.ts, adarevision.ts, easgd.ts) are state machines
// over this model: they start computations, send messages and apply updates through ClusterContext.
// Progress is counted in sample-updates: an epoch-equivalent is N of them over all workers (N the
// training samples), and after each one the global parameters are recorded with every worker's own.
import { ConfigError, type TrainConfig } from '../config.ts';
import type { Dataset } from '../dataset.ts';
import { allFinite, lowerRateAdvice } from '../divergence.ts';
import { PROTOCOL_VERSION, formatF32, type DoneReason } from '../protocol.ts';
import type { Random } from '../random.ts';
import { newCursor, type Cursor } from './cursor.ts';
import { parallelSettings, type ParallelConfig } from './options.ts';
import type { ParallelSink } from './records.ts';
import { EpochRecorder } from './recorder.ts';
import { meanLoss, paramsOf, prepare, workerRandom, type ParallelSetup } from './setup.ts';

/** A message between a worker and the server: its kind and what it carries (the algorithm's). */
export interface Message {
  kind: string;
  /** The server version the sender's parameters come from. */
  read: number;
  /** Parameters or gradients in flight (copied when sent: a message is a snapshot). */
  values?: Float64Array;
  theta?: Float32Array;
  /** A second float32 vector (AdaRevision's ḡ at the read). */
  aux?: Float32Array;
  /** Samples whose gradients the message carries. */
  samples?: number;
}

/** What an algorithm does with the model. */
export interface ClusterContext {
  readonly setup: ParallelSetup;
  readonly cfg: TrainConfig;
  readonly par: ParallelConfig;
  /** The current simulated time, µs. */
  readonly now: number;
  /** The server's version: updates applied so far. */
  readonly version: number;
  /** The learning rate now (hogwild decays it per pass). */
  lr: number;
  /** Each worker's walk through its shard. */
  readonly cursors: Cursor[];
  /** Worker k starts computing `samples` samples now; its onCompute follows when they are done. */
  compute(k: number, samples: number): void;
  /** Worker k sends a message to the server. */
  send(k: number, m: Message): void;
  /** The server sends a message to worker k. */
  reply(k: number, m: Message): void;
  /** The server handles a message of its own `delay` µs from now (hogwild's delayed store). */
  later(k: number, delay: number, m: Message): void;
  /** Worker k's next event at this same instant, after everything else due now (a computation's start). */
  soon(k: number, m: Message): void;
  /**
   * The server applied an update from worker k computed from version `read`: the version moves on,
   * the update is recorded, and its `samples` count towards the epoch-equivalents. `sameVersion`:
   * one more worker's share of the update just applied (a synchronous round is one version).
   */
  applied(k: number, read: number, samples: number, lost: number, backlog: number, elastic: number, sameVersion?: boolean): void;
  /** Sample-updates that no server update carries (EASGD's local steps). */
  progress(samples: number): void;
}

/** An algorithm as the cluster runs it; its state is its own (S). */
export interface ClusterAlgorithm<S> {
  init(ctx: ClusterContext): S;
  /** Time 0: start the workers. */
  start(ctx: ClusterContext, s: S): void;
  /** Worker k finished the computation it started. */
  computed(ctx: ClusterContext, s: S, k: number): void;
  /** A message reached the server and its service time has passed: apply it. */
  serve(ctx: ClusterContext, s: S, k: number, m: Message): void;
  /** A message from the server (or from `soon`) reached worker k. */
  receive(ctx: ClusterContext, s: S, k: number, m: Message): void;
  /** The global parameters (θ): the server's, or EASGD's center. */
  global(s: S): Float32Array;
  /** Worker k's own copy (θ). */
  local(s: S, k: number): Float32Array;
  /** Counters for the done record beyond messages/pushes/fetches/updates. */
  counts?(s: S): Record<string, number>;
}

const SERVER_DONE = 0;
const AT_SERVER = 1;
const AT_WORKER = 2;
const AT_COMPUTE = 3;

interface SimEvent {
  t: number;
  cls: number;
  k: number;
  seq: number;
  m: Message | null;
}

/** A binary min-heap of events by (t, cls, k, seq). */
class EventQueue {
  private a: SimEvent[] = [];
  get size(): number {
    return this.a.length;
  }
  private static less(x: SimEvent, y: SimEvent): boolean {
    if (x.t !== y.t) return x.t < y.t;
    if (x.cls !== y.cls) return x.cls < y.cls;
    if (x.k !== y.k) return x.k < y.k;
    return x.seq < y.seq;
  }
  push(e: SimEvent): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!EventQueue.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): SimEvent {
    const a = this.a;
    const top = a[0];
    const last = a.pop() as SimEvent;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && EventQueue.less(a[l], a[m])) m = l;
        if (r < a.length && EventQueue.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

export interface ClusterSummary {
  reason: DoneReason;
  epochs: number;
  /** The global parameters at the end, in data units (w…, b). */
  params: Float32Array;
  loss: number;
  counts: Record<string, number>;
  /** FNV-1a of the final global θ's bytes: equal runs, equal hashes. */
  hash: number;
  /** Events handled (the bench's events/s). */
  events: number;
}

/** FNV-1a over the bytes of a float32 array. */
export function fnv1a(a: Float32Array): number {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

/**
 * Runs `algorithm` on the simulated cluster to cfg.epochs epoch-equivalents (or divergence) and
 * writes its records to `sink`. `par` and `cfg` are already resolved (options.ts, config.ts).
 */
export function simulate<S>(ds: Dataset, cfg: TrainConfig, par: ParallelConfig, algorithm: ClusterAlgorithm<S>, sink: ParallelSink): ClusterSummary {
  const setup = prepare(ds, cfg, par);
  if (!par.replicate && par.workers > setup.nTrain) {
    throw new ConfigError('workers', `${par.workers} workers but only ${setup.nTrain} training samples: every shard needs one; use fewer workers or --replicate`);
  }
  const p = par.workers;
  const f = setup.f;
  const N = setup.nTrain;
  const queue = new EventQueue();
  const rngs: Random[] = [];
  for (let k = 0; k < p; k++) rngs.push(workerRandom(cfg.seed ^ 0x5eed, k));
  const upArrival = new Array<number>(p).fill(0);
  const downArrival = new Array<number>(p).fill(0);
  let serverFree = 0;
  let seq = 0;
  let now = 0;
  let version = 0;
  let done = 0; // sample-updates so far
  let epoch = 0;
  let finished = false;
  let reason: DoneReason = 'epochs';
  let message = '';
  const counts = { messages: 0, pushes: 0, fetches: 0, updates: 0 };
  const workerSamples = new Array<number>(p).fill(0);
  const workerUpdates = new Array<number>(p).fill(0);
  const recorder = new EpochRecorder(setup, sink);
  const params = new Float32Array(f + 1);
  let lastLoss = NaN;

  const jitter = (k: number): number => (par.jitterUs > 0 ? rngs[k].int(par.jitterUs + 1) : 0);
  const schedule = (t: number, cls: number, k: number, m: Message | null): void => queue.push({ t, cls, k, seq: seq++, m });

  const ctx: ClusterContext = {
    setup,
    cfg,
    par,
    get now() {
      return now;
    },
    get version() {
      return version;
    },
    lr: cfg.lr,
    cursors: [],
    compute(k, samples) {
      workerSamples[k] += samples;
      schedule(now + samples * par.computeUs[k] + jitter(k), AT_COMPUTE, k, null);
    },
    send(k, m) {
      counts.messages++;
      if (m.kind === 'push' || m.kind === 'update' || m.kind === 'elastic') counts.pushes++;
      if (m.kind === 'fetch' || m.kind === 'read' || m.kind === 'update') counts.fetches++;
      const t = Math.max(now + par.latencyUs + jitter(k), upArrival[k]);
      upArrival[k] = t;
      schedule(t, AT_SERVER, k, m);
    },
    reply(k, m) {
      counts.messages++;
      const t = Math.max(now + par.latencyUs + jitter(k), downArrival[k]);
      downArrival[k] = t;
      schedule(t, AT_WORKER, k, m);
    },
    later(k, delay, m) {
      schedule(now + delay, SERVER_DONE, k, m);
    },
    soon(k, m) {
      schedule(now, AT_COMPUTE, k, m);
    },
    applied(k, read, samples, lost, backlog, elastic, sameVersion) {
      if (!sameVersion) version++;
      counts.updates++;
      workerUpdates[k]++;
      sink.update(k, now, read, version, lost, backlog, elastic);
      ctx.progress(samples);
    },
    progress(samples) {
      done += samples;
      while (!finished && done >= (epoch + 1) * N) {
        epoch++;
        record();
        if (par.passDecay !== 1) ctx.lr = Math.fround(ctx.lr * par.passDecay);
        if (!finished && epoch >= cfg.epochs) finish('epochs', '');
      }
    },
  };
  for (let k = 0; k < p; k++) (ctx.cursors as Cursor[]).push(newCursor(setup, cfg, k));

  const state = algorithm.init(ctx);

  function record(): void {
    const problem = recorder.record(
      epoch,
      algorithm.global(state),
      ctx.lr,
      version,
      now,
      (k) => algorithm.local(state, k),
      (k) => workerSamples[k],
      (k) => workerUpdates[k],
    );
    if (problem) diverge(problem);
  }

  /** Ends the run as diverged: the last finite parameters, and (past the start) a smaller rate to try. */
  function diverge(what: string): void {
    let advice = epoch === 0 ? '' : lowerRateAdvice(ctx.lr, formatF32);
    if (epoch > 0 && par.algorithm === 'downpour') advice += " (the replicas' own steps use --local-lr " + par.localLr + ')';
    if (epoch > 0 && p > 1) advice += '; staleness shrinks the largest stable step, so fewer workers also help';
    finish('diverged', what + advice);
  }

  function finish(r: DoneReason, msg: string): void {
    if (finished) return;
    finished = true;
    reason = r;
    message = msg;
  }

  sink.start({
    type: 'start',
    protocol: PROTOCOL_VERSION,
    source: 'cluster',
    config: cfg,
    samples: ds.n,
    features: f,
    train: N,
    val: setup.nVal,
    parallel: parallelSettings(par),
  });
  record();
  if (!finished) algorithm.start(ctx, state);
  let events = 0;
  while (!finished && queue.size > 0) {
    const e = queue.pop();
    now = e.t;
    events++;
    if (e.cls === SERVER_DONE) {
      algorithm.serve(ctx, state, e.k, e.m as Message);
    } else if (e.cls === AT_SERVER) {
      // The server takes messages one at a time, in arrival order.
      const start = Math.max(now, serverFree);
      serverFree = start + par.serviceUs;
      schedule(serverFree, SERVER_DONE, e.k, e.m);
    } else if (e.cls === AT_WORKER || e.m !== null) {
      algorithm.receive(ctx, state, e.k, e.m as Message);
    } else {
      algorithm.computed(ctx, state, e.k);
    }
    if (!finished && !allFinite(algorithm.global(state), setup.np)) {
      diverge('the global parameters became infinite or NaN at epoch-equivalent ' + (epoch + 1));
    }
  }
  if (!finished) finish('stopped', 'the workers stopped before the epochs were done');
  if ((reason as DoneReason) === 'diverged') {
    params.set(recorder.lastGood);
    lastLoss = recorder.lastGoodLoss;
  } else {
    paramsOf(setup, algorithm.global(state), params);
    lastLoss = meanLoss(setup, params, setup.trainIdx, N);
  }
  const all: Record<string, number> = { ...counts, ...(algorithm.counts ? algorithm.counts(state) : {}), time_us: now };
  sink.done(reason, epoch, params, f, lastLoss, message, all);
  return { reason, epochs: epoch, params: params.slice(), loss: lastLoss, counts: all, hash: fnv1a(algorithm.global(state)), events };
}
