// The live page as a record sink for a command: starts the dashboard when --web is given, wires its
// buttons to the boards, and keeps it up after the run until Ctrl-C.
import type { Command } from 'commander';
import type { ProtocolRecord } from '../../shared/protocol.ts';
import type { Command as Command_ } from '../../shared/wire.ts';
import type { BoardSession } from '../board-session.ts';
import { UserError } from '../errors.ts';
import type { MonitorCliOptions } from '../monitor/options.ts';
import { beyondLoopback, classroomUrls, qrForTerminal } from './address.ts';
import type { RunHistory } from '../monitor/history.ts';
import { createConsole } from './console.ts';
import { startDashboard } from './server.ts';

/**
 * --web and the options that go with it, for a command without addMonitorOptions (host
 * distributed); `host: false` when the command declares --host itself (one address for all it serves).
 */
export function addWebOptions(cmd: Command, o: { host?: boolean } = {}): Command {
  cmd.option('--web', 'also serve the live dashboard page');
  if (o.host !== false) cmd.option('--host <address>', 'address the dashboard listens on (default 127.0.0.1: this computer only)');
  return cmd.option('--web-port <n>', 'dashboard port (default: a free one)').option('--log', 'the dashboard\'s loss chart starts on a log scale');
}

/**
 * The web dashboard's record sink and its shutdown, or nothing without --web. Its buttons act on
 * every board given (none: the page has no buttons to press). `say` puts a line on the page too.
 */
export async function webSinks(
  opts: MonitorCliOptions,
  sessions: BoardSession | BoardSession[],
  title = 'pico-trainer',
  history?: RunHistory,
): Promise<{ sinks: ((r: ProtocolRecord) => void)[]; url?: string; say(text: string): void; close(): Promise<void>; hold(): Promise<void> }> {
  if (!opts.web) return { sinks: [], say: () => undefined, close: async () => undefined, hold: async () => undefined };
  const boards = Array.isArray(sessions) ? sessions : [sessions];
  const all = async (cmd: Command_) => {
    await Promise.all(boards.map((s) => s.link.sendCommand(cmd)));
  };
  let port = 0;
  if (opts.webPort !== undefined) {
    port = Number(opts.webPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--web-port ${opts.webPort}: give a port number from 0 to 65535`);
  }
  const host = opts.host ?? '127.0.0.1';
  // The address is known only once listening; the page asks for the QR code later, so fill in after.
  const classroom: string[] = [];
  const dash = await startDashboard({
    host,
    classroom,
    // One board and a history to keep: the page is the console too.
    console: history && boards.length === 1 ? createConsole(boards[0], history) : undefined,
    port,
    title,
    log: !!opts.log,
    control: boards.length > 0 ? { pause: () => all({ op: 'pause' }), resume: () => all({ op: 'resume' }), stop: () => all({ op: 'stop' }) } : undefined,
  });
  // The address stays in view: printed here, in the terminal view's header, and on the page; beyond
  // this computer, with the class's addresses and a QR code of the first.
  const urls = classroomUrls(host, Number(new URL(dash.url).port));
  classroom.push(...urls);
  const shown = urls[0] ?? dash.url;
  if (urls.length > 0) {
    process.stderr.write(`live dashboard for the class: ${urls.join('  ')}\n${await qrForTerminal(urls[0])}`);
  } else {
    process.stderr.write(`live dashboard: ${dash.url}${beyondLoopback(host) ? '' : ' (this computer only; --host 0.0.0.0 to show it to the class)'}\n`);
  }
  return {
    sinks: [(r) => dash.push(r)],
    url: shown,
    say: (text) => dash.say(text),
    close: () => dash.close(),
    // After the run the page stays up for the class until Ctrl-C.
    hold: () =>
      new Promise<void>((resolve) => {
        process.stderr.write(`the run is over; the dashboard stays up at ${shown} — Ctrl-C to quit\n`);
        process.once('SIGINT', () => resolve());
      }),
  };
}
