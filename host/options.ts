// The training options shared by `host run`, `host train` and `host compare`: declared once,
// parsed strictly, and handed to shared/config.ts's resolveConfig, which fills in the defaults
// of the chosen optimizer and checks ranges. Only options the user typed are passed on, so that
// `--optimizer adam` gets Adam's lr of 0.001 rather than SGD's 0.01.
import { Option, type Command } from 'commander';
import { ConfigError, DEFAULT_LR, defaultConfig, OPTIMIZERS, resolveConfig, SCHEDULES, type OptimizerName, type ScheduleName, type TrainConfig } from '../shared/config.ts';
import { formatF32 } from '../shared/protocol.ts';
import { parseDecimal, quoteCell } from './csv.ts';
import { UserError } from './errors.ts';
import { programName } from './program.ts';

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
  checkFloat32(flagName(spec), raw, v);
  return v;
}

/** The smallest float32 above 0 (a denormal), as it is usually written. */
const FLOAT32_TINY = '1.4e-45';

/**
 * Refuses a value that float32, the precision the engine, the board and torch keep numbers in,
 * turns from non-zero into 0: `--lr 1e-50` would otherwise train at a rate of 0 and say nothing.
 */
function checkFloat32(flag: string, raw: string, v: number): void {
  if (v !== 0 && Math.fround(v) === 0) {
    throw new UserError(`${flag} ${raw.trim()} rounds to 0 in float32, the precision the engine and torch keep numbers in; the smallest value above 0 is ${FLOAT32_TINY}`);
  }
}

function parseList(spec: Spec, raw: string): number[] {
  const parts = raw.split(',');
  return parts.map((part, i) => {
    const v = parseDecimal(part);
    if (v === null) {
      throw new UserError(`${flagName(spec)}: value ${i + 1} of ${parts.length}, ${quoteCell(part)}, is not a number; give comma-separated numbers such as 1,0.5`);
    }
    checkFloat32(flagName(spec), part, v);
    return v;
  });
}

/** Prints a warning as one line on stderr: "host: warning: …" (or "pico-trainer: warning: …"). */
export function printWarning(message: string): void {
  // `host compare` resolves one config per optimizer: say each thing once per command line.
  const key = process.argv.join('\0') + '\0' + message;
  if (printed.has(key)) return;
  printed.add(key);
  process.stderr.write(`${programName()}: warning: ${message}\n`);
}
const printed = new Set<string>();

/**
 * The training config for the options commander collected (strings, booleans), for data with
 * `features` features. Throws UserError naming the option for a malformed or out-of-range value,
 * or for one that would make the run mislead (see configWithWarnings); hands each option given
 * that has no effect to `warn` (default: one line on stderr).
 */
export function configFromOptions(opts: object, features: number, warn: (message: string) => void = printWarning): TrainConfig {
  const { config, warnings } = configWithWarnings(opts, features);
  for (const w of warnings) warn(w);
  return config;
}

/** configFromOptions without the printing: the config, and a sentence for every option given that does nothing. */
export function configWithWarnings(opts: object, features: number): { config: TrainConfig; warnings: string[] } {
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
  let config: TrainConfig;
  try {
    config = resolveConfig(partial as Partial<TrainConfig>, features);
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message);
    throw err;
  }
  refuseMisleading(config, given);
  return { config, warnings: optionWarnings(Object.keys(partial) as (keyof TrainConfig)[], config) };
}

/**
 * Refusals that shared/config.ts leaves to the host (the board's copy of it must stay small):
 * values torch.optim itself rejects, and settings whose run would not do what they say.
 */
function refuseMisleading(c: TrainConfig, given: Record<string, unknown>): void {
  for (const key of ['beta1', 'beta2'] as const) {
    // config.ts allows 0 to 1; torch.optim.Adam raises "Invalid beta parameter" for β ≥ 1 (rho
    // and alpha stay as they are: torch takes 0 ≤ rho ≤ 1 for Adadelta, any alpha ≥ 0 for RMSprop).
    if (c[key] >= 1) throw new UserError(`--${key} ${String(given[key] ?? c[key])}: must be below 1 (torch.optim.Adam requires 0 ≤ β < 1)`);
  }
  if (c.schedule === 'cosine' && c.etaMin > c.lr) {
    throw new UserError(
      `--eta-min ${formatF32(c.etaMin)}: is above the learning rate (${formatF32(c.lr)} for ${c.optimizer}), so the cosine schedule would raise the rate instead of lowering it; give an --eta-min below --lr`,
    );
  }
}

/**
 * Which settings read each option: an option the user gave that the chosen settings never read
 * does nothing, and says so (one sentence each). `optimizers`: only these update rules read it;
 * `schedules`: only these schedules; `needs`: the setting that must be on, and how to turn it on.
 */
interface Readers {
  optimizers?: readonly OptimizerName[];
  schedules?: readonly ScheduleName[];
  /** The setting this one needs (`key`), whether it is on, and what to say when it is not. */
  needs?: { key: keyof TrainConfig; on: (c: TrainConfig) => boolean; off: (c: TrainConfig) => string };
}

const SGD_RULES: readonly OptimizerName[] = ['sgd', 'momentum', 'nesterov'];
const ADAM_RULES: readonly OptimizerName[] = ['adam', 'adamw'];

export const OPTION_READERS: Partial<Record<keyof TrainConfig, Readers>> = {
  momentum: { optimizers: [...SGD_RULES, 'rmsprop'] },
  dampening: { optimizers: SGD_RULES, needs: { key: 'momentum', on: (c) => c.momentum > 0, off: () => 'without momentum: give --momentum 0.9, say (or --optimizer momentum)' } },
  nesterov: { optimizers: SGD_RULES },
  lrDecay: { optimizers: ['adagrad'] },
  initialAccumulator: { optimizers: ['adagrad'] },
  rho: { optimizers: ['adadelta'] },
  alpha: { optimizers: ['rmsprop'] },
  centered: { optimizers: ['rmsprop'] },
  beta1: { optimizers: ADAM_RULES },
  beta2: { optimizers: ADAM_RULES },
  amsgrad: { optimizers: ADAM_RULES },
  eps: { optimizers: OPTIMIZERS.filter((o) => SGD_RULES.indexOf(o) < 0) },
  stepSize: { schedules: ['step'] },
  gamma: { schedules: ['step', 'exponential'] },
  decay: { schedules: ['inverse'] },
  tMax: { schedules: ['cosine'] },
  etaMin: { schedules: ['cosine'] },
  initB: { needs: { key: 'bias', on: (c) => c.bias, off: () => 'with --no-bias: the model has no b; leave one of them out' } },
  noiseGamma: { needs: { key: 'noiseEta', on: (c) => c.noiseEta > 0, off: () => 'without --noise-eta: gradient noise is off; give --noise-eta 0.01, say' } },
  curriculumEpochs: { needs: { key: 'curriculum', on: (c) => c.curriculum, off: () => 'without --curriculum: add --curriculum' } },
  // Without a validation split, early stopping watches the training loss: --patience works alone.
  minDelta: { needs: { key: 'patience', on: (c) => c.patience > 0, off: () => 'without --patience: early stopping is off; give --patience 10, say' } },
  patience: {
    needs: {
      key: 'epochs',
      on: (c) => c.patience === 0 || c.patience <= c.epochs,
      off: (c) => `with --epochs ${c.epochs}: the run ends before ${c.patience} epochs without improvement can pass; give a smaller --patience or more --epochs`,
    },
  },
};

/** "a", "a or b", "a, b or c". */
function either(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** One sentence for each option in `given` that the settings of `c` do not read (OPTION_READERS). */
export function optionWarnings(given: readonly (keyof TrainConfig)[], c: TrainConfig): string[] {
  const out: string[] = [];
  for (const spec of TRAIN_OPTIONS) {
    const r = OPTION_READERS[spec.key];
    if (!r || given.indexOf(spec.key) < 0) continue;
    const flag = flagName(spec);
    if (r.optimizers && r.optimizers.indexOf(c.optimizer) < 0) {
      out.push(`${flag} does nothing with --optimizer ${c.optimizer}; only ${either(r.optimizers)} ${r.optimizers.length === 1 ? 'reads' : 'read'} it`);
    } else if (r.schedules && r.schedules.indexOf(c.schedule) < 0) {
      const fix = `give --schedule ${either(r.schedules)}`;
      out.push(c.schedule === 'constant' ? `${flag} does nothing without a schedule: ${fix}` : `${flag} does nothing with --schedule ${c.schedule}; only --schedule ${either(r.schedules)} reads it`);
    } else if (r.needs && !r.needs.on(c)) {
      out.push(`${flag} does nothing ${r.needs.off(c)}`);
    }
  }
  return out;
}

/** The training options the user gave (keys of TrainConfig), an absent --no-bias left out. */
export function givenTrainKeys(opts: object): string[] {
  const given = opts as Record<string, unknown>;
  return TRAIN_OPTIONS.filter((s) => given[s.key] !== undefined && !(s.key === 'bias' && given[s.key] === true)).map((s) => s.key);
}

/** Keys of the options object that are training options (the rest belong to the command). */
export const TRAIN_OPTION_KEYS: ReadonlySet<string> = new Set(TRAIN_OPTIONS.map((s) => s.key));
