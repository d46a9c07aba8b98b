// Watching a board's runs: every record goes to its run's file the moment it arrives, then to the
// view (and the web page, when there is one). Runs are told apart by their `start` records (the
// board numbers them): each run gets its own file, which always begins with its start record, and
// no record of one run is ever written under another's name. Joining a run already under way, the
// monitor rebuilds its start record from the board's status (marked `attached`).
// - follow 'one' (train --monitor): the run this command starts; records before its start record
//   (the end of a run it replaced) are not this run's. The monitor ends with the run's `done`.
// - follow 'all' (host monitor): the run in progress, then every run after it, until Ctrl-C.
// Ctrl-C asks the board to stop a run in progress and waits for its `done`, so the file ends
// complete; a second Ctrl-C leaves at once. A board that disappears leaves the files intact.
import type { ProtocolRecord, StartRecord, StatusRecord } from '../../shared/protocol.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { validationCount } from '../../shared/split.ts';
import { runInProgress, type BoardSession } from '../board-session.ts';
import { basename, join } from 'node:path';
import { isRunRecord, RunFile, defaultRunPath } from './run-file.ts';
import type { RunHistory } from './history.ts';
import { createView, type MonitorView } from './view.ts';
import { isSimPort, reattachAdvice } from '../sim/advice.ts';

/** Quiet this long during a run, the monitor asks the board whether it is still training. */
const SILENCE_MS = 3000;

export interface MonitorOptions {
  /** The run file (the first run's; later runs get -run<N> before the extension); default DIR/<time>-<optimizer>-run<N>.ndjson. */
  out?: string;
  /** The folder of the default run files (runs/). */
  dir?: string;
  /** 'runs': one line per run and notice (host serve), instead of the records. */
  view?: 'records' | 'runs';
  log: boolean;
  plot: boolean;
  follow: 'one' | 'all';
  /** Extra consumers of every run record (the web dashboard). */
  sinks?: ((r: ProtocolRecord) => void)[];
  /** Called once the monitor is listening (train starts the run from here, so no record is missed). */
  ready?: () => Promise<void>;
  /** This session's runs, for the page (told of each run as its file opens). */
  history?: RunHistory;
  /** Shown in the view's header line (the live page's address). */
  subtitle?: string;
  stream?: NodeJS.WriteStream;
}

export interface MonitorResult {
  exitCode: number;
  records: number;
  files: string[];
  reason: 'done' | 'stopped' | 'lost' | 'reset';
}

/** The start record of the run a status describes, for a monitor that joins it late. */
export function startFromStatus(st: StatusRecord): StartRecord | null {
  if (!st.config || st.state === 'walking') return null;
  const val = validationCount(st.samples, st.config.valSplit);
  return { type: 'start', protocol: PROTOCOL_VERSION, source: 'board', config: st.config, samples: st.samples, features: st.features, train: st.samples - val, val, run: st.run, attached: true };
}

function fileFor(out: string | undefined, dir: string | undefined, start: StartRecord | { type: 'walk'; optimizer: string }, run: number | undefined, first: boolean): string {
  const label = start.type === 'start' ? start.config.optimizer : `walk-${start.optimizer}`;
  if (out === undefined) return dir === undefined ? defaultRunPath(`${label}-run${run ?? 'x'}`) : join(dir, basename(defaultRunPath(`${label}-run${run ?? 'x'}`)));
  if (first) return out;
  const dot = out.lastIndexOf('.');
  return dot > out.lastIndexOf('/') ? `${out.slice(0, dot)}-run${run ?? 'x'}${out.slice(dot)}` : `${out}-run${run ?? 'x'}`;
}

export async function monitorBoard(session: BoardSession, opts: MonitorOptions): Promise<MonitorResult> {
  const { link, path } = session;
  const virtual = isSimPort(path); // asked now: a virtual Pico that stops leaves the registry first
  const stream = opts.stream ?? process.stdout;
  const view: MonitorView = createView({ mode: opts.view, log: opts.log, plot: opts.plot, stream, title: `pico-trainer monitor · ${path}${opts.subtitle ? ` · ${opts.subtitle}` : ''}` });
  let finish: (r: Omit<MonitorResult, 'records' | 'files'>) => void = () => undefined;
  const finished = new Promise<Omit<MonitorResult, 'records' | 'files'>>((resolve) => (finish = resolve));
  let stopping = false;
  let ended = false;
  let file: RunFile | null = null;
  const files: string[] = [];
  let records = 0;
  let current: number | undefined;
  // 'one' with ready(): wait for the start record of the run this command starts.
  let waitingForOwnStart = opts.follow === 'one' && !!opts.ready;

  const open = (r: StartRecord | { type: 'walk'; optimizer: string } & ProtocolRecord, run: number | undefined): void => {
    file?.close();
    file = new RunFile(fileFor(opts.out, opts.dir, r as StartRecord, run, files.length === 0), { unique: true });
    current = run;
    files.push(file.path);
    take(r as ProtocolRecord);
    if (opts.view === 'runs') view.message(`records → ${file.path}`);
  };
  const take = (r: ProtocolRecord): void => {
    if ((r.type === 'start' || r.type === 'walk') && file) opts.history?.opened(r, file.path);
    else opts.history?.record(r);
    file?.append(r);
    records++;
    view.update(r);
    for (const sink of opts.sinks ?? []) sink(r);
  };

  // A board whose host stops reading drops output after blocking 500 ms: say which epochs are missing.
  let lastEpoch = -1;
  const offRecord = link.onRecord((r) => {
    lastHeard = Date.now();
    if (ended || !isRunRecord(r)) return;
    if (r.type === 'hello') {
      // The reboot goes on record in the run it cut short.
      if (file !== null) (file as RunFile).append(r);
      view.message(`the board restarted (reset or power loss): its run is gone. ${records} records are in ${files.join(', ') || 'no file'}; start again with \`npx host train\``);
      opts.history?.lost();
      (file as RunFile | null)?.close();
      file = null;
      running = false;
      // Following every run, the monitor waits for the next one; following one, it is over.
      if (opts.follow === 'one') finish({ exitCode: 1, reason: 'reset' });
      return;
    }
    if (r.type === 'start' || r.type === 'walk') {
      waitingForOwnStart = false;
      running = true;
      lastEpoch = -1;
      open(r, r.type === 'start' ? r.run : undefined);
      return;
    }
    // Records of a run this monitor has no start record for belong to no file of ours.
    if (waitingForOwnStart || file === null) return;
    if (r.type === 'epoch') {
      if (lastEpoch >= 0 && r.epoch > lastEpoch + 1) {
        const gap = r.epoch - lastEpoch - 1 === 1 ? `epoch ${lastEpoch + 1}` : `epochs ${lastEpoch + 1}–${r.epoch - 1}`;
        view.message(`missed ${gap}: the board dropped them while this computer was not reading (busy or asleep); the run goes on`);
      }
      lastEpoch = r.epoch;
    }
    take(r);
    if (r.type === 'done') {
      running = false;
      (file as RunFile).close();
      file = null;
      if (opts.follow === 'one' || stopping) finish({ exitCode: r.reason === 'diverged' ? 2 : 0, reason: stopping ? 'stopped' : 'done' });
      else view.message(`run ${current ?? '?'} ended (${r.reason}); waiting for the next run — start one with \`npx host train\` (Ctrl-C to quit)`);
    }
  });
  const offNotice = link.onNotice?.((text) => view.message(text)) ?? (() => undefined);
  // Silence during a run: a busy or sleeping laptop may have missed the end (the board drops what it
  // cannot write). Ask the board; if it has finished, say so rather than wait forever.
  let running = runInProgress(session.status) || !!opts.ready;
  let lastHeard = Date.now();
  let asking = false;
  const watchdog = setInterval(() => {
    if (!running || asking || Date.now() - lastHeard < SILENCE_MS) return;
    asking = true;
    link
      .status({ timeoutMs: 2000 })
      .then((st) => {
        lastHeard = Date.now();
        if (running && (st.state === 'done' || st.state === 'idle')) {
          view.message(
            `the board finished its run (at epoch ${st.epoch}) while this computer was not reading, and its last records were lost. ` +
              `${records} records are in ${files.join(', ')}; run it again, or on the desktop with \`npx host run\`, for the final parameters`,
          );
          finish({ exitCode: 1, reason: 'lost' });
        }
      })
      .catch(() => undefined)
      .finally(() => (asking = false));
  }, 500);

  const offClosed = link.onClosed(() => {
    const where = session.via === 'hub' ? `the hub that held ${path} ended, or lost the board` : `lost the board on ${path} (unplugged, or reset?)`;
    view.message(
      `${where}. Every record received is in ${files.join(', ') || 'no file (no run started)'} (${records}). ` +
        reattachAdvice(virtual),
    );
    finish({ exitCode: 1, reason: 'lost' });
  });
  const onSigint = (): void => {
    if (stopping || !running) {
      // A second Ctrl-C, or nothing to stop: leave now; the files hold everything received.
      finish({ exitCode: stopping ? 130 : 0, reason: 'stopped' });
      return;
    }
    stopping = true;
    view.message('stopping training on the board… (Ctrl-C again to leave at once)');
    link.sendCommand({ op: 'stop' }, { timeoutMs: 2000, tries: 2 }).catch((err: Error) => {
      // Leaving at once closes the link under this request: that is not worth a message.
      if (ended) return;
      view.message(`the board did not confirm the stop: ${err.message}`);
      finish({ exitCode: 1, reason: 'stopped' });
    });
  };
  process.on('SIGINT', onSigint);

  try {
    if (opts.ready) {
      await opts.ready();
    } else if (runInProgress(session.status)) {
      const start = startFromStatus(session.status);
      if (start) {
        open(start, start.run);
        view.message(`joined run ${start.run ?? '?'} at epoch ${session.status.epoch}: earlier records are not in this file`);
      }
    } else {
      view.message(`the board on ${path} is not training (${session.status.state}); waiting for a run — start one with \`npx host train\` (Ctrl-C to quit)`);
    }
    const result = await finished;
    return { ...result, records, files };
  } finally {
    ended = true;
    process.off('SIGINT', onSigint);
    clearInterval(watchdog);
    offRecord();
    offNotice();
    offClosed();
    view.close();
    (file as RunFile | null)?.close();
    stream.write(files.length === 0 ? 'no run started: nothing saved\n' : `${records} records saved to ${files.join(', ')}\n`);
  }
}
