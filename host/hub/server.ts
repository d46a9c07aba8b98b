// A board's hub: the process that opened the board (monitor, train --monitor, --web, serve) also
// serves it to every other `npx host` command on this computer, over a local socket only this
// user can open. Commands, uploads and status questions go through the hub's one link, one at a
// time; every client that subscribes hears the board's records. The registry (registry.ts) is how
// the others find it.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { StatusRecord } from '../../shared/protocol.ts';
import { registerHub, socketPath, unregisterHub, type HubEntry } from './registry.ts';
import type { HubMessage, HubRequest } from './messages.ts';
import { toWire } from './messages.ts';
import type { SharedBoard } from './shared-board.ts';

export interface Hub {
  entry: HubEntry;
  /** Records the live page's address in the registry (so that other commands can show it). */
  setWeb(url: string): void;
  close(): Promise<void>;
}

function send(sock: Socket, m: HubMessage): void {
  if (!sock.destroyed && sock.writable) sock.write(JSON.stringify(m) + '\n');
}

function serveClient(board: SharedBoard, sock: Socket): void {
  const offs = [
    board.onRecord((record) => send(sock, { record })),
    board.onNotice((notice) => send(sock, { notice })),
    board.onClosed(() => send(sock, { closed: `the board on ${board.path} is gone (unplugged or reset?)` })),
  ];
  let releasedHere = false;
  const lines = createInterface({ input: sock });
  // A client that vanishes resets the socket: that ends its session, nothing more.
  lines.on('error', () => undefined);
  lines.on('line', (line) => {
    let req: HubRequest;
    try {
      req = JSON.parse(line) as HubRequest;
    } catch {
      return;
    }
    const answer = (p: Promise<unknown>) =>
      p.then(
        (value) => send(sock, { id: req.id, ok: true, value: value ?? null }),
        (err) => send(sock, { id: req.id, ok: false, error: toWire(err) }),
      );
    switch (req.op) {
      case 'command':
        answer(board.sendCommand(req.cmd, req.opts));
        break;
      case 'status':
        answer(board.status({ timeoutMs: req.timeoutMs }) as Promise<StatusRecord>);
        break;
      case 'upload': {
        const bytes = Buffer.from(req.data, 'base64');
        const packed = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        answer(board.uploadDataset(packed, req.features, (progress) => send(sock, { id: req.id, progress }), req.opts));
        break;
      }
      case 'release':
        answer(
          board.release(req.why).then(() => {
            releasedHere = true;
          }),
        );
        break;
      case 'reclaim':
        releasedHere = false;
        answer(board.reclaim());
        break;
      case 'notice':
        board.notice(req.text);
        answer(Promise.resolve(null));
        break;
      case 'info':
        answer(Promise.resolve({ port: board.path, pid: process.pid }));
        break;
    }
  });
  sock.on('error', () => undefined);
  sock.on('close', () => {
    for (const off of offs) off();
    // A flasher that vanished without handing the port back: take it back.
    if (releasedHere) board.reclaim().catch(() => undefined);
  });
}

/** Serves `board` on its socket and registers it; close() undoes both. */
export async function startHub(board: SharedBoard, command: string): Promise<Hub> {
  const path = socketPath(board.path);
  rmSync(path, { force: true });
  const clients = new Set<Socket>();
  const server: Server = createServer((sock) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    serveClient(board, sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  const entry: HubEntry = { port: board.path, socket: path, pid: process.pid, command, started: new Date().toISOString() };
  registerHub(entry);
  let closed = false;
  return {
    entry,
    setWeb(url) {
      entry.web = url;
      registerHub(entry);
    },
    async close() {
      if (closed) return;
      closed = true;
      unregisterHub(board.path);
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    },
  };
}
