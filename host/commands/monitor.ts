// `npx host monitor`: attach to the board (without interrupting it) and show its run live: a
// terminal plot of the loss and w, every record saved to a run file as it arrives, Ctrl-C stops
// the board's training and leaves the file complete. --web also serves the live page.
import type { Command } from 'commander';
import type { ProtocolRecord } from '../../shared/protocol.ts';
import type { Command as Command_ } from '../../shared/wire.ts';
import { connectBoard, type BoardSession } from '../board-session.ts';
import { UserError } from '../errors.ts';
import { startDashboard } from '../web/server.ts';
import { monitorBoard } from '../monitor/run-monitor.ts';
import { defaultRunPath } from '../monitor/run-file.ts';

export interface MonitorCliOptions {
  out?: string;
  log?: boolean;
  plot?: boolean;
  web?: boolean;
  host?: string;
  webPort?: string;
}

export function addMonitorOptions(cmd: Command): Command {
  return cmd
    .option('--out <run.ndjson>', 'run file for every record (default: runs/<time>-<optimizer>.ndjson)')
    .option('--log', 'plot the loss on a log scale')
    .option('--no-plot', 'print one text line per record instead of the live plot')
    .option('--web', 'also serve the live dashboard page')
    .option('--host <address>', 'address the dashboard listens on (default 127.0.0.1: this computer only)')
    .option('--web-port <n>', 'dashboard port (default: a free one)');
}

/** The web dashboard's record sink and its shutdown, or nothing without --web. Its buttons act on every board given. */
export async function webSinks(
  opts: MonitorCliOptions,
  sessions: BoardSession | BoardSession[],
  title = 'pico-trainer',
): Promise<{ sinks: ((r: ProtocolRecord) => void)[]; close(): Promise<void>; hold(): Promise<void> }> {
  if (!opts.web) return { sinks: [], close: async () => undefined, hold: async () => undefined };
  const boards = Array.isArray(sessions) ? sessions : [sessions];
  const all = async (cmd: Command_) => {
    await Promise.all(boards.map((s) => s.link.sendCommand(cmd)));
  };
  let port = 0;
  if (opts.webPort !== undefined) {
    port = Number(opts.webPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--web-port ${opts.webPort}: give a port number from 0 to 65535`);
  }
  const dash = await startDashboard({
    host: opts.host ?? '127.0.0.1',
    port,
    title,
    control: boards.length > 0 ? { pause: () => all({ op: 'pause' }), resume: () => all({ op: 'resume' }), stop: () => all({ op: 'stop' }) } : undefined,
  });
  const shown = opts.host && opts.host !== '127.0.0.1' && opts.host !== 'localhost' ? `${dash.url} (listening on ${opts.host}: use this computer's network address)` : dash.url;
  process.stderr.write(`live dashboard: ${shown}\n`);
  return {
    sinks: [(r) => dash.push(r)],
    close: () => dash.close(),
    // After the run the page stays up for the class until Ctrl-C.
    hold: () =>
      new Promise<void>((resolve) => {
        process.stderr.write(`the run is over; the dashboard stays up at ${dash.url} — Ctrl-C to quit\n`);
        process.once('SIGINT', () => resolve());
      }),
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('monitor')
    .description('watch the board train: live plot, run file, Ctrl-C stops training')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)');
  addMonitorOptions(cmd);
  cmd.action(async (opts: MonitorCliOptions & { port?: string }) => {
    const session = await connectBoard(opts);
    const web = await webSinks(opts, session, `pico-trainer · ${session.path}`);
    try {
      const result = await monitorBoard(session, { out: opts.out ?? defaultRunPath('board'), log: !!opts.log, plot: opts.plot !== false, sinks: web.sinks });
      process.exitCode = result.exitCode;
      if (result.reason === 'done') await web.hold();
    } finally {
      await web.close();
      await session.close();
    }
  });
}
