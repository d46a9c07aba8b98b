// `npx host monitor`: attach to the board (without interrupting it) and show its run live: a
// terminal plot of the loss and w, every record saved to a run file as it arrives, Ctrl-C stops
// the board's training and leaves the file complete. --web also serves the live page.
import type { Command } from 'commander';
import type { ProtocolRecord } from '../../shared/protocol.ts';
import { connectBoard, type BoardSession } from '../board-session.ts';
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

/** The web dashboard's record sink and its shutdown, or nothing without --web. */
export async function webSinks(opts: MonitorCliOptions, _session: BoardSession): Promise<{ sinks: ((r: ProtocolRecord) => void)[]; close(): Promise<void> }> {
  if (!opts.web) return { sinks: [], close: async () => undefined };
  throw new Error('--web: the live dashboard is not wired in yet');
}

export function register(program: Command): void {
  const cmd = program
    .command('monitor')
    .description('watch the board train: live plot, run file, Ctrl-C stops training')
    .option('-p, --port <path>', 'serial port (default: the one Pico, or the one virtual Pico)');
  addMonitorOptions(cmd);
  cmd.action(async (opts: MonitorCliOptions & { port?: string }) => {
    const session = await connectBoard(opts);
    const web = await webSinks(opts, session);
    try {
      const result = await monitorBoard(session, { out: opts.out ?? defaultRunPath('board'), log: !!opts.log, plot: opts.plot !== false, sinks: web.sinks });
      process.exitCode = result.exitCode;
    } finally {
      await web.close();
      await session.close();
    }
  });
}
