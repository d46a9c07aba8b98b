// The page as the classroom console: what its forms do, on the board the page's process holds (or
// reaches through the hub). The checks are the commands' own: a CSV is validated as `host send`
// validates it (the same messages), options as `host train` resolves them (torch's defaults, the
// same errors and warnings), a comparison as `host compare` parses it; and a run that a request
// ends is named in one line, as the commands do.
import { defaultConfig, HYPER_PARAMETERS, OPTIMIZERS, SCHEDULES, type TrainConfig } from '../../shared/config.ts';
import type { ProtocolRecord, StatusRecord } from '../../shared/protocol.ts';
import { datasetCrc } from '../../shared/wire.ts';
import { announceEnd, boardCapacity, type BoardSession } from '../board-session.ts';
import { parseOptimizerList, resolveComparison } from '../compare-options.ts';
import { parseCsvText } from '../csv.ts';
import { UserError } from '../errors.ts';
import type { HistoryEntry, RunHistory } from '../monitor/history.ts';
import { configFromOptions, OPTION_READERS, TRAIN_OPTIONS } from '../options.ts';
import type { FormOption } from './client/console-form.ts';

/** One option of the form: its config key, flag, kind and help, as `host train --help` has them. */
export type { FormOption } from './client/console-form.ts';

export interface ConsoleInfo {
  port: string;
  status: StatusRecord;
  /** torch's defaults for each optimizer (the form fills itself from these). */
  defaults: Record<string, TrainConfig>;
  options: FormOption[];
}

export interface ConsoleApi {
  info(): Promise<ConsoleInfo>;
  /** Validates the CSV and sends it; `notice` names a run it ended. */
  upload(fileName: string, text: string): Promise<{ rows: number; features: number; crc: string; notice: string | null }>;
  /** Options keyed as TrainConfig, valued as text or booleans (as the command line gives them). */
  train(options: Record<string, string | boolean>): Promise<{ run: number | null; warnings: string[]; notice: string | null }>;
  /** "sgd,adam:0.05" and the options typed once: the runs go one after another. */
  compare(optimizers: string, options: Record<string, string | boolean>): Promise<{ labels: string[]; note: string | null; notice: string | null }>;
  history(): HistoryEntry[];
  /** The run file of history entry `id`, or null. */
  file(id: number): string | null;
}

const CHOICES: Record<string, readonly string[]> = { optimizer: OPTIMIZERS, schedule: SCHEDULES };

/** The form's options, as `host train` declares them, with who reads each (OPTION_READERS): the page keeps no table of its own. */
export function formOptions(): FormOption[] {
  return TRAIN_OPTIONS.map((s) => {
    const r = OPTION_READERS[s.key];
    const o: FormOption = { key: s.key, flag: s.flags.split(' ')[0], kind: s.kind, help: s.help };
    if (CHOICES[s.key]) o.choices = CHOICES[s.key];
    if (r?.optimizers) o.optimizers = r.optimizers;
    if (r?.schedules) o.schedules = r.schedules;
    if (r?.needs) o.needs = r.needs.key;
    if ((HYPER_PARAMETERS as readonly string[]).includes(s.key)) o.hyper = true;
    return o;
  });
}

export function createConsole(session: BoardSession, history: RunHistory): ConsoleApi {
  const { link } = session;
  /** The comparison in progress: the configs still to start, in order, after board run `expecting` ends. */
  let queue: TrainConfig[] = [];
  let expecting: number | null = null;
  let group = 0;
  // What the board's records say: the run now going, and the last one that ended (and how).
  let currentRun: number | null = null;
  let ended: { run: number | null; reason: string } | null = null;

  async function start(config: TrainConfig): Promise<number | null> {
    await link.sendCommand({ op: 'config', config: config as unknown as Record<string, unknown> });
    await link.sendCommand({ op: 'start' });
    return (await link.status()).run ?? null;
  }

  /** Starts the next run of the comparison once run `expecting` has ended by itself; Stop ends the comparison. */
  function advance(): void {
    if (queue.length === 0 || expecting === null || ended === null || ended.run !== expecting) return;
    if (ended.reason === 'stopped') {
      queue = [];
      expecting = null;
      return;
    }
    const next = queue.shift() as TrainConfig;
    expecting = null;
    start(next)
      .then((run) => {
        expecting = run;
        advance();
      })
      .catch(() => (queue = []));
  }

  link.onRecord((r: ProtocolRecord) => {
    if (r.type === 'start') currentRun = r.run ?? null;
    if (r.type === 'done') {
      ended = { run: currentRun, reason: r.reason };
      advance();
    }
  });

  async function dataOnBoard(): Promise<StatusRecord> {
    const st = await link.status();
    if (st.samples === 0) throw new UserError('there is no dataset on the board: choose a CSV file and send it first');
    return st;
  }

  return {
    async info() {
      const defaults: Record<string, TrainConfig> = {};
      for (const o of OPTIMIZERS) defaults[o] = defaultConfig(o);
      return { port: session.path, status: await link.status(), defaults, options: formOptions() };
    },

    async upload(fileName, text) {
      const cap = boardCapacity(await link.status());
      const data = parseCsvText(text, fileName, cap.samples, "the board's capacity");
      if (data.features > cap.features) throw new UserError(`${fileName}: ${data.features} features, the board takes at most ${cap.features}`);
      queue = [];
      expecting = null;
      const notice = await announceEnd(session, "to replace the board's data");
      await link.uploadDataset(data.packed, data.features);
      return { rows: data.rows, features: data.features, crc: datasetCrc(data.packed, data.features).toString(16).padStart(8, '0'), notice };
    },

    async train(options) {
      const st = await dataOnBoard();
      const warnings: string[] = [];
      const config = configFromOptions(options, st.features, (w) => warnings.push(w));
      queue = [];
      expecting = null;
      const notice = await announceEnd(session, 'to start this one');
      return { run: await start(config), warnings, notice };
    },

    async compare(optimizers, options) {
      const st = await dataOnBoard();
      const entries = parseOptimizerList(optimizers);
      if (entries.length < 2) throw new UserError('--optimizers: choose at least two optimizers to compare');
      const { labels, configs, note } = resolveComparison(entries, options, st.features);
      const notice = await announceEnd(session, 'to start this comparison');
      history.plan(`compare ${++group}`, labels);
      queue = [];
      expecting = await start(configs[0]);
      queue = configs.slice(1);
      advance();
      return { labels, note, notice };
    },

    history: () => history.entries,

    file(id) {
      const e = history.entries.find((x) => x.id === id);
      return e ? e.file : null;
    },
  };
}
