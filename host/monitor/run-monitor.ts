// Watching a board's run: every record goes to the run file the moment it arrives, then to the
// view (and the web page, when there is one). The run ends with the board's `done` record; Ctrl-C
// asks the board to stop and waits for that record, so the file always ends complete. A board that
// disappears leaves the file intact up to the last record and a message that says how to go on.
import type { ProtocolRecord } from '../../shared/protocol.ts';
import type { BoardSession } from '../board-session.ts';
import { isRunRecord, RunFile } from './run-file.ts';
import { createView, type MonitorView } from './view.ts';

/** Quiet this long during a run, the monitor asks the board whether it is still training. */
const SILENCE_MS = 3000;

export interface MonitorOptions {
  out: string;
  log: boolean;
  plot: boolean;
  /** Extra consumers of every run record (the web dashboard). */
  sinks?: ((r: ProtocolRecord) => void)[];
  /** Called once the monitor is listening (train starts the run from here, so no record is missed). */
  ready?: () => Promise<void>;
  stream?: NodeJS.WriteStream;
}

export interface MonitorResult {
  exitCode: number;
  records: number;
  reason: 'done' | 'stopped' | 'lost' | 'reset';
}

export async function monitorBoard(session: BoardSession, opts: MonitorOptions): Promise<MonitorResult> {
  const { link, path } = session;
  const stream = opts.stream ?? process.stdout;
  const file = new RunFile(opts.out);
  const view: MonitorView = createView({ log: opts.log, plot: opts.plot, stream, title: `pico-trainer monitor · ${path}` });
  let finish: (r: Omit<MonitorResult, 'records'>) => void = () => undefined;
  const finished = new Promise<Omit<MonitorResult, 'records'>>((resolve) => (finish = resolve));
  let stopping = false;

  // A board whose host stops reading drops output after blocking 500 ms: say which epochs are missing.
  let lastEpoch = -1;
  const offRecord = link.onRecord((r) => {
    lastHeard = Date.now();
    if (!isRunRecord(r)) return;
    if (r.type === 'start' || r.type === 'walk') running = true;
    if (r.type === 'done') running = false;
    if (r.type === 'start') lastEpoch = -1;
    if (r.type === 'epoch') {
      if (lastEpoch >= 0 && r.epoch > lastEpoch + 1) {
        const gap = r.epoch - lastEpoch - 1 === 1 ? `epoch ${lastEpoch + 1}` : `epochs ${lastEpoch + 1}–${r.epoch - 1}`;
        view.message(`missed ${gap}: the board dropped them while this computer was not reading (busy or asleep); the run goes on`);
      }
      lastEpoch = r.epoch;
    }
    file.append(r);
    view.update(r);
    for (const sink of opts.sinks ?? []) sink(r);
    if (r.type === 'done') finish({ exitCode: 0, reason: stopping ? 'stopped' : 'done' });
    if (r.type === 'hello') {
      view.message(`the board restarted (reset or power loss): its run is gone. ${file.count} records are in ${file.path}; start again with \`npx host train\``);
      finish({ exitCode: 1, reason: 'reset' });
    }
  });
  // Silence during a run: a busy or sleeping laptop may have missed the end (the board drops what it
  // cannot write). Ask the board; if it has finished, say so rather than wait forever.
  let running = ['training', 'paused', 'walking'].includes(session.status.state) || !!opts.ready;
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
              `${file.count} records are in ${file.path}; run it again, or on the desktop with \`npx host run\`, for the final parameters`,
          );
          finish({ exitCode: 1, reason: 'lost' });
        }
      })
      .catch(() => undefined)
      .finally(() => (asking = false));
  }, 500);

  const offClosed = link.onClosed(() => {
    view.message(
      `lost the board on ${path} (unplugged, or reset?). Every record received is in ${file.path} (${file.count}). ` +
        'Plug it back in and run `npx host monitor` to re-attach if it is still training.',
    );
    finish({ exitCode: 1, reason: 'lost' });
  });
  const onSigint = (): void => {
    if (stopping) {
      // A second Ctrl-C: leave now; the file already holds everything received.
      finish({ exitCode: 130, reason: 'stopped' });
      return;
    }
    stopping = true;
    view.message('stopping training on the board… (Ctrl-C again to leave at once)');
    link.sendCommand({ op: 'stop' }, { timeoutMs: 2000, tries: 2 }).catch((err: Error) => {
      view.message(`the board did not confirm the stop: ${err.message}`);
      finish({ exitCode: 1, reason: 'stopped' });
    });
  };
  process.on('SIGINT', onSigint);

  try {
    if (opts.ready) await opts.ready();
    else if (session.status.state === 'idle' || session.status.state === 'done') {
      view.message(`the board on ${path} is not training (${session.status.state}); waiting for a run — start one with \`npx host train\``);
    }
    const result = await finished;
    return { ...result, records: file.count };
  } finally {
    process.off('SIGINT', onSigint);
    clearInterval(watchdog);
    offRecord();
    offClosed();
    view.close();
    file.close();
    stream.write(`${file.count} records saved to ${file.path}\n`);
  }
}
