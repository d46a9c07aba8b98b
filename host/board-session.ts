// Opening "the board" for a command: pick the port, open it, put the REPL in a known state without
// interrupting a running program, and make sure our firmware (and protocol) answers.
import type { StatusRecord } from '../shared/protocol.ts';
import { BoardLink } from './link/board.ts';
import { choosePort, openPort } from './link/port.ts';

export interface BoardSession {
  link: BoardLink;
  path: string;
  status: StatusRecord;
  close(): Promise<void>;
}

export async function connectBoard(opts: { port?: string }): Promise<BoardSession> {
  const path = await choosePort(opts.port);
  const link = new BoardLink(await openPort(path));
  try {
    // No Ctrl-C: the board may be training, and commands get through between its time slices.
    await link.prepare({ interrupt: false });
    const { status } = await link.expectFirmware(path);
    return { link, path, status, close: () => link.close() };
  } catch (err) {
    await link.close();
    throw err;
  }
}

/** The board's sample capacity (from its status; the firmware's constant when an old one omits it). */
export function boardCapacity(status: StatusRecord): { samples: number; features: number } {
  return status.capacity ?? { samples: 1024, features: 8 };
}
