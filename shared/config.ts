// Training settings: one shape, one set of defaults, one validator, shared by `host run`,
// `host train` (which sends them to the board) and the firmware (which re-validates what arrives).
// Defaults follow torch.optim; where the seed scripts differ from torch (w starts at 1), the seeds win.

export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const SCHEDULES = ['constant', 'step', 'exponential', 'inverse', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** The hyper-parameters an optimizer reads. Unused ones are ignored by the optimizers that do not need them. */
export interface OptimizerOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  lrDecay: number;
  initialAccumulator: number;
  rho: number;
  alpha: number;
  centered: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
}

/** The keys of OptimizerOptions: an optimizer's hyper-parameters (every other setting shapes the run). */
export const HYPER_PARAMETERS = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'lrDecay', 'initialAccumulator', 'rho', 'alpha', 'centered', 'beta1', 'beta2', 'eps', 'amsgrad'] as const;
// Every key of OptimizerOptions is listed (a new one fails to compile here until it is).
const everyHyperParameter: Exclude<keyof OptimizerOptions, (typeof HYPER_PARAMETERS)[number]> extends never ? true : never = true;
void everyHyperParameter;

export interface TrainConfig extends OptimizerOptions {
  optimizer: OptimizerName;
  /** 0 = full batch, 1 = per-sample SGD, N = mini-batches of N. */
  batch: number;
  epochs: number;
  bias: boolean;
  /** Starting weights; one value is repeated for every feature. */
  initW: number[];
  initB: number;
  shuffle: boolean;
  seed: number;
  /** Fraction of samples held out for validation (0 = none). */
  valSplit: number;
  /** Early stopping: epochs without improvement before stopping (0 = off). */
  patience: number;
  minDelta: number;
  schedule: ScheduleName;
  /** step: every stepSize epochs multiply by gamma; exponential: gamma per epoch. */
  stepSize: number;
  gamma: number;
  /** inverse: lr / (1 + decay·epoch). */
  decay: number;
  /** cosine: period in epochs (0 = the run's epoch count) and floor. */
  tMax: number;
  etaMin: number;
  /** Annealed Gaussian gradient noise, variance noiseEta / (1 + t)^noiseGamma (0 = off). */
  noiseEta: number;
  noiseGamma: number;
  /** Curriculum: order training samples easy to hard; 0 = off, N = grow the pool over N epochs. */
  curriculum: boolean;
  curriculumEpochs: number;
  standardize: boolean;
}

/** torch.optim's default learning rate for each optimizer. */
export const DEFAULT_LR: Record<OptimizerName, number> = {
  sgd: 0.01, // torch has no SGD default; the seeds use 0.01
  momentum: 0.01,
  nesterov: 0.01,
  adagrad: 0.01,
  adadelta: 1.0,
  rmsprop: 0.01,
  adam: 0.001,
  adamw: 0.001,
};

/** Everything except lr, which depends on the optimizer (see defaultConfig). */
const BASE: Omit<TrainConfig, 'lr'> = {
  optimizer: 'sgd',
  momentum: 0,
  dampening: 0,
  nesterov: false,
  weightDecay: 0,
  lrDecay: 0,
  initialAccumulator: 0,
  rho: 0.9,
  alpha: 0.99,
  centered: false,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  amsgrad: false,
  batch: 0,
  epochs: 100,
  bias: true,
  initW: [1],
  initB: 0,
  shuffle: false,
  seed: 1,
  valSplit: 0,
  patience: 0,
  minDelta: 0,
  schedule: 'constant',
  stepSize: 10,
  gamma: 0.1,
  decay: 0.01,
  tMax: 0,
  etaMin: 0,
  noiseEta: 0,
  noiseGamma: 0.55,
  curriculum: false,
  curriculumEpochs: 0,
  standardize: false,
};

/** Per-optimizer defaults that differ from BASE (torch's values). */
function optimizerDefaults(name: OptimizerName): Partial<TrainConfig> {
  switch (name) {
    case 'momentum':
      return { momentum: 0.9 };
    case 'nesterov':
      return { momentum: 0.9, nesterov: true };
    case 'adagrad':
      return { eps: 1e-10 };
    case 'adadelta':
      return { eps: 1e-6 };
    case 'adamw':
      return { weightDecay: 0.01 };
    default:
      return {};
  }
}

export function defaultConfig(name?: OptimizerName): TrainConfig {
  // (No default parameters: Espruino, which runs this too, has none.)
  const optimizer = name || 'sgd';
  // Through JSON rather than object spreads: V8 gives spread clones a new hidden class after a few
  // calls, and every Trainer built on such a config then deoptimizes the code that reads it. Objects
  // from JSON.parse with the same keys in the same order share one (and have fast properties).
  return JSON.parse(JSON.stringify(Object.assign({}, BASE, optimizerDefaults(optimizer), { optimizer, lr: DEFAULT_LR[optimizer] })));
}

/** A bad setting: names the option (CLI spelling) so the user knows what to change. */
export class ConfigError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`--${option}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** The CLI spelling of a config key, for error messages: weightDecay → weight-decay, bias → no-bias. */
export function optionName(key: string): string {
  return key === 'bias' ? 'no-bias' : key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Whether `key` is a setting: every default's key, and lr. */
function isSetting(key: string): boolean {
  return key === 'lr' || Object.prototype.hasOwnProperty.call(BASE, key);
}

/** Every config key with its CLI spelling (the host's --help and tests; the board derives names on demand). */
export const OPTION_NAMES = /* @__PURE__ */ optionNames();

function optionNames(): Record<keyof TrainConfig, string> {
  const names: Record<string, string> = { lr: 'lr' };
  for (const k of Object.keys(BASE)) names[k] = optionName(k);
  return names as Record<keyof TrainConfig, string>;
}

// Ranges follow torch's own checks (e.g. 0 <= momentum, 0 <= rho <= 1), tightened where a
// value would silently make no sense on a 180 KB board (epochs, batch). Each is "min max", then
// `i` for a whole number and `>` when the minimum itself is excluded. (Text rather than an array
// per option: the board keeps this table in its heap, and 26 small arrays cost it a kilobyte.) The
// board reads these with Number(), which on Espruino is exact only for whole numbers up to 1e22.
const RANGES: Partial<Record<keyof TrainConfig, string>> = {
  lr: '0 1e6 >',
  momentum: '0 1',
  dampening: '0 1',
  weightDecay: '0 1e3',
  lrDecay: '0 1e6',
  initialAccumulator: '0 1e12',
  rho: '0 1',
  alpha: '0 1',
  beta1: '0 1',
  beta2: '0 1',
  eps: '0 1 >',
  batch: '0 1e9 i',
  epochs: '1 1e7 i',
  initB: '-1e22 1e22',
  seed: '0 4294967295 i',
  valSplit: '0 0.9',
  patience: '0 1e7 i',
  minDelta: '0 1e22',
  stepSize: '1 1e7 i',
  gamma: '0 1e6',
  decay: '0 1e6',
  tMax: '0 1e7 i',
  etaMin: '0 1e6',
  noiseEta: '0 1e6',
  noiseGamma: '0 10',
  curriculumEpochs: '0 1e7 i',
};

const BOOLEANS: (keyof TrainConfig)[] = ['nesterov', 'centered', 'amsgrad', 'bias', 'shuffle', 'curriculum', 'standardize'];

function checkNumber(key: keyof TrainConfig, v: unknown): number {
  const name = optionName(key);
  if (typeof v !== 'number' || !isFinite(v)) throw new ConfigError(name, `expected a finite number, got ${String(v)}`);
  const r = RANGES[key];
  if (r) {
    const parts = r.split(' ');
    const min = Number(parts[0]);
    const max = Number(parts[1]);
    const minOpen = parts.indexOf('>') > 1;
    if (parts.indexOf('i') > 1 && Math.floor(v) !== v) throw new ConfigError(name, `expected a whole number, got ${v}`);
    if (v < min || v > max || (minOpen && v === min)) {
      throw new ConfigError(name, `${v} is out of range: expected ${minOpen ? '>' : '>='} ${min} and <= ${max}`);
    }
  }
  return v;
}

/**
 * Completes and checks settings: unknown keys, wrong types and out-of-range values throw a
 * ConfigError naming the option. `partial.optimizer` chooses the defaults for the rest.
 * Uses only ES2019 built-ins, as it also runs on the board.
 */
export function resolveConfig(partial: Partial<TrainConfig>, featureCount?: number): TrainConfig {
  const features = featureCount === undefined ? 1 : featureCount;
  const opt = partial.optimizer ?? 'sgd';
  if (OPTIMIZERS.indexOf(opt) < 0) {
    throw new ConfigError('optimizer', `unknown optimizer "${String(opt)}"; choose one of ${OPTIMIZERS.join(', ')}`);
  }
  const cfg = defaultConfig(opt);
  // StepLR's gamma (0.1) would all but stop an exponential schedule: it gets its own default.
  if (partial.schedule === 'exponential' && partial.gamma === undefined) cfg.gamma = 0.95;
  const keys = Object.keys(partial) as (keyof TrainConfig)[];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!isSetting(k)) throw new ConfigError(String(k), 'unknown setting');
    const v = partial[k];
    if (v === undefined) continue;
    (cfg as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of Object.keys(RANGES) as (keyof TrainConfig)[]) checkNumber(k, cfg[k]);
  for (let i = 0; i < BOOLEANS.length; i++) {
    const k = BOOLEANS[i];
    if (typeof cfg[k] !== 'boolean') throw new ConfigError(optionName(k), `expected true or false, got ${String(cfg[k])}`);
  }
  if (SCHEDULES.indexOf(cfg.schedule) < 0) {
    throw new ConfigError('schedule', `unknown schedule "${String(cfg.schedule)}"; choose one of ${SCHEDULES.join(', ')}`);
  }
  if (!Array.isArray(cfg.initW) || cfg.initW.length === 0) throw new ConfigError('init-w', 'expected a comma-separated list of numbers');
  if (cfg.initW.length !== 1 && cfg.initW.length !== features) {
    const want = features === 1 ? 'give 1 value' : `give 1 value (used for every feature) or ${features}`;
    throw new ConfigError('init-w', `has ${cfg.initW.length} values but the data has ${features} feature${features === 1 ? '' : 's'}; ${want}`);
  }
  for (let i = 0; i < cfg.initW.length; i++) {
    const v = cfg.initW[i];
    if (typeof v !== 'number' || !isFinite(v) || Math.abs(v) > 1e30) throw new ConfigError('init-w', `value ${i + 1} is not a finite number: ${String(v)}`);
  }
  if (cfg.nesterov && (cfg.momentum <= 0 || cfg.dampening !== 0)) {
    // torch raises the same: "Nesterov momentum requires a momentum and zero dampening".
    throw new ConfigError('nesterov', 'requires --momentum > 0 and --dampening 0');
  }
  return cfg;
}
