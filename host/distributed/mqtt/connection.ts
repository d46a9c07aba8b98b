// The two ends of the network: the MQTT broker the teacher's host embeds (aedes, on --host and
// --mqtt-port) and a client connection to a broker (the embedded one, or Mosquitto with --broker),
// each failing with one line that says what to change.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { UserError } from '../../errors.ts';
import { listenError, localAddresses } from '../../web/server.ts';

export interface EmbeddedBroker {
  host: string;
  port: number;
  /** Clients connected now (this host's own client among them). */
  clients(): number;
  close(): Promise<void>;
}

/** Starts aedes on host:port (port 0: a free one). */
export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  // No Nagle: a round is a few small messages each way, and waiting to batch them costs 40 ms each.
  const server: Server = createServer({ noDelay: true }, broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => broker.close(() => r()));
    throw brokerListenError(err, host, port);
  }
  const bound = (server.address() as AddressInfo).port;
  return {
    host,
    port: bound,
    clients: () => broker.connectedClients,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

function brokerListenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new UserError(`--mqtt-port ${port}: the port is in use (another MQTT broker, such as Mosquitto?); choose another --mqtt-port, or use that broker with --broker mqtt://127.0.0.1:${port}`);
  }
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`--mqtt-port ${port}: permission denied (ports below 1024 need administrator rights); 1883, MQTT's own, needs none`);
  const e = listenError(err, host, port);
  return e;
}

export interface ConnectOptions {
  clientId: string;
  will?: IClientOptions['will'];
  /** How the URL is named in an error: "--join mqtt://…", "--broker mqtt://…". */
  what: string;
  /** What to check when nothing answers. */
  hint: string;
  timeoutMs?: number;
}

/**
 * A connected client (MQTT 3.1.1, which aedes and Mosquitto both speak). It does not reconnect: a
 * dropped connection is the end of this host's part in the run, as an unplugged cable is a board's.
 */
export function connectBroker(url: string, o: ConnectOptions): Promise<MqttClient> {
  const timeout = o.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: o.clientId,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeout,
      keepalive: 10,
      will: o.will,
    });
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      reject(new UserError(`${o.what}: no MQTT broker answers (${why}); ${o.hint}`));
    };
    const timer = setTimeout(() => fail(`nothing in ${timeout / 1000} s`), timeout);
    client.on('connect', () => {
      // Small messages go at once (no Nagle): a round trip is a few of them.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    });
    client.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve(client);
    });
    client.on('error', (e) => {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ECONNREFUSED') fail('connection refused');
      else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') fail('no such host');
      else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') fail('no route to that address');
      else fail(err.message);
    });
    client.once('close', () => fail('the connection closed'));
  });
}

/** Where students reach a broker on host:port: this computer's network addresses for 0.0.0.0. */
export function joinAddresses(host: string, port: number): { urls: string[]; local: boolean } {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  const hosts = loopback ? [host] : host === '0.0.0.0' || host === '::' ? localAddresses() : [host];
  const urls = hosts.map((h) => (h.includes(':') ? `mqtt://[${h}]:${port}` : `mqtt://${h}:${port}`));
  return { urls: urls.length > 0 ? urls : [`mqtt://127.0.0.1:${port}`], local: loopback || urls.length === 0 };
}
