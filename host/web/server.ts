// The live dashboard: one page that plots a run as its records arrive, for a projector.
// Node's http only. Records reach the pages as Server-Sent Events in batches (one event per
// `flushMs`, so 2,000 records/s cost each page ten small messages a second). A page that connects —
// a reload, a second tab — first gets a snapshot of everything kept so far, then the live batches.

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseRecord, type ProtocolRecord } from '../../shared/protocol.ts';
import { UserError } from '../errors.ts';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { qrSvg } from './address.ts';
import { clientBundle } from './bundle.ts';
import type { ConsoleApi } from './console.ts';
import { RecordStore } from './store.ts';

export interface DashboardControl {
  pause(): void | Promise<void>;
  resume(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface DashboardOptions {
  /** Interface to listen on; 127.0.0.1 unless the user asks for another (a classroom network). */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  title?: string;
  /** What the Pause, Resume and Stop buttons do; without it the buttons answer 501. */
  control?: DashboardControl;
  /** Points the server keeps (all runs together); older points are thinned past it. */
  budget?: number;
  /** Points a page keeps and draws; a page that connects gets the history thinned to this. */
  pageBudget?: number;
  /** How often batched records go out to the pages, in milliseconds. */
  flushMs?: number;
  /** The loss chart starts on a log scale (the command had --log). */
  log?: boolean;
  /** The console: choose a CSV, set options, Train, Compare, the run history and files (one board). */
  console?: ConsoleApi;
  /** The addresses the class types (listening beyond 127.0.0.1): shown on the page, the first as a QR code. */
  classroom?: string[];
}

export interface Dashboard {
  url: string;
  /**
   * A record (or a line that holds one; other lines are ignored) for the pages. Update records (a
   * parallel run's, thousands a second) are counted into the store and never sent on: the pages get
   * their summary (`updates` events) once per flush.
   */
  push(record: ProtocolRecord | string): void;
  /** A line for the person watching (a board that is gone, …): shown on every page, the latest one kept for new pages. */
  say(text: string): void;
  /** Pages connected right now. */
  clients(): number;
  readonly store: RecordStore;
  close(): Promise<void>;
}

const ACTIONS = ['pause', 'resume', 'stop'] as const;
/** A page that stops reading (a frozen tab) is dropped past this much unsent data; it reconnects with a snapshot. */
const MAX_BACKLOG = 32 * 1024 * 1024;

const require = createRequire(import.meta.url);
let staticFiles: Promise<{ page: string; css: string }> | null = null;
function loadStatic(): Promise<{ page: string; css: string }> {
  if (!staticFiles)
    staticFiles = Promise.all([readFile(new URL('./page.html', import.meta.url), 'utf8'), readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8')]).then(([page, css]) => ({ page, css }));
  return staticFiles;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** This machine's own network addresses (IPv4 first), for a message about --host. */
export function localAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.startsWith('fe80:')) v6.push(a.address);
    }
  }
  return [...v4, ...v6];
}

/** Node's listen errors as one line that names the option to change (--web-port, --host). */
export function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const others = localAddresses();
  const choose = `use 127.0.0.1, 0.0.0.0${others.length > 0 ? ` or one of: ${others.join(', ')}` : ' (this computer has no other network address)'}`;
  switch (code) {
    case 'EADDRINUSE':
      return new UserError(`--web-port ${port}: the port is in use by another program; choose another or leave --web-port out for a free one`);
    case 'EACCES':
    case 'EPERM':
      return new UserError(`--web-port ${port}: permission denied (ports below 1024 need administrator rights); choose 1024 or above, or leave --web-port out for a free one`);
    case 'EADDRNOTAVAIL':
      return new UserError(`--host ${host}: this computer has no such address; ${choose}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new UserError(`--host ${host}: no such host name; ${choose}`);
    case 'EAFNOSUPPORT':
      return new UserError(`--host ${host}: this computer does not support that kind of address; ${choose}`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

export async function startDashboard(o: DashboardOptions = {}): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const title = o.title ?? 'pico-trainer';
  const pageBudget = o.pageBudget ?? 200_000;
  const flushMs = o.flushMs ?? 80;
  const store = new RecordStore(o.budget ?? 1_000_000);
  const [{ page, css }, js] = await Promise.all([loadStatic(), clientBundle()]);
  // The config travels inside the page; `<` is escaped so no title can close the script element.
  // Made per request: the class's addresses are known only once the server listens.
  const html = (): string => {
    const config = JSON.stringify({ title, budget: pageBudget, log: !!o.log, console: !!o.console, classroom: o.classroom ?? [], control: !!o.control }).replace(/</g, '\\u003c');
    return page.replace(/\{\{TITLE\}\}/g, () => escapeHtml(title)).replace('{{CONFIG}}', () => config);
  };

  const clients = new Set<ServerResponse>();
  let pending: ProtocolRecord[] = [];
  /** Update records came since the last flush: their summary goes out with it. */
  let updates = false;
  /** The latest line said (say()), for pages that connect later. */
  let said = '';
  let timer: NodeJS.Timeout | null = null;
  /** Whether the board was last told to pause: every page shows it, and a new run clears it. */
  let paused = false;

  function send(res: ServerResponse, event: string, data: string): void {
    if (res.writableLength > MAX_BACKLOG) {
      clients.delete(res);
      res.destroy();
      return;
    }
    res.write(`event: ${event}\ndata: ${data}\n\n`);
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.length > 0) {
      const data = JSON.stringify(pending);
      pending = [];
      for (const res of clients) send(res, 'records', data);
    }
    // After the records it follows, so that a page has the run it belongs to.
    const state = updates ? store.parallelState() : null;
    updates = false;
    if (state) {
      const data = JSON.stringify(state);
      for (const res of clients) send(res, 'updates', data);
    }
  }

  async function control(action: (typeof ACTIONS)[number], res: ServerResponse): Promise<void> {
    if (!o.control) {
      res.writeHead(501, { 'content-type': 'text/plain' }).end('this dashboard has no board to control');
      return;
    }
    try {
      await o.control[action]();
      res.writeHead(204).end();
      if (action !== 'stop') {
        flush();
        paused = action === 'pause';
        for (const c of clients) send(c, 'state', JSON.stringify({ paused }));
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end((err as Error).message);
    }
  }

  function json(res: ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(value));
  }

  /** A console request's answer: its value, or the one-line message of a mistake (400) or a failure (500). */
  function answer(res: ServerResponse, work: () => Promise<unknown>): void {
    work().then(
      (value) => json(res, 200, value),
      (err: Error) => json(res, err instanceof UserError ? 400 : 500, { error: err.message }),
    );
  }

  function body(req: IncomingMessage, limit: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let size = 0;
      req.on('data', (b: Buffer) => {
        size += b.length;
        if (size > limit) {
          reject(new UserError(`the file is over ${Math.round(limit / 1e6)} MB; the board holds far less: use a smaller file`));
          req.destroy();
          return;
        }
        parts.push(b);
      });
      req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      req.on('error', reject);
    });
  }

  /** The console's routes (/api/…); false when the path is not one of them. */
  function api(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const c = o.console;
    if (!path.startsWith('/api/')) return false;
    if (req.method === 'GET' && path === '/api/qr.svg') {
      if (!o.classroom || o.classroom.length === 0) res.writeHead(404).end();
      else void qrSvg(o.classroom[0]).then((svg) => res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(svg));
      return true;
    }
    if (!c) {
      res.writeHead(501, { 'content-type': 'text/plain' }).end('this page has no console (it shows several boards, or none)');
      return true;
    }
    if (req.method === 'GET' && path === '/api/console') {
      answer(res, async () => ({ ...(await c.info()), runs: c.history() }));
    } else if (req.method === 'GET' && path === '/api/runs') {
      answer(res, async () => c.history());
    } else if (req.method === 'GET' && /^\/api\/runs\/\d+\/file$/.test(path)) {
      const file = c.file(Number(path.split('/')[3]));
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such run');
      } else {
        try {
          res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="${basename(file)}"` }).end(readFileSync(file));
        } catch {
          res.writeHead(410, { 'content-type': 'text/plain' }).end(`${file} is gone from this computer`);
        }
      }
    } else if (req.method === 'POST' && ['/api/upload', '/api/train', '/api/compare'].includes(path)) {
      // Same guard as the buttons: a custom header keeps other sites' forms out.
      if (req.headers['x-dashboard'] !== '1') {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('missing X-Dashboard header');
        req.resume();
        return true;
      }
      answer(res, async () => {
        const text = await body(req, 64 * 1024 * 1024);
        if (path === '/api/upload') return c.upload(decodeURIComponent(String(req.headers['x-file-name'] ?? 'upload.csv')), text);
        let o2: { options?: Record<string, string | boolean>; optimizers?: string };
        try {
          o2 = JSON.parse(text);
        } catch {
          throw new UserError('the request is not JSON');
        }
        if (path === '/api/train') return c.train(o2.options ?? {});
        return c.compare(String(o2.optimizers ?? ''), o2.options ?? {});
      });
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
    return true;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url || '/').split('?')[0];
    if (api(req, res, path)) return;
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html());
    } else if (req.method === 'GET' && path === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }).end(js);
    } else if (req.method === 'GET' && path === '/uplot.css') {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' }).end(css);
    } else if (req.method === 'GET' && path === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (req.method === 'GET' && path === '/events') {
      // Whatever is pending is already in the store: send it to the others first, so the new page
      // gets it once, inside its snapshot.
      flush();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.socket?.setNoDelay(true);
      // Reconnect within a second when the host comes back, rather than the browser's default three.
      res.write('retry: 1000\n\n');
      send(res, 'snapshot', JSON.stringify({ ...store.snapshot(pageBudget), paused, notice: said }));
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else if (req.method === 'POST' && path.startsWith('/control/')) {
      const action = path.slice('/control/'.length) as (typeof ACTIONS)[number];
      // A custom header makes a cross-site form or fetch fail its CORS preflight: only our page can press Stop.
      if (!ACTIONS.includes(action)) res.writeHead(404).end();
      else if (req.headers['x-dashboard'] !== '1') res.writeHead(403, { 'content-type': 'text/plain' }).end('missing X-Dashboard header');
      else void control(action, res);
      req.resume();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, host, o.port ?? 0)));
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${addr.port}/`,
    store,
    clients: () => clients.size,
    push(record) {
      const r = typeof record === 'string' ? parseRecord(record) : record;
      if (!r) return;
      // The summary of the run that ends goes out before the next one starts.
      if ((r.type === 'start' || r.type === 'walk') && updates && clients.size > 0) flush();
      store.add(r);
      if (r.type === 'start' || r.type === 'walk') paused = false;
      if (clients.size === 0) return;
      if (r.type === 'update') updates = true;
      else pending.push(r);
      if (!timer) timer = setTimeout(flush, flushMs);
    },
    say(text) {
      said = text;
      flush();
      const data = JSON.stringify(text);
      for (const res of clients) send(res, 'notice', data);
    },
    close() {
      flush();
      for (const res of clients) res.end();
      clients.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
