// The options of a parallel run, as `host distributed` and `host compare --algorithms` declare
// them: each declared once here, parsed strictly, and handed to shared/parallel/options.ts, which
// fills in the defaults and refuses what does not belong to the chosen algorithm.
import { Option, type Command } from 'commander';
import { ConfigError, OPTIMIZERS, optionName, type TrainConfig } from '../../shared/config.ts';
import { ALGORITHMS, PARALLEL_DEFAULTS, PARALLEL_TRAIN_KEYS, resolveParallel, SERVER_KEYS, SHARDINGS, whyNot, type Algorithm, type ParallelConfig } from '../../shared/parallel/options.ts';
import { parseDecimal, quoteCell } from '../csv.ts';
import { UserError } from '../errors.ts';
import { validationCount } from '../../shared/split.ts';
import { addTrainOptions, configFromOptions, givenTrainKeys } from '../options.ts';

type Kind = 'integer' | 'number' | 'list' | 'boolean' | 'choice';

interface Spec {
  key: keyof ParallelConfig;
  flags: string;
  kind: Kind;
  help: string;
}

const D = PARALLEL_DEFAULTS;

/** Every parallel option, in --help order (the algorithm itself is declared by each command). */
export const PARALLEL_OPTIONS: readonly Spec[] = [
  { key: 'workers', flags: '--workers <n>', kind: 'integer', help: `simulated workers (default: ${D.workers})` },
  { key: 'shards', flags: '--shards <how>', kind: 'choice', help: `how the training samples are dealt: strided (k, k+p, …) or contiguous blocks (default: ${D.shards})` },
  { key: 'replicate', flags: '--replicate', kind: 'boolean', help: 'every worker gets the whole training set, with its own shuffle' },
  { key: 'computeUs', flags: '--compute-us <list>', kind: 'list', help: `µs per sample for each worker: one value, or one per worker (default: ${D.computeUs[0]}, a Pico's per-sample SGD)` },
  { key: 'latencyUs', flags: '--latency-us <n>', kind: 'integer', help: `one-way link latency in µs (default: ${D.latencyUs}, USB serial)` },
  { key: 'jitterUs', flags: '--jitter-us <n>', kind: 'integer', help: `each message and computation takes up to this many µs longer (default: ${D.jitterUs})` },
  { key: 'serviceUs', flags: '--service-us <n>', kind: 'integer', help: `µs the server spends on one message (default: ${D.serviceUs})` },
  { key: 'serverOptimizer', flags: '--server-optimizer <name>', kind: 'choice', help: "sync, downpour: the server's rule (default: sync sgd; downpour adagrad, in the paper's form)" },
  { key: 'fetchEvery', flags: '--fetch-every <n>', kind: 'integer', help: `downpour: fetch the parameters every n steps (default: ${D.fetchEvery})` },
  { key: 'pushEvery', flags: '--push-every <n>', kind: 'integer', help: `downpour: push the accrued gradient every n steps (default: ${D.pushEvery})` },
  { key: 'warmstart', flags: '--warmstart <n>', kind: 'integer', help: `downpour: updates from worker 1 alone before the others start (default: ${D.warmstart})` },
  { key: 'localLr', flags: '--local-lr <rate>', kind: 'number', help: "downpour: the replicas' own step size (default: --lr)" },
  { key: 'rmwUs', flags: '--rmw-us <n>', kind: 'integer', help: `hogwild: µs between a coordinate's load and store; a write between is lost (default: ${D.rmwUs})` },
  { key: 'passDecay', flags: '--pass-decay <beta>', kind: 'number', help: `hogwild: multiply the step by this after each pass (default: ${D.passDecay}; the paper used 0.9)` },
  { key: 'outstanding', flags: '--outstanding <k>', kind: 'integer', help: `adarevision: updates a worker may have in flight before it waits for an answer (default: ${D.outstanding}; more inject delay)` },
  { key: 'revision', flags: '--no-revision', kind: 'boolean', help: 'adarevision: leave the backlog unrevised (plain AdaGrad, the comparison under the same schedule)' },
  { key: 'elastic', flags: '--elastic <alpha>', kind: 'number', help: 'easgd: the elastic step α (default: 0.9 / workers)' },
  { key: 'period', flags: '--period <tau>', kind: 'integer', help: `easgd: local steps between exchanges with the center (default: ${D.period})` },
  { key: 'synchronous', flags: '--synchronous', kind: 'boolean', help: 'easgd: the synchronous form (all workers exchange at once)' },
];

/** The training options a parallel run takes (the others are not declared). */
const TRAIN_KEYS: readonly string[] = [...PARALLEL_TRAIN_KEYS, ...SERVER_KEYS];

export function addParallelOptions(cmd: Command, withTrainOptions = true): Command {
  for (const spec of PARALLEL_OPTIONS) {
    const option = new Option(spec.flags, spec.help);
    if (spec.key === 'shards') option.choices(SHARDINGS);
    if (spec.key === 'serverOptimizer') option.choices(OPTIMIZERS);
    cmd.addOption(option);
  }
  if (withTrainOptions) addTrainOptions(cmd, TRAIN_KEYS);
  return cmd;
}

function flag(spec: Spec): string {
  return spec.flags.split(' ')[0];
}

function number(spec: Spec, raw: string): number {
  const v = parseDecimal(raw);
  if (v === null) throw new UserError(`${flag(spec)}: expected a number, got ${quoteCell(raw)}`);
  if (spec.kind === 'integer' && !Number.isInteger(v)) throw new UserError(`${flag(spec)}: expected a whole number, got ${quoteCell(raw)}`);
  return v;
}

/** The parallel settings the user typed (strings → values), keys of ParallelConfig only. */
export function parallelFromOptions(opts: object, algorithm: string): Partial<ParallelConfig> {
  const given = opts as Record<string, unknown>;
  const out: Record<string, unknown> = { algorithm };
  for (const spec of PARALLEL_OPTIONS) {
    const raw = given[spec.key];
    // commander gives `revision: true` for an absent --no-revision: only a given flag counts.
    if (raw === undefined || (spec.flags.startsWith('--no-') && raw === true)) continue;
    if (spec.kind === 'boolean' || spec.kind === 'choice') out[spec.key] = raw;
    else if (spec.kind === 'list') out[spec.key] = String(raw).split(',').map((part) => number({ ...spec, kind: 'integer' }, part));
    else out[spec.key] = number(spec, String(raw));
  }
  return out as Partial<ParallelConfig>;
}

/** The first parallel option given, as typed (--period), or '' when none is. */
export function parallelOptionsGiven(opts: object): string {
  const given = opts as Record<string, unknown>;
  const spec = PARALLEL_OPTIONS.find((s) => given[s.key] !== undefined && !(s.flags.startsWith('--no-') && given[s.key] === true));
  return spec ? flag(spec) : '';
}

/**
 * The options of `opts` that apply to `algorithm` (the others removed), for a comparison of several
 * algorithms; throws for an option that applies to none of `algorithms`.
 */
export function optionsFor(opts: object, algorithm: Algorithm, algorithms: readonly Algorithm[]): Record<string, unknown> {
  const given = opts as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = [...PARALLEL_OPTIONS.map((s) => s.key as string), ...givenTrainKeys(opts)];
  const negated = PARALLEL_OPTIONS.filter((s) => s.flags.startsWith('--no-')).map((s) => s.key as string);
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || (v === true && negated.indexOf(k) >= 0)) continue;
    if (keys.indexOf(k) < 0) {
      out[k] = v;
      continue;
    }
    if (!whyNot(k, algorithm)) {
      out[k] = v;
      continue;
    }
    if (algorithms.every((a) => whyNot(k, a))) throw new UserError(`--${optionName(k)}: ${whyNot(k, algorithm)}`);
  }
  return out;
}

/**
 * The training config and the parallel settings for `algorithm` from the command's options, for
 * data with `features` features and `trainSamples` training samples. Nothing runs before both are
 * checked; a mistake is one line naming the option.
 */
export function resolveParallelRun(opts: object, algorithm: string, features: number, samples: number): { config: TrainConfig; parallel: ParallelConfig } {
  const partial = parallelFromOptions(opts, algorithm);
  const server = (opts as { serverOptimizer?: string }).serverOptimizer;
  // The training config's optimizer is the server's rule where there is one (its torch defaults:
  // eps, lr), else SGD, the rule every worker's local step follows.
  const optimizer = algorithm === 'downpour' ? (server ?? 'adagrad') : algorithm === 'sync' ? (server ?? 'sgd') : 'sgd';
  // A batch is the whole shard for sync (one round, one full-batch step) and one sample for the
  // asynchronous algorithms, unless --batch says otherwise.
  const batch = (opts as { batch?: string }).batch ?? (algorithm === 'sync' ? '0' : '1');
  const config = configFromOptions({ ...(opts as Record<string, unknown>), optimizer, batch }, features);
  const trainSamples = samples - validationCount(samples, config.valSplit);
  try {
    const parallel = resolveParallel({ parallel: partial, trainKeys: givenTrainKeys(opts), config, trainSamples });
    return { config, parallel };
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message);
    throw err;
  }
}

export { ALGORITHMS };
