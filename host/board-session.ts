// Opening "the board" for a command. If another `npx host` process already holds the board's port
// as its hub (a monitor, a live page, `npx host serve`), the command goes through that hub instead
// of failing with "busy". Otherwise it opens the port itself: picks it, puts the REPL in a known
// state without interrupting a running program, and makes sure our firmware (and protocol)
// answers; with `hub` it then becomes the board's hub for everyone else.
import type { StatusRecord } from '../shared/protocol.ts';
import type { BoardChannel } from './hub/channel.ts';
import { HubClient } from './hub/client.ts';
import { findHub, type HubEntry } from './hub/registry.ts';
import { startHub, type Hub } from './hub/server.ts';
import { SharedBoard } from './hub/shared-board.ts';
import { BoardLink } from './link/board.ts';
import { choosePort, openPort } from './link/port.ts';

export type { BoardChannel } from './hub/channel.ts';

export interface BoardSession {
  link: BoardChannel;
  path: string;
  status: StatusRecord;
  /** 'hub': through another process's hub (`hub` says whose); 'port': this process holds the port. */
  via: 'port' | 'hub';
  hub?: HubEntry;
  /** This process's own hub, when it became one. */
  serving?: Hub;
  close(): Promise<void>;
}

export interface ConnectOptions {
  port?: string;
  /** Become the board's hub, as this command (e.g. "host monitor"), when this process opens the port. */
  hub?: string;
}

export async function connectBoard(opts: ConnectOptions): Promise<BoardSession> {
  const path = await choosePort(opts.port);
  const entry = await findHub(path);
  if (entry) {
    const client = await HubClient.connect(entry);
    try {
      const status = await client.status();
      return { link: client, path, status, via: 'hub', hub: entry, close: () => client.close() };
    } catch (err) {
      await client.close();
      throw err;
    }
  }
  const link = new BoardLink(await openPort(path));
  let status: StatusRecord;
  try {
    // No Ctrl-C: the board may be training, and commands get through between its time slices.
    await link.prepare({ interrupt: false });
    status = (await link.expectFirmware(path)).status;
  } catch (err) {
    await link.close();
    throw err;
  }
  if (!opts.hub) return { link, path, status, via: 'port', close: () => link.close() };
  const board = new SharedBoard(path, link);
  let serving: Hub | undefined;
  try {
    serving = await startHub(board, opts.hub);
  } catch (err) {
    // Without a hub the command still works; others will find the port busy, as before.
    process.stderr.write(`host: could not serve ${path} to other commands (${(err as Error).message}); they will find the port busy\n`);
  }
  return {
    link: board,
    path,
    status,
    via: 'port',
    serving,
    close: async () => {
      await serving?.close();
      await board.close();
    },
  };
}

/** The board's sample capacity (from its status; the firmware's constant when an old one omits it). */
export function boardCapacity(status: StatusRecord): { samples: number; features: number } {
  return status.capacity ?? { samples: 1024, features: 8 };
}

/** Whether the board is in the middle of a run (training, paused, or walking). */
export function runInProgress(status: StatusRecord): boolean {
  return status.state === 'training' || status.state === 'paused' || status.state === 'walking';
}

/** "run 3 (sgd, epoch 11231)": how a notice names the board's current run. */
export function runName(status: StatusRecord): string {
  const what = status.state === 'walking' ? 'a walk' : status.config ? status.config.optimizer : 'training';
  return `run ${status.run ?? '?'} (${what}${status.state === 'walking' ? '' : `, epoch ${status.epoch}`})`;
}

/**
 * Before a command ends the board's run (a new start, new data, a flash): the one line that says so,
 * printed, and told to everyone watching through the hub. Nothing when no run is in progress.
 */
export async function announceEnd(session: BoardSession, why: string, out: NodeJS.WritableStream = process.stderr): Promise<string | null> {
  const status = await session.link.status();
  if (!runInProgress(status)) return null;
  const line = `stopped ${runName(status)} ${why}`;
  out.write(`${line}\n`);
  session.link.notify?.(line);
  return line;
}
