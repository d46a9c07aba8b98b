// What the console's forms send, apart from the page's DOM so that tests can import it: which
// fields are in view (from who reads each option, as the server lists it),
// and the options that differ from torch's defaults (only those go to the server, which fills in
// the rest itself, as `host train` does for options not typed).

import type { TrainConfig } from '../../../shared/config.ts';

/**
 * One option of the form, as GET /api/console lists it (host/web/console.ts's formOptions): with
 * who reads it, from host/options.ts's OPTION_READERS, so that the page keeps no table of its own.
 */
export interface FormOption {
  key: string;
  flag: string;
  kind: string;
  help: string;
  choices?: readonly string[];
  /** The optimizers that read it, the schedules that read it, the setting it needs on (absent: no condition). */
  optimizers?: readonly string[];
  schedules?: readonly string[];
  needs?: string;
  /** An optimizer's hyper-parameter (not shared by the runs of a comparison). */
  hyper?: boolean;
}

/** A field's value as the command line gives it: text, or a switch. */
export type FieldValue = string | boolean;

/** In view without opening "More options": the options a lesson changes. */
export const COMMON_KEYS: readonly string[] = ['lr', 'momentum', 'nesterov', 'alpha', 'rho', 'beta1', 'beta2', 'epochs', 'batch', 'valSplit', 'shuffle', 'standardize'];

/** Whether optimizer `optimizer` reads option `o` (run options: always). */
export function optimizerReads(o: FormOption | undefined, optimizer: string): boolean {
  return !o || !o.optimizers || o.optimizers.includes(optimizer);
}

/** A field's value as a number, or null when it is empty or not a number. */
function numeric(v: FieldValue | undefined): number | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v.trim());
  return isFinite(n) ? n : null;
}

/**
 * Whether the field for `key` is in view (and sent) with the values the form holds now: the
 * optimizer reads it, the schedule reads it, and the option it needs is on.
 */
export function applies(o: FormOption, values: Record<string, FieldValue>, defaults: TrainConfig): boolean {
  if (o.key === 'optimizer') return false;
  const optimizer = String(values.optimizer ?? defaults.optimizer);
  if (!optimizerReads(o, optimizer)) return false;
  if (o.schedules && !o.schedules.includes(String(values.schedule ?? defaults.schedule))) return false;
  const need = o.needs;
  if (need) {
    const v = values[need] ?? defaultValue(need, defaults);
    const n = numeric(v);
    if (n === 0 || (n === null && typeof v !== 'string')) return false;
  }
  return true;
}

/** A default as the form shows it: text for numbers and lists, a switch for booleans. */
export function defaultValue(key: string, defaults: TrainConfig): FieldValue {
  const v = (defaults as unknown as Record<string, unknown>)[key];
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.join(',');
  return v === undefined || v === null ? '' : String(v);
}

/** Whether a field's value is other than the default (an empty field keeps the default; 0.010 is 0.01). */
export function differs(key: string, value: FieldValue, defaults: TrainConfig): boolean {
  const def = defaultValue(key, defaults);
  if (typeof def === 'boolean' || typeof value === 'boolean') return value !== def;
  const text = value.trim();
  if (text === '' || text === def) return false;
  const parts = text.split(',');
  const defParts = def.split(',');
  if (parts.length !== defParts.length) return true;
  return parts.some((p, i) => {
    const a = p.trim() === '' ? NaN : Number(p);
    return !(isFinite(a) && a === Number(defParts[i]));
  });
}

/**
 * The options for POST /api/train: the optimizer, and every field in view whose value is not the
 * chosen optimizer's default (the server applies torch's defaults for the rest).
 */
export function trainOptions(options: readonly FormOption[], values: Record<string, FieldValue>, defaults: Record<string, TrainConfig>): Record<string, FieldValue> {
  const optimizer = String(values.optimizer ?? 'sgd');
  const d = defaults[optimizer] ?? defaults.sgd;
  const out: Record<string, FieldValue> = { optimizer };
  for (const o of options) {
    const v = values[o.key];
    if (o.key === 'optimizer' || v === undefined || !applies(o, values, d)) continue;
    if (differs(o.key, v, d)) out[o.key] = typeof v === 'string' ? v.trim() : v;
  }
  return out;
}

/** The options a comparison shares: the run options (not an optimizer's hyper-parameters) that differ from the defaults. */
export function sharedRunOptions(options: readonly FormOption[], values: Record<string, FieldValue>, defaults: Record<string, TrainConfig>): Record<string, FieldValue> {
  const d = defaults.sgd;
  const out: Record<string, FieldValue> = {};
  for (const o of options) {
    const v = values[o.key];
    if (o.key === 'optimizer' || o.hyper || v === undefined || !applies(o, values, d)) continue;
    if (differs(o.key, v, d)) out[o.key] = typeof v === 'string' ? v.trim() : v;
  }
  return out;
}

/** "sgd,adam:0.05" from the ticked optimizers and their own learning rates (or name:key=value settings). */
export function optimizerList(entries: readonly { name: string; lr?: string }[]): string {
  return entries.map((e) => (e.lr && e.lr.trim() ? `${e.name}:${e.lr.trim()}` : e.name)).join(',');
}

/** A field's label: the option's command-line spelling without its dashes (bias for --no-bias). */
export function fieldLabel(o: FormOption): string {
  return o.key === 'bias' ? 'bias' : o.flag.replace(/^--/, '');
}

/** How a run in the history ended, in a word. */
export function runState(e: { state: string; reason?: string }): string {
  if (e.state !== 'done') return e.state;
  switch (e.reason) {
    case undefined:
      return 'cut off';
    case 'epochs':
      return 'done';
    case 'early_stop':
      return 'early stop';
    default:
      return e.reason;
  }
}
