// `host compare --optimizers sgd,momentum:momentum=0.5,adam:lr=0.05 --epochs 50`: which settings
// each optimizer of a comparison runs with. An option typed once (`--momentum 0.5`) goes to the
// listed optimizers that read it (host/options.ts's OPTION_READERS, from shared/optim/*.ts), and
// `name:key=value` sets an option for one of them (`adam:0.05` is still its lr). Every entry is
// resolved by configFromOptions, as `host run` would resolve it; then two entries that would train
// the same run are refused, as is an option that no listed optimizer reads.
import { HYPER_PARAMETERS, OPTIMIZERS, type OptimizerName, type TrainConfig } from '../shared/config.ts';
import { UserError } from './errors.ts';
import { configFromOptions, configWithWarnings, givenTrainKeys, OPTION_READERS, TRAIN_OPTIONS } from './options.ts';

type Spec = (typeof TRAIN_OPTIONS)[number];

/** One entry of --optimizers, as typed. */
export interface OptimizerEntry {
  /** The entry as typed (trimmed): its label in tables, figures and run-file names. */
  label: string;
  name: OptimizerName;
  /** Its own options, keyed as TrainConfig, valued as commander gives them (text, or a boolean). */
  own: Record<string, string | boolean>;
}

/** The optimizers' hyper-parameters; every other training option shapes the run itself. */
const OPTIMIZER_KEYS: ReadonlySet<string> = new Set<string>(HYPER_PARAMETERS);

/**
 * The optimizers that are there for their momentum (momentum, nesterov) and RMSprop, whose own
 * option it also is. When one of them is listed, `--momentum` typed once goes to them and leaves
 * plain `sgd` as the baseline it is there to be (`sgd:momentum=0.5` gives it momentum); with none
 * of them listed, `--momentum` goes to `sgd`.
 */
const MOMENTUM_RULES: readonly OptimizerName[] = ['momentum', 'nesterov', 'rmsprop'];

const flagOf = (spec: Spec): string => spec.flags.split(' ')[0];

/** weight-decay, weightDecay, no-bias, bias, … → the option's spec (and whether it is the negated no-bias). */
function findSpec(key: string): { spec: Spec; negated: boolean } | null {
  for (const spec of TRAIN_OPTIONS) {
    const flag = flagOf(spec).slice(2);
    if (key === flag || key === spec.key) return { spec, negated: flag === 'no-bias' && key === flag };
  }
  return null;
}

const TRUE = ['true', 'on', 'yes', '1'];
const FALSE = ['false', 'off', 'no', '0'];

function usage(): string {
  return 'write name, name:lr or name:key=value (e.g. sgd,momentum:momentum=0.5,adam:lr=0.05:beta1=0.8)';
}

/**
 * "sgd,momentum:momentum=0.5,adam:0.05,adam:lr=0.01:beta1=0.8" → entries. Checks the names, the
 * option names and that no entry is typed twice; the values are checked when the entries are
 * resolved (resolveComparison).
 */
export function parseOptimizerList(raw: string): OptimizerEntry[] {
  const seen = new Set<string>();
  return raw.split(',').map((part) => {
    const label = part.trim();
    if (label === '') throw new UserError(`--optimizers: an empty entry in "${raw}"; ${usage()}`);
    const [name, ...settings] = label.split(':');
    if (!OPTIMIZERS.includes(name as OptimizerName)) {
      throw new UserError(`--optimizers: unknown optimizer "${name}"; choose from ${OPTIMIZERS.join(', ')} (optionally name:key=value, e.g. adam:lr=0.05)`);
    }
    if (seen.has(label)) throw new UserError(`--optimizers: ${label} is listed twice`);
    seen.add(label);
    const own: Record<string, string | boolean> = {};
    settings.forEach((setting, i) => {
      const eq = setting.indexOf('=');
      const key = (eq < 0 ? setting : setting.slice(0, eq)).trim();
      const value = eq < 0 ? undefined : setting.slice(eq + 1).trim();
      const found = key === '' ? null : findSpec(key);
      if (eq < 0 && i === 0 && !found) {
        // adam:0.05, the short form of adam:lr=0.05
        own.lr = key;
        return;
      }
      if (!found) throw new UserError(`--optimizers: ${label}: "${setting}" is not an option; ${usage()}`);
      const { spec, negated } = found;
      const shown = flagOf(spec).slice(2);
      if (spec.key === 'optimizer') throw new UserError(`--optimizers: ${label}: the optimizer is the name before the first ":"`);
      if (own[spec.key] !== undefined) throw new UserError(`--optimizers: ${label} gives ${spec.key === 'lr' ? 'lr' : shown} twice`);
      if (spec.kind === 'boolean') {
        const v = value === undefined ? true : TRUE.includes(value.toLowerCase()) ? true : FALSE.includes(value.toLowerCase()) ? false : null;
        if (v === null) throw new UserError(`--optimizers: ${label}: ${key} is on or off: write ${key}=true or ${key}=false`);
        own[spec.key] = negated ? !v : v;
      } else {
        if (value === undefined || value === '') throw new UserError(`--optimizers: ${label}: ${key} needs a value: ${key}=VALUE`);
        own[spec.key] = value;
      }
    });
    return { label, name: name as OptimizerName, own };
  });
}

/** Whether the optimizer of `c`, with the settings of `c`, reads option `key` (OPTION_READERS; other options: every run reads them). */
export function readsOption(key: string, c: TrainConfig): boolean {
  const r = OPTION_READERS[key as keyof TrainConfig];
  if (!OPTIMIZER_KEYS.has(key) || !r) return true;
  if (r.optimizers && r.optimizers.indexOf(c.optimizer) < 0) return false;
  if (r.needs && !r.needs.on(c)) return false;
  // torch refuses Nesterov without momentum; SGD without momentum has nothing to apply it to.
  if (key === 'nesterov' && c.momentum === 0) return false;
  return true;
}

/** Who reads `key`, for messages: "momentum, nesterov or rmsprop". */
function readers(key: string): string {
  const r = OPTION_READERS[key as keyof TrainConfig];
  const names = r?.optimizers ?? OPTIMIZERS;
  return (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`) + (key === 'dampening' || key === 'nesterov' ? ' with momentum' : '');
}

/** The run a config trains, with what its update rule never reads left out: equal for two configs that train the same run. */
export function runIdentity(c: TrainConfig): string {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(c).sort()) {
    if (OPTIMIZER_KEYS.has(key) && !readsOption(key, c)) continue;
    out[key] = (c as unknown as Record<string, unknown>)[key];
  }
  // momentum and nesterov are SGD with other defaults; AdamW with no weight decay is Adam.
  if (c.optimizer === 'momentum' || c.optimizer === 'nesterov') out.optimizer = 'sgd';
  if (c.optimizer === 'adamw' && c.weightDecay === 0) out.optimizer = 'adam';
  return JSON.stringify(out);
}

export interface ResolvedComparison {
  /** The entries as typed. */
  labels: string[];
  configs: TrainConfig[];
  /**
   * One line for stderr when an option typed once went to some of the optimizers only
   * ("--momentum 0.5 for momentum only; sgd stays plain SGD (…)"), else null.
   */
  note: string | null;
}

function spelled(key: string, value: unknown): string {
  const spec = TRAIN_OPTIONS.find((s) => s.key === key)!;
  return spec.kind === 'boolean' ? flagOf(spec) : `${flagOf(spec)} ${String(value)}`;
}

/** configFromOptions for one entry, its own options' errors named after the entry. */
function resolveEntry(e: OptimizerEntry, opts: Record<string, unknown>, features: number, print: boolean): TrainConfig {
  try {
    return print ? configFromOptions(opts, features) : configWithWarnings(opts, features).config;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const m = /^(--[a-z0-9-]+)[: ]/.exec(err.message);
    const spec = m ? TRAIN_OPTIONS.find((s) => flagOf(s) === m[1]) : undefined;
    if (spec && e.own[spec.key] !== undefined) throw new UserError(`--optimizers: ${e.label}: ${err.message.slice(2)}`);
    throw new UserError(`${err.message} (for ${e.label})`);
  }
}

/**
 * The config of every entry: its own options, then the options typed once that its update rule
 * reads, then its defaults. `shared` is what commander collected (the command's other options are
 * ignored). Throws UserError for an option that no entry reads (or that every entry overrides), for
 * an entry's own option its rule does not read, and for two entries that train the same run.
 */
export function resolveComparison(entries: OptimizerEntry[], shared: object, features: number): ResolvedComparison {
  const given = shared as Record<string, unknown>;
  const sharedKeys = givenTrainKeys(given).filter((k) => k !== 'optimizer');
  const runKeys = sharedKeys.filter((k) => !OPTIMIZER_KEYS.has(k));
  const optimizerKeys = sharedKeys.filter((k) => OPTIMIZER_KEYS.has(k));
  const momentumListed = entries.some((e) => MOMENTUM_RULES.includes(e.name));
  const appliedTo = new Map<string, string[]>(optimizerKeys.map((k) => [k, []]));
  const keptPlain: string[] = [];

  const configs = entries.map((e) => {
    const opts: Record<string, unknown> = { optimizer: e.name };
    for (const k of runKeys) opts[k] = given[k];
    Object.assign(opts, e.own);
    for (const k of optimizerKeys) {
      if (e.own[k] !== undefined) continue;
      if (k === 'momentum' && e.name === 'sgd' && momentumListed) {
        keptPlain.push(e.label);
        continue;
      }
      // In TRAIN_OPTIONS order: momentum is settled before dampening and nesterov, which need it.
      if (!readsOption(k, resolveEntry(e, opts, features, false))) continue;
      opts[k] = given[k];
      appliedTo.get(k)!.push(e.label);
    }
    const config = resolveEntry(e, opts, features, false);
    for (const k of Object.keys(e.own)) {
      if (readsOption(k, config)) continue;
      const shown = flagOf(TRAIN_OPTIONS.find((s) => s.key === k)!).slice(2);
      const r = OPTION_READERS[k as keyof TrainConfig];
      const why = r?.optimizers && r.optimizers.indexOf(config.optimizer) < 0 ? `${e.name} does not read ${shown} (${readers(k)} do)` : `${shown} does nothing here without momentum; add momentum=0.9`;
      throw new UserError(`--optimizers: ${e.label}: ${why}`);
    }
    // Once more to print its warnings (an option of a schedule it does not use, say), once each.
    return resolveEntry(e, opts, features, true);
  });

  const labels = entries.map((e) => e.label);
  const parts: string[] = [];
  for (const k of optimizerKeys) {
    const to = appliedTo.get(k)!;
    const typed = spelled(k, given[k]);
    const plain = k === 'momentum' ? keptPlain : [];
    const plainHint = plain.length > 0 ? `${plain.join(', ')} ${plain.length === 1 ? 'stays' : 'stay'} plain SGD (${plain[0]}:momentum=${String(given[k])} gives it momentum)` : '';
    if (to.length === 0) {
      const why: string[] = [];
      let unread = false;
      entries.forEach((e, i) => {
        if (e.own[k] !== undefined) why.push(`${e.label} has its own`);
        else if (plain.includes(e.label)) return;
        else if ((k === 'dampening' || k === 'nesterov') && readsOption('momentum', configs[i]) && configs[i].momentum === 0) why.push(`${e.label} has no momentum`);
        else unread = true;
      });
      if (unread) why.push(`only ${readers(k)} read it`);
      if (plainHint) why.push(plainHint);
      throw new UserError(`${typed.split(' ')[0]}: applies to none of the optimizers listed (${labels.join(', ')}): ${why.join('; ')}`);
    }
    if (to.length + entries.filter((e) => e.own[k] !== undefined).length < entries.length) {
      parts.push(`${typed} for ${to.join(', ')} only${plainHint ? `; ${plainHint}` : ''}`);
    }
  }

  const ids = configs.map(runIdentity);
  for (let i = 0; i < ids.length; i++) {
    const j = ids.indexOf(ids[i]);
    if (j < i) throw new UserError(`--optimizers: ${labels[j]} and ${labels[i]} are the same run (equal settings once the defaults are filled in); change one or leave one out`);
  }
  return { labels, configs, note: parts.length > 0 ? parts.join('; ') : null };
}
