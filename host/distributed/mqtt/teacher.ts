// The teacher's side of a run over the network: this host is the parameter server of boards.ts,
// and boards on the students' laptops are workers through MQTT. `Classroom` announces the run
// (retained on pico-trainer/current), gathers the workers (the local boards and those that join),
// lets late joiners take the place of a worker that is gone, and ends the run for everyone.
// `RemoteWorker` is a RoundWorker whose board is on another laptop: its shard, its rounds and its
// stop are messages to the student's host, which answers with the board's done record and
// forwards the board's records for the board's file here.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { TrainConfig } from '../../../shared/config.ts';
import { formatRecord, parseRecord, PROTOCOL_VERSION, type AckRecord, type DoneRecord, type ProtocolRecord } from '../../../shared/protocol.ts';
import type { Command } from '../../../shared/wire.ts';
import { BoardError } from '../../link/errors.ts';
import type { StreamWorker } from '../stream.ts';
import type { CsvDataset } from '../../csv.ts';
import { UserError } from '../../errors.ts';
import { qrForTerminal } from '../../web/address.ts';
import type { LateWorker, RoundWorker } from '../boards.ts';
import { connectBroker, joinAddresses, startEmbeddedBroker, type EmbeddedBroker } from './connection.ts';
import {
  decode,
  encode,
  endWords,
  f32ToBase64,
  parseJoinUrl,
  shortId,
  topics,
  wireConfig,
  type AnswerMessage,
  type CommandMessage,
  type EndMessage,
  type JoinMessage,
  type LeaveMessage,
  type Message,
  type RecordsMessage,
  type ResultMessage,
  type RoundMessage,
  type RunAnnouncement,
  type ShardMessage,
  type StopMessage,
} from './messages.ts';

/** How long a done record waits for the last of its round's records (they travel on their own topic). */
const RECORDS_GRACE_MS = 2000;

type Publish = (topic: string, payload: Buffer, retain?: boolean) => Promise<void>;

interface Pending {
  kind: 'upload' | 'round';
  seq: number;
  resolve(done: DoneRecord | undefined): void;
  reject(err: Error): void;
  /** A round's done record that came before all of its records. */
  done?: DoneRecord;
  expect?: number;
  timer?: NodeJS.Timeout;
}

/** A board on a student's laptop as a RoundWorker and a StreamWorker (see the top of this file). */
export class RemoteWorker implements RoundWorker, StreamWorker {
  private seq = 0;
  private pending: Pending | null = null;
  /** Commands sent (the worker role) and not answered yet, by seq. */
  private commands = new Map<number, { resolve(r: AckRecord): void; reject(err: Error): void }>();
  private commandSeq = 0;
  private recordListeners: ((r: ProtocolRecord) => void)[] = [];
  private goneListeners: ((err: Error) => void)[] = [];
  private why: string | null = null;
  private out: { path: string; fd: number } | null = null;
  private received = new Map<number, number>();

  /**
   * `id`: the worker's id in topics; `name`: "alice:/dev/ttyACM0"; `append`: its file already holds
   * the rounds of the worker whose place it took, and its own go after them.
   */
  constructor(
    private readonly publish: Publish,
    readonly run: string,
    readonly id: string,
    readonly name: string,
    private readonly append = false,
  ) {}

  upload(shard: CsvDataset, label: string): Promise<void> {
    const m: Omit<ShardMessage, 'protocol' | 'run'> = { type: 'shard', worker: this.id, label, features: shard.features, rows: shard.rows, data: f32ToBase64(shard.packed) };
    return this.request('upload', 0, () => this.publish(topics.shard(this.run, this.id), encode(this.run, m))).then(() => undefined);
  }

  async round(config: TrainConfig, file: string): Promise<DoneRecord> {
    this.fileFor(file);
    const seq = ++this.seq;
    const m: Omit<RoundMessage, 'protocol' | 'run'> = { type: 'round', worker: this.id, seq, ...wireConfig(config) };
    const done = await this.request('round', seq, () => this.publish(topics.round(this.run, this.id), encode(this.run, m)));
    this.received.delete(seq);
    return done as DoneRecord;
  }

  /** A command for the board (the worker role): the student's host types it and answers with the board's ack. */
  command(cmd: Command): Promise<AckRecord> {
    if (this.why !== null) return Promise.reject(new UserError(this.why));
    const seq = ++this.commandSeq;
    return new Promise((resolve, reject) => {
      this.commands.set(seq, { resolve, reject });
      const m: Omit<CommandMessage, 'protocol' | 'run'> = { type: 'command', worker: this.id, seq, command: cmd };
      this.publish(topics.command(this.run, this.id), encode(this.run, m)).catch((err: Error) => {
        this.commands.delete(seq);
        reject(new UserError(`${this.name}: could not send to it (${err.message})`));
      });
    });
  }

  onRecord(cb: (r: ProtocolRecord) => void): () => void {
    this.recordListeners.push(cb);
    return () => {
      this.recordListeners = this.recordListeners.filter((x) => x !== cb);
    };
  }

  onGone(cb: (err: Error) => void): () => void {
    this.goneListeners.push(cb);
    return () => {
      this.goneListeners = this.goneListeners.filter((x) => x !== cb);
    };
  }

  async stop(): Promise<void> {
    if (this.why !== null) return;
    const m: Omit<StopMessage, 'protocol' | 'run'> = { type: 'stop', worker: this.id };
    await this.publish(topics.stop(this.run, this.id), encode(this.run, m));
  }

  close(): void {
    if (this.out) closeSync(this.out.fd);
    this.out = null;
  }

  /** Its host is gone (left, vanished, or this host lost the broker): what is pending fails with `why`. */
  lost(why: string): void {
    if (this.why !== null) return;
    this.why = why;
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new UserError(why));
    }
    for (const c of this.commands.values()) c.reject(new UserError(why));
    this.commands.clear();
    for (const cb of this.goneListeners) cb(new UserError(why));
  }

  get gone(): boolean {
    return this.why !== null;
  }

  onResult(m: ResultMessage): void {
    if (m.type === 'acked' || (m.type === 'failed' && m.command === true)) {
      const c = this.commands.get(m.seq as number);
      if (!c) return;
      this.commands.delete(m.seq as number);
      const r = m.type === 'acked' ? parseRecord(m.record) : null;
      if (r !== null && r.type === 'ack') c.resolve(r);
      else if (r !== null && r.type === 'error') c.reject(new BoardError(r));
      else c.reject(new UserError(`${this.name}: ${m.type === 'failed' ? m.message : 'its answer is not an ack'}`));
      return;
    }
    if (m.type === 'gone') return this.lost(`${this.name}: ${m.message}`);
    const p = this.pending;
    if (!p) return;
    if (m.type === 'failed') {
      if (m.seq !== undefined && m.seq !== p.seq) return;
      this.settle(p, new UserError(p.kind === 'upload' ? `${this.name}: ${m.message}` : m.message));
    } else if (m.type === 'uploaded') {
      if (p.kind === 'upload') this.settle(p);
    } else if (p.kind === 'round' && m.seq === p.seq) {
      const r = parseRecord(m.record);
      if (r === null || r.type !== 'done') return this.settle(p, new UserError(`${this.name} answered its round without a done record`));
      p.done = r;
      p.expect = m.lines;
      if ((this.received.get(p.seq) ?? 0) >= m.lines) this.settle(p);
      else p.timer = setTimeout(() => this.settle(p), RECORDS_GRACE_MS);
    }
  }

  onRecords(m: RecordsMessage): void {
    let n = 0;
    for (const line of m.lines) {
      const r = parseRecord(line);
      if (r === null) continue;
      n++;
      if (this.out) writeSync(this.out.fd, formatRecord(r) + '\n');
      for (const cb of this.recordListeners) cb(r);
    }
    const total = (this.received.get(m.seq) ?? 0) + n;
    this.received.set(m.seq, total);
    const p = this.pending;
    if (p && p.seq === m.seq && p.done && p.expect !== undefined && total >= p.expect) this.settle(p);
  }

  private settle(p: Pending, err?: Error): void {
    if (this.pending !== p) return;
    this.pending = null;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(p.done);
  }

  private request(kind: Pending['kind'], seq: number, send: () => Promise<void>): Promise<DoneRecord | undefined> {
    if (this.why !== null) return Promise.reject(new UserError(this.why));
    return new Promise((resolve, reject) => {
      const p: Pending = { kind, seq, resolve, reject };
      this.pending = p;
      send().catch((err: Error) => this.settle(p, new UserError(`${this.name}: could not send to it (${err.message})`)));
    });
  }

  private fileFor(path: string): void {
    if (this.out?.path === path) return;
    this.close();
    mkdirSync(dirname(path), { recursive: true });
    this.out = { path, fd: openSync(path, this.append ? 'a' : 'w') };
  }
}

/** Puts a worker in the place of one that is gone; its number (0-based), or null when none is free. */
export type Seat = (worker: LateWorker) => Promise<number | null>;

export interface ClassroomOptions {
  /** --broker: an existing broker's URL, instead of embedding one. */
  broker?: string;
  /** The embedded broker's address and port (--host, --mqtt-port). */
  host: string;
  port: number;
  algorithm: string;
  say(text: string): void;
}

interface Joiner {
  name: string;
  workers: RemoteWorker[];
  gone: boolean;
}

export class Classroom {
  private phase: 'gathering' | 'starting' | 'running' | 'ended' = 'gathering';
  private joiners = new Map<string, Joiner>();
  private workers = new Map<string, RemoteWorker>();
  private remotes: RemoteWorker[] = [];
  private locals: RoundWorker[] = [];
  private want: number | null = null;
  private total = 0;
  private seat: Seat | null = null;
  private queued: JoinMessage[] = [];
  private gathered: (() => void) | null = null;
  private closing = false;

  private constructor(
    readonly run: string,
    private readonly client: MqttClient,
    private readonly broker: EmbeddedBroker | null,
    /** The URLs students join with, and whether they reach only this computer. */
    readonly urls: string[],
    readonly local: boolean,
    private readonly o: ClassroomOptions,
  ) {}

  /** Starts the embedded broker (or connects to --broker) and listens for joiners. */
  static async open(o: ClassroomOptions): Promise<Classroom> {
    let broker: EmbeddedBroker | null = null;
    let url: string;
    let where: { urls: string[]; local: boolean };
    if (o.broker !== undefined) {
      const b = parseJoinUrl(o.broker, '--broker');
      url = b.broker;
      // A broker on this computer: its loopback address here, and this computer's network addresses
      // for the others (they reach it if it listens on them).
      where = joinAddresses(b.host, b.port);
      if (where.local) where = { urls: [b.broker, ...joinAddresses('0.0.0.0', b.port).urls.filter((u) => u !== b.broker)], local: false };
    } else {
      broker = await startEmbeddedBroker(o.host, o.port);
      url = `mqtt://${o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host}:${broker.port}`;
      where = joinAddresses(o.host, broker.port);
    }
    const run = shortId();
    // If this host vanishes without ending the run, the broker announces that it ended.
    const vanished: Omit<RunAnnouncement, 'protocol' | 'run'> = { type: 'run', state: 'ended', algorithm: o.algorithm, workers: 0, message: "the teacher's host vanished" };
    let client: MqttClient;
    try {
      client = await connectBroker(url, {
        clientId: `pico-trainer-teacher-${run}`,
        what: o.broker !== undefined ? `--broker ${o.broker}` : `the embedded broker on ${url}`,
        hint: o.broker !== undefined ? 'is it running, and is that its address?' : 'try another --mqtt-port',
        will: { topic: topics.current, payload: encode(run, vanished), qos: 1, retain: true },
      });
    } catch (err) {
      await broker?.close();
      throw err;
    }
    const room = new Classroom(run, client, broker, where.urls, where.local && o.broker === undefined, o);
    await room.listen();
    return room;
  }

  /** The command a student types. */
  joinCommand(url = this.urls[0]): string {
    return `npx host distributed --join ${url} --port <their board>`;
  }

  private async listen(): Promise<void> {
    const run = this.run;
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client.on('close', () => {
      if (this.closing) return;
      const why = 'this host lost its connection to the MQTT broker';
      if (this.phase !== 'ended') this.o.say(`host distributed: ${why}; the boards on other laptops are gone`);
      for (const w of this.workers.values()) w.lost(why);
    });
    await this.client.subscribeAsync(
      [topics.join(run), topics.leave(run, '+'), topics.result(run, '+'), topics.records(run, '+')],
      { qos: 1 },
    );
  }

  private announce(state: RunAnnouncement['state'], workers: number, message?: string): Promise<void> {
    const m: Omit<RunAnnouncement, 'protocol' | 'run'> = { type: 'run', state, algorithm: this.o.algorithm, workers, ...(message ? { message } : {}) };
    return this.publish(topics.current, encode(this.run, m), true);
  }

  private publish: Publish = async (topic, payload, retain = false) => {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  };

  /**
   * Waits until `want` workers are present (the local ones and those that joined; null: until Enter
   * is pressed) and returns them, local first, in the order they came.
   */
  async gather(locals: RoundWorker[], want: number | null): Promise<RoundWorker[]> {
    this.locals = locals;
    this.want = want;
    await this.announce('waiting', want ?? 0);
    const say = this.o.say;
    say(`host distributed: run ${this.run} on ${this.broker ? `the MQTT broker on ${this.o.host}:${this.broker.port} (embedded)` : `the MQTT broker ${this.o.broker}`}; students join with:`);
    for (const u of this.urls) say(`  ${this.joinCommand(u)}`);
    if (this.local) say('  (this computer only: --host 0.0.0.0 lets the other laptops join)');
    if (process.stderr.isTTY && !this.local) process.stderr.write(await qrForTerminal(this.joinCommand()));
    const here = locals.length > 0 ? `: ${locals.length} here (${locals.map((w) => w.name).join(', ')})` : '';
    say(want === null ? `waiting for workers${here}; press Enter to start with those present` : `waiting for ${want} workers${here}`);
    const enough = () => this.want !== null && this.locals.length + this.remotes.length >= this.want;
    if (!enough()) {
      await new Promise<void>((resolve, reject) => {
        const onSigint = () => {
          cleanup();
          reject(new UserError('stopped by Ctrl-C before the run started'));
        };
        const onLine = () => {
          if (this.locals.length + this.remotes.length === 0) return say('no workers yet: wait for a student to join, or Ctrl-C');
          cleanup();
          resolve();
        };
        const cleanup = () => {
          process.off('SIGINT', onSigint);
          process.stdin.off('data', onLine);
          if (want === null) process.stdin.pause();
          this.gathered = null;
        };
        process.on('SIGINT', onSigint);
        if (want === null) process.stdin.on('data', onLine);
        this.gathered = () => {
          if (!enough()) return;
          cleanup();
          resolve();
        };
      });
    }
    this.phase = 'starting';
    const all = [...this.locals, ...this.remotes];
    this.total = all.length;
    say(`${all.length} workers: ${all.map((w) => w.name).join(', ')}; the run starts`);
    await this.announce('running', all.length);
    return all;
  }

  /** The run is going: a host that joins now takes the places of workers that are gone, through `seat`. */
  admit(seat: Seat): void {
    this.seat = seat;
    this.phase = 'running';
    const q = this.queued;
    this.queued = [];
    for (const m of q) void this.joinLate(m);
  }

  /** Ends the run for everyone: the end message, the announcement that it ended, the broker. */
  async close(reason: string, message = ''): Promise<void> {
    if (this.closing) return;
    this.phase = 'ended';
    try {
      const end: Omit<EndMessage, 'protocol' | 'run'> = { type: 'end', reason, ...(message ? { message } : {}) };
      await this.publish(topics.end(this.run), encode(this.run, end));
      await this.announce('ended', this.total, endWords(reason, message));
    } catch {
      // The broker is gone: nobody is left to tell.
    }
    this.closing = true;
    for (const w of this.workers.values()) w.close();
    // The embedded broker lives as long as this host: give the students a moment to hear the end.
    if (this.broker) {
      for (let i = 0; i < 30 && this.broker.clients() > 1; i++) await new Promise((r) => setTimeout(r, 100));
    }
    await this.client.endAsync().catch(() => undefined);
    await this.broker?.close();
  }

  private onMessage(topic: string, payload: Buffer): void {
    const m = decode(payload);
    if (m === null || m.run !== this.run) return;
    if (m.protocol !== PROTOCOL_VERSION) {
      if (m.type === 'join') this.answer(m, [], m.boards.map((b) => b.worker), `the teacher's host speaks protocol ${PROTOCOL_VERSION}, this one ${m.protocol}: use the same version of pico-trainer`);
      return;
    }
    switch (m.type) {
      case 'join':
        return this.onJoin(m);
      case 'leave':
        return this.onLeave(m);
      case 'uploaded':
      case 'done':
      case 'failed':
      case 'acked':
      case 'gone':
        return this.workers.get(m.worker)?.onResult(m);
      case 'records':
        return this.workers.get(m.worker)?.onRecords(m);
      default:
        void (m satisfies Message);
    }
  }

  private answer(m: JoinMessage, seats: AnswerMessage['seats'], full: string[], message?: string): void {
    const a: Omit<AnswerMessage, 'protocol' | 'run'> = { type: 'answer', seats, full, ...(message ? { message } : {}) };
    this.publish(topics.answer(this.run, m.joiner), encode(this.run, a)).catch(() => undefined);
  }

  private onJoin(m: JoinMessage): void {
    if (this.joiners.has(m.joiner)) return;
    if (this.phase === 'ended') return this.answer(m, [], m.boards.map((b) => b.worker), `run ${this.run} has ended`);
    if (this.phase !== 'gathering') {
      if (this.phase === 'starting') this.queued.push(m);
      else void this.joinLate(m);
      return;
    }
    const joiner: Joiner = { name: m.name, workers: [], gone: false };
    this.joiners.set(m.joiner, joiner);
    const seats: AnswerMessage['seats'] = [];
    const full: string[] = [];
    for (const b of m.boards) {
      const count = this.locals.length + this.remotes.length;
      if (this.want !== null && count >= this.want) {
        full.push(b.worker);
        continue;
      }
      const w = new RemoteWorker(this.publish, this.run, b.worker, `${m.name}:${b.path}`);
      joiner.workers.push(w);
      this.workers.set(b.worker, w);
      this.remotes.push(w);
      seats.push({ worker: b.worker, number: count + 1 });
      this.o.say(`joined: ${w.name} (${count + 1}${this.want === null ? '' : ` of ${this.want}`} workers)`);
    }
    this.answer(m, seats, full, seats.length === 0 ? this.fullMessage() : undefined);
    if (seats.length === 0) this.joiners.delete(m.joiner);
    this.gathered?.();
  }

  private fullMessage(): string {
    return `run ${this.run} is full: its ${this.want ?? this.total} workers are all here; ask the teacher to start the next run with more --workers`;
  }

  /** A host that joins a run in progress: each of its boards takes the place of a worker that is gone, if any. */
  private async joinLate(m: JoinMessage): Promise<void> {
    const seat = this.seat;
    if (seat === null) return;
    const joiner: Joiner = { name: m.name, workers: [], gone: false };
    this.joiners.set(m.joiner, joiner);
    const seats: AnswerMessage['seats'] = [];
    const full: string[] = [];
    const notes: string[] = [];
    for (const b of m.boards) {
      if (joiner.gone) break;
      const w = new RemoteWorker(this.publish, this.run, b.worker, `${m.name}:${b.path}`, true);
      joiner.workers.push(w);
      this.workers.set(b.worker, w);
      let k: number | null = null;
      try {
        k = await seat(w);
      } catch (err) {
        notes.push((err as Error).message);
      }
      if (k === null) {
        full.push(b.worker);
        this.workers.delete(b.worker);
        joiner.workers.pop();
      } else {
        seats.push({ worker: b.worker, number: k + 1 });
      }
    }
    if (seats.length === 0) {
      this.joiners.delete(m.joiner);
      if (notes.length === 0) this.o.say(`${m.name} asked to join; the run has no place free (no worker is gone)`);
    }
    this.answer(m, seats, full, seats.length > 0 ? undefined : notes.length > 0 ? notes.join('; ') : `run ${this.run} is full: its ${this.total} workers are all training and none is gone; try again when one leaves`);
  }

  private onLeave(m: LeaveMessage): void {
    const joiner = this.joiners.get(m.joiner);
    if (!joiner || joiner.gone) return;
    joiner.gone = true;
    const why = m.reason === 'left' ? `${joiner.name} left the run${m.message ? ` (${m.message})` : ''}` : `${joiner.name}'s host vanished (its connection to the broker dropped)`;
    for (const w of joiner.workers) w.lost(why);
    if (this.phase === 'gathering') {
      this.remotes = this.remotes.filter((w) => !joiner.workers.includes(w));
      for (const w of joiner.workers) this.workers.delete(w.id);
      this.joiners.delete(m.joiner);
      this.o.say(`${why}: ${this.locals.length + this.remotes.length}${this.want === null ? '' : ` of ${this.want}`} workers`);
    }
  }
}

/**
 * The teacher's host as `host distributed --listen` (or --broker) opens it; its lines (how to join,
 * who joined) go to `say` (default: stderr), and a QR code of the join command to a terminal.
 */
export function openClassroom(net: { host: string; port: number; broker?: string }, algorithm: string, say: (text: string) => void = (t) => process.stderr.write(`${t}\n`)): Promise<Classroom> {
  return Classroom.open({ ...net, algorithm, say });
}
