// The training options shared by `host run`, `host train` and `host compare`: declared once,
// parsed strictly, and handed to shared/config.ts's resolveConfig, which fills in the defaults
// of the chosen optimizer and checks ranges. Only options the user typed are passed on, so that
// `--optimizer adam` gets Adam's lr of 0.001 rather than SGD's 0.01.
import { Option, type Command } from 'commander';
import { ConfigError, DEFAULT_LR, defaultConfig, OPTIMIZERS, resolveConfig, SCHEDULES, type TrainConfig } from '../shared/config.ts';
import { parseDecimal, quoteCell } from './csv.ts';
import { UserError } from './errors.ts';

type Kind = 'number' | 'integer' | 'list' | 'boolean' | 'choice';

interface Spec {
  key: keyof TrainConfig;
  flags: string;
  kind: Kind;
  help: string;
  /** Shown as "(default: …)"; computed from shared/config.ts where it is a plain value. */
  default?: string;
}

const D = defaultConfig('sgd');
const lrDefaults = OPTIMIZERS.filter((o) => DEFAULT_LR[o] !== DEFAULT_LR.sgd)
  .map((o) => `${o} ${DEFAULT_LR[o]}`)
  .join(', ');

/** Every training option, in --help order. Flags are the exact spellings of config.ts's OPTION_NAMES. */
export const TRAIN_OPTIONS: readonly Spec[] = [
  { key: 'optimizer', flags: '--optimizer <name>', kind: 'choice', help: 'update rule (torch.optim semantics)', default: D.optimizer },
  { key: 'lr', flags: '--lr <rate>', kind: 'number', help: 'learning rate', default: `${DEFAULT_LR.sgd}; ${lrDefaults}` },
  { key: 'momentum', flags: '--momentum <m>', kind: 'number', help: 'SGD/RMSprop momentum factor, 0 to 1', default: `${D.momentum}; momentum and nesterov 0.9` },
  { key: 'dampening', flags: '--dampening <d>', kind: 'number', help: 'SGD momentum dampening, 0 to 1', default: String(D.dampening) },
  { key: 'nesterov', flags: '--nesterov', kind: 'boolean', help: 'Nesterov momentum for SGD (needs --momentum > 0)', default: 'off; on for nesterov' },
  { key: 'weightDecay', flags: '--weight-decay <wd>', kind: 'number', help: 'L2 penalty (decoupled for adamw)', default: `${D.weightDecay}; adamw 0.01` },
  { key: 'lrDecay', flags: '--lr-decay <d>', kind: 'number', help: 'Adagrad learning-rate decay', default: String(D.lrDecay) },
  { key: 'initialAccumulator', flags: '--initial-accumulator <v>', kind: 'number', help: 'Adagrad initial accumulator value', default: String(D.initialAccumulator) },
  { key: 'rho', flags: '--rho <r>', kind: 'number', help: 'Adadelta running-average coefficient, 0 to 1', default: String(D.rho) },
  { key: 'alpha', flags: '--alpha <a>', kind: 'number', help: 'RMSprop smoothing constant, 0 to 1', default: String(D.alpha) },
  { key: 'centered', flags: '--centered', kind: 'boolean', help: 'centered RMSprop (normalise by the gradient variance)', default: 'off' },
  { key: 'beta1', flags: '--beta1 <b>', kind: 'number', help: 'Adam/AdamW first-moment coefficient', default: String(D.beta1) },
  { key: 'beta2', flags: '--beta2 <b>', kind: 'number', help: 'Adam/AdamW second-moment coefficient', default: String(D.beta2) },
  { key: 'eps', flags: '--eps <e>', kind: 'number', help: 'term added to denominators for stability', default: `${D.eps}; adagrad 1e-10, adadelta 1e-6` },
  { key: 'amsgrad', flags: '--amsgrad', kind: 'boolean', help: 'AMSGrad variant of Adam/AdamW', default: 'off' },
  { key: 'batch', flags: '--batch <n>', kind: 'integer', help: 'samples per step: 0 = full batch, 1 = per-sample SGD, N = mini-batches', default: String(D.batch) },
  { key: 'epochs', flags: '--epochs <n>', kind: 'integer', help: 'passes over the training data', default: String(D.epochs) },
  { key: 'bias', flags: '--no-bias', kind: 'boolean', help: 'fit y = w·x without the bias b (the seed scripts\' model)', default: 'with bias' },
  { key: 'initW', flags: '--init-w <list>', kind: 'list', help: 'starting weights, comma-separated: one value for every feature, or one per feature', default: D.initW.join(',') },
  { key: 'initB', flags: '--init-b <b>', kind: 'number', help: 'starting bias', default: String(D.initB) },
  { key: 'shuffle', flags: '--shuffle', kind: 'boolean', help: 'shuffle the training samples every epoch (seeded)', default: 'off: data order' },
  { key: 'seed', flags: '--seed <n>', kind: 'integer', help: 'seed for shuffling, the validation split and gradient noise', default: String(D.seed) },
  { key: 'valSplit', flags: '--val-split <f>', kind: 'number', help: 'fraction of samples held out for validation, 0 to 0.9', default: String(D.valSplit) },
  { key: 'patience', flags: '--patience <n>', kind: 'integer', help: 'early stopping: epochs without improvement before stopping (0 = off)', default: String(D.patience) },
  { key: 'minDelta', flags: '--min-delta <d>', kind: 'number', help: 'early stopping: smallest loss decrease that counts as improvement', default: String(D.minDelta) },
  { key: 'schedule', flags: '--schedule <name>', kind: 'choice', help: 'learning-rate schedule, applied per epoch', default: D.schedule },
  { key: 'stepSize', flags: '--step-size <n>', kind: 'integer', help: 'step schedule: epochs between multiplications by --gamma', default: String(D.stepSize) },
  { key: 'gamma', flags: '--gamma <g>', kind: 'number', help: 'step/exponential schedule: multiplier for the learning rate', default: String(D.gamma) },
  { key: 'decay', flags: '--decay <d>', kind: 'number', help: 'inverse schedule: lr / (1 + decay·epoch)', default: String(D.decay) },
  { key: 'tMax', flags: '--t-max <n>', kind: 'integer', help: 'cosine schedule: period in epochs (0 = the run\'s epochs)', default: String(D.tMax) },
  { key: 'etaMin', flags: '--eta-min <lr>', kind: 'number', help: 'cosine schedule: lowest learning rate', default: String(D.etaMin) },
  { key: 'noiseEta', flags: '--noise-eta <eta>', kind: 'number', help: 'gradient noise: variance eta / (1 + t)^gamma (0 = off)', default: String(D.noiseEta) },
  { key: 'noiseGamma', flags: '--noise-gamma <g>', kind: 'number', help: 'gradient noise: annealing exponent', default: String(D.noiseGamma) },
  { key: 'curriculum', flags: '--curriculum', kind: 'boolean', help: 'curriculum learning: train on easy samples first', default: 'off' },
  { key: 'curriculumEpochs', flags: '--curriculum-epochs <n>', kind: 'integer', help: 'curriculum: epochs over which the pool of samples grows to all of them (0 = all samples from the start, in curriculum order)', default: String(D.curriculumEpochs) },
  { key: 'standardize', flags: '--standardize', kind: 'boolean', help: 'standardize features on the training split; parameters are reported in the data\'s units', default: 'off' },
];

/** Declares every training option (or those of `keys`) on `cmd`. No commander defaults: see configFromOptions. */
export function addTrainOptions(cmd: Command, keys?: readonly string[]): Command {
  for (const spec of TRAIN_OPTIONS) {
    if (keys && keys.indexOf(spec.key) < 0) continue;
    const option = new Option(spec.flags, `${spec.help} (default: ${spec.default})`);
    if (spec.key === 'optimizer') option.choices(OPTIMIZERS);
    if (spec.key === 'schedule') option.choices(SCHEDULES);
    cmd.addOption(option);
  }
  return cmd;
}

/** The option's CLI spelling without its argument, e.g. "--weight-decay". */
function flagName(spec: Spec): string {
  return spec.flags.split(' ')[0];
}

function parseNumber(spec: Spec, raw: string): number {
  const v = parseDecimal(raw);
  if (v === null) {
    throw new UserError(`${flagName(spec)}: expected a ${spec.kind === 'integer' ? 'whole number' : 'number'} such as ${spec.kind === 'integer' ? '10' : '0.01'}, got ${quoteCell(raw)}`);
  }
  if (spec.kind === 'integer' && !Number.isInteger(v)) throw new UserError(`${flagName(spec)}: expected a whole number, got ${quoteCell(raw)}`);
  return v;
}

function parseList(spec: Spec, raw: string): number[] {
  const parts = raw.split(',');
  return parts.map((part, i) => {
    const v = parseDecimal(part);
    if (v === null) {
      throw new UserError(`${flagName(spec)}: value ${i + 1} of ${parts.length}, ${quoteCell(part)}, is not a number; give comma-separated numbers such as 1,0.5`);
    }
    return v;
  });
}

/**
 * The training config for the options commander collected (strings, booleans), for data with
 * `features` features. Throws UserError naming the option for a malformed or out-of-range value.
 */
export function configFromOptions(opts: object, features: number): TrainConfig {
  const given = opts as Record<string, unknown>;
  const partial: Record<string, unknown> = {};
  for (const spec of TRAIN_OPTIONS) {
    const raw = given[spec.key];
    if (raw === undefined) continue;
    if (spec.kind === 'boolean') {
      // commander gives `bias: true` for an absent --no-bias; true is the default either way.
      if (typeof raw !== 'boolean') throw new UserError(`${flagName(spec)}: takes no value`);
      if (spec.key === 'bias' && raw) continue;
      partial[spec.key] = raw;
    } else if (typeof raw !== 'string') {
      throw new UserError(`${flagName(spec)}: expected a value`);
    } else if (spec.kind === 'choice') {
      partial[spec.key] = raw;
    } else if (spec.kind === 'list') {
      partial[spec.key] = parseList(spec, raw);
    } else {
      partial[spec.key] = parseNumber(spec, raw);
    }
  }
  try {
    return resolveConfig(partial as Partial<TrainConfig>, features);
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message);
    throw err;
  }
}

/** The training options the user gave (keys of TrainConfig), an absent --no-bias left out. */
export function givenTrainKeys(opts: object): string[] {
  const given = opts as Record<string, unknown>;
  return TRAIN_OPTIONS.filter((s) => given[s.key] !== undefined && !(s.key === 'bias' && given[s.key] === true)).map((s) => s.key);
}

/** Keys of the options object that are training options (the rest belong to the command). */
export const TRAIN_OPTION_KEYS: ReadonlySet<string> = new Set(TRAIN_OPTIONS.map((s) => s.key));
