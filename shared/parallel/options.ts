// A parallel run's own settings, beside the training config (config.ts) it shares with `host run`.
// One shape, one set of defaults, one validator for every runner (the simulated cluster, threads,
// and later the boards). Each option belongs to the algorithms listed in OWNERS: giving it to
// another is an error, not a silent no-op, so that a teacher never compares two runs that differ
// only in an option one of them ignored.
import { ConfigError, HYPER_PARAMETERS, OPTIMIZERS, optionName, type OptimizerName, type TrainConfig } from '../config.ts';

export const ALGORITHMS = ['sync', 'downpour', 'hogwild', 'adarevision', 'easgd'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const SHARDINGS = ['strided', 'contiguous'] as const;
export type Sharding = (typeof SHARDINGS)[number];

export interface ParallelConfig {
  algorithm: Algorithm;
  workers: number;
  /** strided: worker k gets training samples k, k + p, k + 2p, …; contiguous: p consecutive blocks. */
  shards: Sharding;
  /** Every worker gets the whole training set (with its own shuffle) instead of a shard. */
  replicate: boolean;
  /** The simulated cluster (§7 of the sheet): compute time per sample of each worker, in µs. */
  computeUs: number[];
  /** One-way link latency, and the most a message or a computation can take longer (µs). */
  latencyUs: number;
  jitterUs: number;
  /** Time the server spends on one message (µs). */
  serviceUs: number;
  /** Downpour: fetch the parameters every n steps, push the accrued gradient every n steps. */
  fetchEvery: number;
  pushEvery: number;
  /** Downpour: updates from worker 0 alone before the others start. */
  warmstart: number;
  /** Downpour: the replicas' own step size (-1: the same as --lr). */
  localLr: number;
  /** sync, downpour: the rule the server applies (Downpour's adagrad is the paper's form). */
  serverOptimizer: OptimizerName;
  /** Hogwild (simulated): µs between a coordinate's load and its store; another write inside is lost. */
  rmwUs: number;
  /** Hogwild: the step is multiplied by this after each pass (the paper's β; 1 keeps it constant). */
  passDecay: number;
  /** AdaRevision: updates a worker may have in flight before it waits; the revision itself (off: AdaGrad). */
  outstanding: number;
  revision: boolean;
  /** EASGD: the elastic step α = ηρ (-1: the paper's β/p with β = 0.9), the period τ, and the synchronous form. */
  elastic: number;
  period: number;
  synchronous: boolean;
}

/** The board's measured time per sample-update of per-sample SGD (the board-speed issue). */
export const BOARD_COMPUTE_US = 170;

export const PARALLEL_DEFAULTS: ParallelConfig = {
  algorithm: 'sync',
  workers: 4,
  shards: 'strided',
  replicate: false,
  computeUs: [BOARD_COMPUTE_US],
  // A Pico on USB CDC: about 1 ms each way for a short line, and a few hundred µs of spread.
  latencyUs: 1000,
  jitterUs: 200,
  serviceUs: 20,
  fetchEvery: 1,
  pushEvery: 1,
  warmstart: 0,
  localLr: -1,
  serverOptimizer: 'sgd',
  rmwUs: 0,
  passDecay: 1,
  outstanding: 1,
  revision: true,
  elastic: -1,
  period: 4,
  synchronous: false,
};

/** Downpour's server default, as in the paper (Dean et al. 2012). */
export const DOWNPOUR_SERVER = 'adagrad';

/** Which algorithms each option of ParallelConfig belongs to (absent: all). */
const OWNERS: Partial<Record<keyof ParallelConfig, readonly Algorithm[]>> = {
  fetchEvery: ['downpour'],
  pushEvery: ['downpour'],
  warmstart: ['downpour'],
  localLr: ['downpour'],
  serverOptimizer: ['sync', 'downpour'],
  rmwUs: ['hogwild'],
  passDecay: ['hogwild'],
  outstanding: ['adarevision'],
  revision: ['adarevision'],
  elastic: ['easgd'],
  period: ['easgd'],
  synchronous: ['easgd'],
  latencyUs: ['sync', 'downpour', 'adarevision', 'easgd'],
};

/** Training options that a parallel run takes (the rest of TrainConfig: refused). */
export const PARALLEL_TRAIN_KEYS: readonly (keyof TrainConfig)[] = ['lr', 'epochs', 'batch', 'shuffle', 'seed', 'bias', 'initW', 'initB', 'standardize', 'valSplit'];
/** Options of the server's optimizer (sync, downpour); `momentum` is also EAMSGD's δ. */
export const SERVER_KEYS: readonly (keyof TrainConfig)[] = HYPER_PARAMETERS.filter((k) => k !== 'lr');

const RANGES: Partial<Record<keyof ParallelConfig, [number, number, boolean]>> = {
  // [min, max, whole number]
  workers: [1, 64, true],
  latencyUs: [0, 1e7, true],
  jitterUs: [0, 1e7, true],
  serviceUs: [0, 1e7, true],
  fetchEvery: [1, 1e6, true],
  pushEvery: [1, 1e6, true],
  warmstart: [0, 1e9, true],
  localLr: [0, 1e6, false],
  rmwUs: [0, 1e7, true],
  passDecay: [0, 1, false],
  outstanding: [1, 1e6, true],
  elastic: [0, 1, false],
  period: [1, 1e6, true],
};

function range(key: keyof ParallelConfig, v: number): void {
  const r = RANGES[key];
  if (!r) return;
  const name = optionName(key);
  if (typeof v !== 'number' || !isFinite(v)) throw new ConfigError(name, `expected a finite number, got ${String(v)}`);
  if (r[2] && Math.floor(v) !== v) throw new ConfigError(name, `expected a whole number, got ${v}`);
  if (v < r[0] || v > r[1]) throw new ConfigError(name, `${v} is out of range: expected >= ${r[0]} and <= ${r[1]}`);
}

/**
 * Why option `key` (of ParallelConfig or TrainConfig) does not apply to `algorithm`, or '' when it
 * does. `host compare --algorithms` uses it to hand each algorithm only its own options.
 */
export function whyNot(key: string, algorithm: Algorithm): string {
  if (key in PARALLEL_DEFAULTS) {
    const owners = OWNERS[key as keyof ParallelConfig];
    return owners && owners.indexOf(algorithm) < 0 ? `belongs to ${owners.join(' and ')}, not ${algorithm}; leave it out` : '';
  }
  if (PARALLEL_TRAIN_KEYS.indexOf(key as keyof TrainConfig) >= 0) return '';
  if (SERVER_KEYS.indexOf(key as keyof TrainConfig) >= 0) {
    if (algorithm === 'sync' || algorithm === 'downpour' || (algorithm === 'easgd' && key === 'momentum')) return '';
    return `does not apply to ${algorithm}: ` + (algorithm === 'easgd' ? 'EASGD takes --momentum (EAMSGD) and no other optimizer option' : `${algorithm} has no server optimizer`);
  }
  return 'does not apply to parallel runs (they take --lr, --epochs, --batch, --shuffle, --seed, --no-bias, --init-w, --init-b, --standardize, --val-split)';
}

export interface ParallelInput {
  /** What the user gave (only those keys: ownership is checked on them). */
  parallel: Partial<ParallelConfig>;
  /** Training options the user gave (keys of TrainConfig), to check that they apply here. */
  trainKeys: readonly string[];
  /** The training config already resolved (config.ts) for the server's optimizer. */
  config: TrainConfig;
  /** Training samples (after the validation split): a shard needs at least one. */
  trainSamples: number;
}

/**
 * Completes and checks a parallel run's settings. Refuses, naming the option: an unknown algorithm,
 * an option that belongs to another algorithm, a training option that means nothing here, more
 * workers than samples, values out of range. Nothing has run when it throws.
 */
export function resolveParallel(input: ParallelInput): ParallelConfig {
  const given = input.parallel;
  const algorithm = given.algorithm ?? PARALLEL_DEFAULTS.algorithm;
  if (ALGORITHMS.indexOf(algorithm) < 0) {
    throw new ConfigError('algorithm', `unknown algorithm "${String(algorithm)}"; choose one of ${ALGORITHMS.join(', ')}`);
  }
  for (const k of Object.keys(given) as (keyof ParallelConfig)[]) {
    if (given[k] === undefined || k === 'algorithm') continue;
    if (!(k in PARALLEL_DEFAULTS)) throw new ConfigError(optionName(k), 'unknown setting');
    const why = whyNot(k, algorithm);
    if (why) throw new ConfigError(optionName(k), why);
  }
  for (const k of input.trainKeys) {
    const why = whyNot(k, algorithm);
    if (why) throw new ConfigError(optionName(k), why);
  }

  const c: ParallelConfig = JSON.parse(JSON.stringify(PARALLEL_DEFAULTS));
  if (algorithm === 'downpour') c.serverOptimizer = DOWNPOUR_SERVER;
  for (const k of Object.keys(given) as (keyof ParallelConfig)[]) {
    const v = given[k];
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  c.algorithm = algorithm;
  for (const k of Object.keys(RANGES) as (keyof ParallelConfig)[]) if (given[k] !== undefined || PARALLEL_DEFAULTS[k] !== -1) range(k, c[k] as number);
  if (SHARDINGS.indexOf(c.shards) < 0) throw new ConfigError('shards', `unknown sharding "${String(c.shards)}"; choose strided or contiguous`);
  if (OPTIMIZERS.indexOf(c.serverOptimizer) < 0) throw new ConfigError('server-optimizer', `unknown optimizer "${String(c.serverOptimizer)}"; choose one of ${OPTIMIZERS.join(', ')}`);
  if (given.replicate && given.shards !== undefined) throw new ConfigError('shards', 'does not apply with --replicate (every worker has the whole set)');
  if (!Array.isArray(c.computeUs) || (c.computeUs.length !== 1 && c.computeUs.length !== c.workers)) {
    throw new ConfigError('compute-us', `give one value for every worker or ${c.workers} comma-separated values, one per worker`);
  }
  for (let i = 0; i < c.computeUs.length; i++) {
    const v = c.computeUs[i];
    if (!(typeof v === 'number' && Math.floor(v) === v && v >= 1 && v <= 1e7)) throw new ConfigError('compute-us', `value ${i + 1} must be a whole number of µs from 1 to 1e7, got ${String(v)}`);
  }
  if (c.computeUs.length === 1) c.computeUs = new Array<number>(c.workers).fill(c.computeUs[0]);
  if (!c.replicate && c.workers > input.trainSamples) {
    throw new ConfigError('workers', `${c.workers} workers but only ${input.trainSamples} training sample${input.trainSamples === 1 ? '' : 's'}: every shard needs one; use fewer workers, more data, or --replicate`);
  }
  if (c.elastic === -1) c.elastic = c.algorithm === 'easgd' ? 0.9 / c.workers : 0;
  if (c.localLr === -1) c.localLr = input.config.lr;
  if (c.algorithm === 'easgd' && c.synchronous && c.elastic * c.workers > 1) {
    throw new ConfigError('elastic', `α·p = ${c.elastic * c.workers} > 1: the synchronous center would overshoot the workers' mean; use --elastic ${1 / c.workers} or less`);
  }
  return c;
}

/** The settings a start record carries: only what this algorithm reads. */
export function parallelSettings(c: ParallelConfig): { algorithm: string; workers: number } & Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(c) as (keyof ParallelConfig)[]) {
    const owners = OWNERS[k];
    if (owners && owners.indexOf(c.algorithm) < 0) continue;
    out[k] = c[k];
  }
  return out as { algorithm: string; workers: number } & Record<string, unknown>;
}
