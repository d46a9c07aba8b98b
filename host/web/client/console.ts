// The page as the classroom console (when its process holds one board: `host serve`, `monitor
// --web`): choose a CSV and send it, set an optimizer's options and Train, Compare optimizers one
// after another, and this session's runs with their files. Every check is the server's (the
// commands' own messages); the page shows what it answers, word for word.

import type { TrainConfig } from '../../../shared/config.ts';
import type { StatusRecord } from '../../../shared/protocol.ts';
import { applies, COMMON_KEYS, defaultValue, fieldLabel, optimizerList, runState, sharedRunOptions, trainOptions, type FieldValue, type FormOption } from './console-form.ts';

interface ConsoleInfo {
  port: string;
  status: StatusRecord;
  defaults: Record<string, TrainConfig>;
  options: FormOption[];
}

/** GET /api/runs: host/monitor/history.ts's HistoryEntry. */
interface RunEntry {
  id: number;
  run: number | null;
  kind: 'train' | 'walk';
  settings: string;
  config: TrainConfig | null;
  group?: string;
  label?: string;
  state: 'running' | 'done';
  epoch: number;
  loss: number | null;
  reason?: string;
  file: string;
}

const $ = (id: string) => document.getElementById(id) as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
}

/** A message box of the console: lines of one kind each (error, notice, warning, ok), or nothing. */
function say(id: string, lines: [kind: 'error' | 'notice' | 'warning' | 'ok', text: string][]): void {
  const box = $(id);
  box.textContent = '';
  for (const [kind, text] of lines) box.append(el('p', { class: `msg ${kind}` }, text));
}

/** A console request: the server's JSON answer, or { error } with its message (or the HTTP status). */
async function request<T>(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    const res = await fetch(path, { method, body, headers: method === 'POST' ? { 'X-Dashboard': '1', ...headers } : headers, cache: 'no-store' });
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, error: text.trim() || `${res.status} ${res.statusText}` };
    }
    if (!res.ok) {
      const error = (value as { error?: unknown }).error;
      return { ok: false, error: typeof error === 'string' ? error : `${res.status} ${res.statusText}` };
    }
    return { ok: true, value: value as T };
  } catch (err) {
    return { ok: false, error: `the host does not answer (${(err as Error).message})` };
  }
}

interface Field {
  option: FormOption;
  /** The label around the control: hidden when the option does not apply. */
  box: HTMLElement;
  input: HTMLInputElement | HTMLSelectElement;
  /** Changed by hand: switching optimizer keeps it. */
  touched: boolean;
}

let info: ConsoleInfo | null = null;
const fields = new Map<string, Field>();
let optimizerSelect: HTMLSelectElement;

function values(): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = { optimizer: optimizerSelect.value };
  for (const [key, f] of fields) out[key] = f.input instanceof HTMLInputElement && f.input.type === 'checkbox' ? f.input.checked : f.input.value;
  return out;
}

function defaultsNow(): TrainConfig {
  return info!.defaults[optimizerSelect.value] ?? info!.defaults.sgd;
}

function setValue(f: Field, v: FieldValue): void {
  if (f.input instanceof HTMLInputElement && f.input.type === 'checkbox') f.input.checked = v === true;
  else f.input.value = String(v);
}

/** Shows the fields the optimizer, the schedule and the switches make meaningful; hides the rest. */
function refreshVisibility(): void {
  const v = values();
  const d = defaultsNow();
  for (const [key, f] of fields) {
    const o = info?.options.find((x) => x.key === key);
    f.box.classList.toggle('hidden', !o || !applies(o, v, d));
  }
  updateCompareNote();
}

/** The chosen optimizer's defaults in every field not changed by hand. */
function refill(all = false): void {
  const d = defaultsNow();
  for (const f of fields.values()) {
    if (all) f.touched = false;
    if (!f.touched) setValue(f, defaultValue(f.option.key, d));
  }
  refreshVisibility();
}

function buildForm(): void {
  const i = info!;
  const optimizers = (i.options.find((o) => o.key === 'optimizer')?.choices ?? Object.keys(i.defaults)) as string[];
  optimizerSelect = el('select', { id: 'c-optimizer', name: 'optimizer' });
  for (const o of optimizers) optimizerSelect.append(el('option', { value: o }, o));
  optimizerSelect.value = optimizers.includes('sgd') ? 'sgd' : optimizers[0];
  optimizerSelect.addEventListener('change', () => refill());

  const places = { common: $('c-common'), commonSwitches: $('c-common-switches'), more: $('c-more-fields'), moreSwitches: $('c-more-switches') };
  for (const p of Object.values(places)) p.textContent = '';
  places.common.append(el('label', { class: 'field', title: 'update rule (torch.optim semantics)' }, el('span', {}, 'optimizer'), optimizerSelect));
  for (const o of i.options) {
    if (o.key === 'optimizer') continue;
    let input: HTMLInputElement | HTMLSelectElement;
    if (o.kind === 'boolean') {
      input = el('input', { type: 'checkbox' });
    } else if (o.kind === 'choice') {
      input = el('select', {});
      for (const c of o.choices ?? []) input.append(el('option', { value: c }, c));
    } else {
      input = el('input', { type: 'text', inputmode: o.kind === 'list' ? 'text' : 'decimal', spellcheck: 'false', autocomplete: 'off' });
    }
    input.id = `c-${o.key}`;
    input.setAttribute('name', o.key);
    const box = el('label', { class: `field${o.kind === 'boolean' ? ' switch' : ''}`, title: `${o.flag}: ${o.help}`, 'data-key': o.key }, el('span', {}, fieldLabel(o)), input);
    if (o.kind === 'boolean') box.append(box.firstChild as Node); // the box, then its name
    const f: Field = { option: o, box, input, touched: false };
    const touch = () => {
      f.touched = true;
      refreshVisibility();
    };
    input.addEventListener('input', touch);
    input.addEventListener('change', touch);
    fields.set(o.key, f);
    const common = COMMON_KEYS.includes(o.key);
    const switches = o.kind === 'boolean';
    (common ? (switches ? places.commonSwitches : places.common) : switches ? places.moreSwitches : places.more).append(box);
  }
  refill(true);
}

function buildCompare(): void {
  const i = info!;
  const list = $('c-compare-list');
  list.textContent = '';
  const optimizers = (i.options.find((o) => o.key === 'optimizer')?.choices ?? Object.keys(i.defaults)) as string[];
  for (const o of optimizers) {
    const box = el('input', { type: 'checkbox', id: `cmp-${o}`, 'data-optimizer': o });
    const lr = el('input', {
      type: 'text',
      id: `cmp-${o}-lr`,
      inputmode: 'decimal',
      spellcheck: 'false',
      autocomplete: 'off',
      placeholder: `lr ${i.defaults[o]?.lr ?? ''}`,
      title: `${o}'s own learning rate (empty: torch's ${i.defaults[o]?.lr}); key=value for other settings, e.g. momentum=0.5`,
    });
    // Typing a learning rate means this optimizer is in.
    lr.addEventListener('input', () => {
      if (lr.value.trim()) box.checked = true;
    });
    list.append(el('div', { class: 'cmp' }, el('label', {}, box, ` ${o}`), lr));
  }
  updateCompareNote();
}

function compareEntries(): { name: string; lr?: string }[] {
  return [...document.querySelectorAll<HTMLInputElement>('#c-compare-list input[type=checkbox]')]
    .filter((b) => b.checked)
    .map((b) => ({ name: b.dataset.optimizer as string, lr: ($(`cmp-${b.dataset.optimizer}-lr`) as HTMLInputElement).value }));
}

/** Which run options of the form the comparison shares (the form's epochs, batch, …). */
function updateCompareNote(): void {
  if (!info) return;
  const shared = sharedRunOptions(info.options, values(), info.defaults);
  const parts = Object.entries(shared).map(([k, v]) => {
    const o = info!.options.find((x) => x.key === k);
    const name = o ? fieldLabel(o) : k;
    return typeof v === 'boolean' ? (v ? name : `no ${name}`) : `${name} ${v}`;
  });
  $('c-compare-shared').textContent = `Run options from the form: ${parts.length ? parts.join(', ') : "the defaults (100 epochs, full batch)"}.`;
}

function showStatus(st: StatusRecord | undefined): void {
  if (!info) return;
  const data = st && st.samples > 0 ? `${st.samples} samples × ${st.features} feature${st.features === 1 ? '' : 's'} on the board` : 'no data on the board yet';
  $('c-board').textContent = `${info.port}: ${data}`;
}

async function upload(file: File): Promise<void> {
  say('c-data-msg', [['ok', `sending ${file.name}…`]]);
  const text = await file.text();
  const r = await request<{ rows: number; features: number; crc: string; notice: string | null }>('POST', 'api/upload', text, { 'x-file-name': encodeURIComponent(file.name), 'content-type': 'text/csv' });
  if (!r.ok) {
    say('c-data-msg', [['error', r.error]]);
    return;
  }
  const lines: [('ok' | 'notice'), string][] = [['ok', `${file.name}: ${r.value.rows} samples × ${r.value.features} feature${r.value.features === 1 ? '' : 's'} sent (checksum ${r.value.crc})`]];
  if (r.value.notice) lines.push(['notice', r.value.notice]);
  say('c-data-msg', lines);
  await refreshInfo();
}

async function train(): Promise<void> {
  const button = $('c-train') as HTMLButtonElement;
  button.disabled = true;
  try {
    const options = trainOptions(info!.options, values(), info!.defaults);
    const r = await request<{ run: number | null; warnings: string[]; notice: string | null }>('POST', 'api/train', JSON.stringify({ options }), { 'content-type': 'application/json' });
    if (!r.ok) {
      say('c-train-msg', [['error', r.error]]);
      return;
    }
    const lines: [('ok' | 'notice' | 'warning'), string][] = [['ok', r.value.run !== null ? `run ${r.value.run} started` : 'started']];
    for (const w of r.value.warnings) lines.push(['warning', `warning: ${w}`]);
    if (r.value.notice) lines.push(['notice', r.value.notice]);
    say('c-train-msg', lines);
    void refreshRuns();
  } finally {
    button.disabled = false;
  }
}

async function compare(): Promise<void> {
  const entries = compareEntries();
  const button = $('c-compare') as HTMLButtonElement;
  button.disabled = true;
  try {
    const body = { optimizers: optimizerList(entries), options: sharedRunOptions(info!.options, values(), info!.defaults) };
    const r = await request<{ labels: string[]; note: string | null; notice: string | null }>('POST', 'api/compare', JSON.stringify(body), { 'content-type': 'application/json' });
    if (!r.ok) {
      say('c-compare-msg', [['error', r.error]]);
      return;
    }
    const lines: [('ok' | 'notice'), string][] = [['ok', `comparing ${r.value.labels.join(', ')}: one after another`]];
    if (r.value.note) lines.push(['notice', r.value.note]);
    if (r.value.notice) lines.push(['notice', r.value.notice]);
    say('c-compare-msg', lines);
    void refreshRuns();
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ history

let runsShown = '';
let runsBusy = false;
let runsAgain = false;

async function refreshRuns(): Promise<void> {
  if (runsBusy) {
    runsAgain = true;
    return;
  }
  runsBusy = true;
  try {
    const r = await request<RunEntry[]>('GET', 'api/runs');
    if (r.ok) renderRuns(r.value);
  } finally {
    runsBusy = false;
    if (runsAgain) {
      runsAgain = false;
      void refreshRuns();
    }
  }
}

function renderRuns(entries: RunEntry[]): void {
  const key = JSON.stringify(entries);
  if (key === runsShown) return;
  runsShown = key;
  const body = $('c-runs');
  body.textContent = '';
  $('c-runs-empty').classList.toggle('hidden', entries.length > 0);
  // Newest first: the run going on is at the top, in view.
  for (const e of [...entries].reverse()) {
    const what = el('td', { class: 'what' });
    if (e.label) what.append(el('span', { class: 'label' }, el('b', {}, e.label), el('span', { class: 'group' }, ` · ${e.group ?? 'compare'}`)), el('br'));
    what.append(el('span', { class: 'settings' }, e.settings));
    const state = runState(e);
    const total = e.config ? e.config.epochs : null;
    const file = el('a', { href: `api/runs/${e.id}/file`, download: '', class: 'file', title: e.file }, 'file');
    body.append(
      el(
        'tr',
        { 'data-id': String(e.id), 'data-state': state },
        el('td', { class: 'run' }, e.run === null ? '–' : String(e.run)),
        what,
        el('td', { class: 'state' }, state),
        el('td', { class: 'epochs num' }, total !== null && e.state !== 'done' ? `${e.epoch}/${total}` : String(e.epoch)),
        el('td', { class: 'loss num' }, fmt(e.loss)),
        el('td', {}, file),
      ),
    );
  }
}

async function refreshInfo(): Promise<void> {
  const r = await request<ConsoleInfo & { runs: RunEntry[] }>('GET', 'api/console');
  if (!r.ok) {
    say('c-data-msg', [['error', r.error]]);
    return;
  }
  const first = info === null;
  info = r.value;
  if (first) {
    buildForm();
    buildCompare();
  }
  showStatus(r.value.status);
  renderRuns(r.value.runs);
}

/** A record from the event stream: a run starting or ending refreshes the history at once. */
export function consoleRecord(type: string): void {
  if (!info) return;
  if (type === 'start' || type === 'walk' || type === 'done') void refreshRuns();
  if (type === 'start' || type === 'done') void refreshStatusSoon();
}

let statusTimer: ReturnType<typeof setTimeout> | null = null;
/** The board's data line after a run changes (a CLI `host send` through the hub, say). */
function refreshStatusSoon(): void {
  if (statusTimer) return;
  statusTimer = setTimeout(() => {
    statusTimer = null;
    void request<ConsoleInfo>('GET', 'api/console').then((r) => r.ok && showStatus(r.value.status));
  }, 300);
}

export function startConsole(): void {
  document.body.classList.add('with-console');
  $('console').classList.remove('hidden');
  const chooser = $('c-file') as HTMLInputElement;
  chooser.addEventListener('change', () => {
    const file = chooser.files && chooser.files[0];
    // Cleared, so that choosing the same file again (after fixing it) sends it again.
    if (file) void upload(file).finally(() => (chooser.value = ''));
  });
  $('c-train').addEventListener('click', () => void train());
  $('c-compare').addEventListener('click', () => void compare());
  $('c-reset').addEventListener('click', () => refill(true));
  void refreshInfo();
  // The history also follows runs that other windows start (`npx host train` through the hub).
  setInterval(() => void refreshRuns(), 1500);
}
