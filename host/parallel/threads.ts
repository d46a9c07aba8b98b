// Hogwild! and synchronous data-parallel SGD on real threads (worker_threads + SharedArrayBuffer),
// as the sheet's §2 "laptop realization" describes (docs: /work/shared/distributed-sgd.md).
//
//   hogwild  every thread runs its shard through per-sample (or mini-batch) SGD on the one shared θ,
//            with plain loads and stores and no lock (thread-worker.ts). A pass = every thread through
//            its shard once; at its end the threads wait on a barrier, the main thread writes the
//            records, multiplies the step by --pass-decay (the paper's β) and releases them.
//   sync     per round every thread sums its batch's gradient at the current θ; at the barrier the
//            main thread combines the sums in thread order, batchGradient(Σ acc_k, f, Σ n_k) (each
//            shard weighted by its size), and applies θⱼ ← fround(θⱼ − η·gⱼ). One thread with
//            --batch 0 is `host run`'s full-batch GD, bit for bit; --batch B, B-sample rounds.
// --batch means what it means to `host run`, per thread: 1 per-sample, B mini-batches of B, 0 the whole
// batch (for hogwild: one update per thread and pass, from its whole shard; give --batch 1 for the
// paper's per-sample loop).
//
// Only the main thread writes records (through a ParallelSink): the start record (its `parallel`:
// parallelSettings less the simulator's timing, which no thread reads, plus `threads`), epoch 0 at the
// starting parameters, then after every pass the epoch record (global θ, its training loss, the
// version = updates so far, µs since the start) and one worker record per thread (its loss on its
// shard at the θ it read last). The done record's counts: updates, updates_per_s (training time only:
// from each release to the last thread's arrival, the recording between passes left out),
// lost_drift = max |Dⱼ| with D = (θ_T − θ₀) − Σ intended deltas (each write's stored minus loaded
// value, summed in float64 by its thread: D is the sum of the steps other writes overwrote, and
// rounding level, ~1e-15, when no update was lost), threads, passes, samples, time_us.
//
// A thread's worker runs a bundled copy of thread-worker.ts (esbuild, once per process, cached in the
// temp directory), or thread-worker.mjs through tsx when bundling fails; either way it starts under
// vitest and under `node host/bin.js` alike. Threads are terminated on every path.
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../worker-bundle.ts';
import { ConfigError, optionName, type TrainConfig } from '../../shared/config.ts';
import type { Dataset } from '../../shared/dataset.ts';
import { allFinite, finite, lowerRateAdvice } from '../../shared/divergence.ts';
import { parallelSettings, type ParallelConfig } from '../../shared/parallel/options.ts';
import type { ParallelSink } from '../../shared/parallel/records.ts';
import { EpochRecorder } from '../../shared/parallel/recorder.ts';
import { paramsOf, prepare } from '../../shared/parallel/setup.ts';
import { combineSums } from '../../shared/parallel/sync.ts';
import { PROTOCOL_VERSION, formatF32, type DoneReason, type StartRecord } from '../../shared/protocol.ts';
import {
  ACC,
  ARRIVED,
  COUNT,
  ctrlBytes,
  GEN,
  INTENDED,
  LR,
  SAMPLES,
  SLOT,
  SNAP,
  STOP,
  THETA_BYTES,
  UPDATES,
  wideBase,
  wideBytes,
  type ThreadWorkerData,
} from './layout.ts';

export interface ThreadsOptions {
  /** hogwild: each coordinate's step as the paper's atomic add (a compare-and-swap loop), for comparison. */
  cas?: boolean;
}

export interface ThreadsSummary {
  reason: DoneReason;
  /** Updates applied to θ (hogwild: every thread's writes; sync: rounds). */
  updates: number;
  /** Training time: from each release of the threads to the last one's arrival, summed. */
  seconds: number;
  updatesPerSecond: number;
  /** Lost-update drift max |Dⱼ| (see the header); -1 when it never was a finite number. */
  drift: number;
  passes: number;
  /** Training time of each pass (s): the first one includes the threads' JIT warm-up. */
  passSeconds: number[];
  /** The final parameters in data units, and their training loss (those of the done record). */
  w: number[];
  b: number;
  loss: number;
}

// ------------------------------------------------------------------ the worker's code

/** The URL to start a thread from: the bundled worker (plain JavaScript), or the tsx entry. */
export function threadWorkerUrl(): Promise<URL> {
  return workerUrl(new URL('./thread-worker.ts', import.meta.url), 'thread', new URL('./thread-worker.mjs', import.meta.url));
}

// ------------------------------------------------------------------ checks

/** Settings of TrainConfig that the threads do not implement: refused rather than ignored. */
function refuseIgnored(cfg: TrainConfig, par: ParallelConfig): void {
  const plain = 'the threads run plain SGD with a constant step per pass';
  if (cfg.optimizer !== 'sgd' || cfg.momentum !== 0) throw new ConfigError(cfg.momentum !== 0 ? 'momentum' : 'optimizer', `${plain}; leave it out`);
  if (par.algorithm === 'sync' && par.serverOptimizer !== 'sgd') throw new ConfigError('server-optimizer', `${plain}: sync on threads applies sgd; leave it out`);
  const off: (keyof TrainConfig)[] = ['weightDecay', 'noiseEta', 'patience', 'curriculum'];
  for (const k of off) if (cfg[k]) throw new ConfigError(optionName(k), `does not apply to threads (${plain}); leave it out`);
  if (cfg.schedule !== 'constant') throw new ConfigError('schedule', `does not apply to threads (${plain}${par.algorithm === 'hogwild' ? '; --pass-decay multiplies it after each pass' : ''}); leave it out`);
  if (par.algorithm === 'hogwild' && par.rmwUs !== 0) throw new ConfigError('rmw-us', "is the simulated Hogwild's read-modify-write window; real threads have their own; leave it out");
}

function check(ds: Dataset, cfg: TrainConfig, par: ParallelConfig, threads: number): void {
  if (par.algorithm !== 'hogwild' && par.algorithm !== 'sync') {
    throw new ConfigError('threads', `runs hogwild or sync, not ${par.algorithm}; use --algorithm hogwild or sync, or leave --threads out to simulate ${par.algorithm}`);
  }
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw new ConfigError('threads', `expected a whole number from 1 to 64, got ${threads}`);
  if (par.workers !== threads) throw new ConfigError('threads', `${threads} threads but --workers is ${par.workers}: one thread per worker; give the same number or leave --workers out`);
  if (ds.n < 1) throw new ConfigError('data', 'the dataset is empty');
  refuseIgnored(cfg, par);
}

// ------------------------------------------------------------------ the run

/** The simulated cluster's timing (§7 of the sheet): nothing a real thread reads. */
const SIMULATOR_ONLY = ['computeUs', 'latencyUs', 'jitterUs', 'serviceUs', 'rmwUs'];

/** The start record's `parallel`: the algorithm's settings less the simulator's timing, plus the thread count. */
function threadSettings(par: ParallelConfig, threads: number): NonNullable<StartRecord['parallel']> {
  const out = parallelSettings(par);
  for (const k of SIMULATOR_ONLY) delete out[k];
  out.threads = threads;
  return out;
}

type Waiter = (typedArray: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: Waiter }).waitAsync;

/**
 * Trains on `threads` threads, writing the records through `sink`. Throws ConfigError for settings
 * the threads do not take (before any thread starts), and an Error if a thread fails.
 */
export async function runThreads(ds: Dataset, cfg: TrainConfig, par: ParallelConfig, threads: number, sink: ParallelSink, opts: ThreadsOptions = {}): Promise<ThreadsSummary> {
  check(ds, cfg, par, threads);
  const setup = prepare(ds, cfg, par);
  const { f, np, nTrain, nVal } = setup;
  if (nTrain < 1) throw new ConfigError('val-split', `${cfg.valSplit} of ${ds.n} samples leaves none to train on; use a smaller fraction or more data`);
  for (let k = 0; k < threads; k++) {
    if (setup.shards[k].length === 0) throw new ConfigError('threads', `${threads} threads but only ${nTrain} training samples: every shard needs one; use fewer threads or --replicate`);
  }
  const p = threads;
  const hogwild = par.algorithm === 'hogwild';
  const maxShard = Math.max(...setup.shards.map((s) => s.length));
  const batchOf = (m: number): number => (cfg.batch === 0 ? m : Math.min(cfg.batch, m));
  const rounds = hogwild ? 1 : Math.ceil(maxShard / batchOf(maxShard));

  // Shared memory (layout.ts).
  const thetaSab = new SharedArrayBuffer(THETA_BYTES);
  const P = new Float32Array(thetaSab, 0, f + 1);
  P.set(setup.theta0);
  const xSab = new SharedArrayBuffer(ds.n * f * 4);
  new Float32Array(xSab).set(ds.x.subarray(0, ds.n * f));
  const ySab = new SharedArrayBuffer(ds.n * 4);
  new Float32Array(ySab).set(ds.y.subarray(0, ds.n));
  const ctrlSab = new SharedArrayBuffer(ctrlBytes(p));
  const ctrl = new Int32Array(ctrlSab);
  const wideSab = new SharedArrayBuffer(wideBytes(p));
  const wide = new Float64Array(wideSab);

  const url = await threadWorkerUrl();
  // The bundled worker is plain JavaScript: no need to start the parent's loaders (tsx) in it again.
  const execArgv = url.pathname.endsWith('thread-worker.mjs') ? undefined : [];
  const workers: Worker[] = [];
  let finished = false;
  let failure: Error | null = null;
  let fail!: (err: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = (err) => {
      if (failure === null) failure = err;
      reject(err);
    };
  });
  failed.catch(() => {});

  /** Resolves once `target` arrivals in all have been counted; rejects if a thread fails. */
  async function arrivals(target: number): Promise<void> {
    for (;;) {
      if (failure !== null) throw failure;
      const v = Atomics.load(ctrl, ARRIVED);
      if (v >= target) return;
      const r = waitAsync(ctrl, ARRIVED, v);
      if (r.async) await Promise.race([r.value, failed]);
    }
  }
  let arrived = 0;
  function release(): void {
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
  }

  try {
    for (let k = 0; k < p; k++) {
      const data: ThreadWorkerData = {
        k,
        mode: hogwild ? 'hogwild' : 'sync',
        ctrl: ctrlSab,
        wide: wideSab,
        theta: thetaSab,
        x: xSab,
        y: ySab,
        f,
        bias: setup.bias,
        np,
        mean: setup.std.mean,
        scale: setup.std.scale,
        shard: setup.shards[k],
        batch: hogwild ? batchOf(setup.shards[k].length) : batchOf(maxShard),
        rounds,
        shuffle: cfg.shuffle,
        seed: cfg.seed,
        cas: opts.cas === true,
      };
      const w = new Worker(url, { workerData: data, execArgv });
      workers.push(w);
      w.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))));
      w.on('exit', (code) => {
        if (!finished) fail(new Error(`thread ${k} stopped (exit code ${code}) before the run ended`));
      });
    }
    arrived += p;
    await arrivals(arrived); // every thread is up

    const t0 = performance.now();
    const micros = (): number => Math.round((performance.now() - t0) * 1000);
    sink.start({
      type: 'start',
      protocol: PROTOCOL_VERSION,
      source: 'threads',
      config: cfg,
      samples: ds.n,
      features: f,
      train: nTrain,
      val: nVal,
      parallel: threadSettings(par, p),
    });

    const theta = new Float32Array(f + 1);
    const params = new Float32Array(f + 1);
    const wtheta = new Float32Array(f + 1);
    const recorder = new EpochRecorder(setup, sink);
    let lr = cfg.lr;
    let trainSeconds = 0;
    let version = 0; // sync: rounds applied (hogwild counts the threads' own counters)
    let drift = -1;
    let passes = 0;
    const passSeconds: number[] = [];
    // sync: the main thread's own intended deltas, for the same drift figure.
    const mainIntended = new Float64Array(f + 1);
    const total = new Float64Array(f + 1);
    const grad = new Float64Array(f + 1);
    // sync: each thread's sums and count, as sync.ts's combineSums reads them.
    const sums = Array.from({ length: p }, (_, k) => wide.subarray(wideBase(k) + ACC, wideBase(k) + ACC + f + 1));
    const counts = new Array<number>(p).fill(0);

    const counter = (k: number, which: number): number => Atomics.load(ctrl, (k + 1) * SLOT + which);
    const updatesSoFar = (): number => {
      if (!hogwild) return version;
      let u = 0;
      for (let k = 0; k < p; k++) u += counter(k, UPDATES);
      return u;
    };
    const samplesSoFar = (): number => {
      let s = 0;
      for (let k = 0; k < p; k++) s += counter(k, SAMPLES);
      return s;
    };
    /** Thread k's θ as it last read it (its snapshot slot). */
    const local = (k: number): Float32Array => {
      const at = wideBase(k) + SNAP;
      for (let j = 0; j <= f; j++) wtheta[j] = wide[at + j];
      return wtheta;
    };
    const record = (epoch: number): string => {
      theta.set(P);
      return recorder.record(epoch, theta, lr, updatesSoFar(), epoch === 0 ? 0 : micros(), local, (k: number) => counter(k, SAMPLES), (k: number) => counter(k, UPDATES));
    };
    const measureDrift = (): void => {
      let worst = 0;
      for (let j = 0; j < np; j++) {
        let intended = mainIntended[j];
        for (let k = 0; k < p; k++) intended += wide[wideBase(k) + INTENDED + j];
        const dj = Math.abs(P[j] - setup.theta0[j] - intended);
        if (!(dj <= worst)) worst = dj;
      }
      if (finite(worst)) drift = worst;
    };
    const done = (reason: DoneReason, epoch: number, message: string): ThreadsSummary => {
      const updates = updatesSoFar();
      const ups = trainSeconds > 0 ? Math.round(updates / trainSeconds) : 0;
      if (reason !== 'diverged') paramsOf(setup, P.slice(), params);
      const loss = reason === 'diverged' ? recorder.lastGoodLoss : recorder.lastLoss;
      const out = reason === 'diverged' ? recorder.lastGood : params;
      sink.done(reason, epoch, out, f, loss, message, {
        updates,
        updates_per_s: ups,
        lost_drift: drift,
        threads: p,
        passes,
        samples: samplesSoFar(),
        time_us: micros(),
      });
      return { reason, updates, seconds: trainSeconds, updatesPerSecond: ups, drift, passes, passSeconds, w: Array.from(out.subarray(0, f)), b: out[f], loss };
    };

    // Epoch 0: the starting parameters.
    const first = record(0);
    if (first) return done('diverged', 0, first);

    for (let pass = 1; pass <= cfg.epochs; pass++) {
      wide[LR] = lr;
      const t = performance.now();
      for (let r = 0; r < rounds; r++) {
        release();
        arrived += p;
        await arrivals(arrived);
        if (!hogwild) {
          for (let k = 0; k < p; k++) counts[k] = wide[wideBase(k) + COUNT];
          if (counts.some((c) => c > 0)) {
            combineSums(sums, counts, f, total, grad);
            for (let j = 0; j < np; j++) {
              const old = P[j];
              P[j] = Math.fround(old - lr * grad[j]);
              mainIntended[j] += P[j] - old;
            }
            version++;
          }
        }
      }
      const dt = (performance.now() - t) / 1000;
      trainSeconds += dt;
      passSeconds.push(dt);
      passes = pass;
      if (!allFinite(P, np)) {
        return done('diverged', pass, 'the parameters became infinite or NaN in pass ' + pass + lowerRateAdvice(lr, formatF32));
      }
      measureDrift();
      const problem = record(pass);
      if (problem) return done('diverged', pass, problem + lowerRateAdvice(lr, formatF32));
      lr *= par.passDecay;
    }
    return done('epochs', cfg.epochs, '');
  } finally {
    finished = true;
    Atomics.store(ctrl, STOP, 1);
    release();
    Atomics.notify(ctrl, ARRIVED); // wakes a wait left pending by a failure
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
