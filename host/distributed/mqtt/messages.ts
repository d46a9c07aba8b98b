// What the teacher's host and the students' hosts say to each other over MQTT, and on which topics
// (the README's "Several laptops: the server over MQTT" lists them). Every payload is one JSON
// object with the protocol version (shared/protocol.ts) and the run id; float32 values that must
// cross bit for bit (a shard, a round's starting parameters) travel as base64 of little-endian
// float32, and a board's records as the text lines of the line protocol, which are bit-exact too.
import type { TrainConfig } from '../../../shared/config.ts';
import { PROTOCOL_VERSION } from '../../../shared/protocol.ts';
import type { Command } from '../../../shared/wire.ts';
import { UserError } from '../../errors.ts';

export const TOPIC_ROOT = 'pico-trainer';
export const DEFAULT_MQTT_PORT = 1883;

/** Every topic of a run: `pico-trainer/<run>/…`, and the one retained announcement of the current run. */
export const topics = {
  /** Retained, teacher → everyone: the run a `--join` without a run id joins (RunAnnouncement). */
  current: `${TOPIC_ROOT}/current`,
  /** Student → teacher: a host joins with its boards (JoinMessage). */
  join: (run: string) => `${TOPIC_ROOT}/${run}/join`,
  /** Teacher → student: which of its boards are workers, or that the run is full (AnswerMessage). */
  answer: (run: string, joiner: string) => `${TOPIC_ROOT}/${run}/joiner/${joiner}/answer`,
  /** Student → teacher: it leaves (Ctrl-C), or its last will when its connection drops (LeaveMessage). */
  leave: (run: string, joiner: string) => `${TOPIC_ROOT}/${run}/joiner/${joiner}/leave`,
  /** Teacher → worker: its shard (ShardMessage). */
  shard: (run: string, worker: string) => `${TOPIC_ROOT}/${run}/worker/${worker}/shard`,
  /** Teacher → worker: train one round (RoundMessage). */
  round: (run: string, worker: string) => `${TOPIC_ROOT}/${run}/worker/${worker}/round`,
  /** Teacher → worker: a command for its board, in its worker role (CommandMessage). */
  command: (run: string, worker: string) => `${TOPIC_ROOT}/${run}/worker/${worker}/command`,
  /** Teacher → worker: stop the round in progress (StopMessage). */
  stop: (run: string, worker: string) => `${TOPIC_ROOT}/${run}/worker/${worker}/stop`,
  /** Worker → teacher: the shard is on the board, a round's done record, or what failed (ResultMessage). */
  result: (run: string, worker: string) => `${TOPIC_ROOT}/${run}/worker/${worker}/result`,
  /** Worker → teacher: the board's records of a round, as it prints them, for its file (RecordsMessage). */
  records: (run: string, worker: string) => `${TOPIC_ROOT}/${run}/worker/${worker}/records`,
  /** Teacher → everyone: the run is over (EndMessage). */
  end: (run: string) => `${TOPIC_ROOT}/${run}/end`,
};

interface Envelope {
  protocol: number;
  run: string;
}

export interface RunAnnouncement extends Envelope {
  type: 'run';
  state: 'waiting' | 'running' | 'ended';
  algorithm: string;
  /** Workers the run has (running) or waits for (waiting; 0: until the teacher presses Enter). */
  workers: number;
  message?: string;
}

export interface BoardOffer {
  worker: string;
  path: string;
  capacity: { samples: number; features: number };
}

export interface JoinMessage extends Envelope {
  type: 'join';
  joiner: string;
  /** The student's computer, for messages: "alice-laptop". */
  name: string;
  boards: BoardOffer[];
}

export interface AnswerMessage extends Envelope {
  type: 'answer';
  /** The boards that became workers, with their number in the run (1-based, as messages count boards). */
  seats: { worker: string; number: number }[];
  /** The boards the run has no place for. */
  full: string[];
  /** Why nothing was taken (the run ended, another protocol), or a note. */
  message?: string;
}

export interface LeaveMessage extends Envelope {
  type: 'leave';
  joiner: string;
  /** 'left': the student stopped it; 'vanished': its last will, sent by the broker. */
  reason: 'left' | 'vanished';
  message?: string;
}

export interface ShardMessage extends Envelope {
  type: 'shard';
  worker: string;
  label: string;
  features: number;
  rows: number;
  /** rows × (features + 1) float32 values, x… then y for each row (CsvDataset.packed). */
  data: string;
}

export type WireConfig = Omit<TrainConfig, 'initW' | 'initB'>;

export interface RoundMessage extends Envelope {
  type: 'round';
  worker: string;
  seq: number;
  /** The round's settings without its starting parameters, which are `init`: float32 w…, b. */
  config: WireConfig;
  init: string;
}

/** A command for the board (shared/wire.ts), in the worker role: config, start, params, stop. */
export interface CommandMessage extends Envelope {
  type: 'command';
  worker: string;
  seq: number;
  command: Command;
}

export interface StopMessage extends Envelope {
  type: 'stop';
  worker: string;
}

export type ResultMessage = Envelope & { worker: string } & (
    | { type: 'uploaded' }
    /** `record`: the round's done record as a protocol line; `lines`: the records sent for the round. */
    | { type: 'done'; seq: number; record: string; lines: number }
    /** `command`: the seq is a command's (CommandMessage), not a round's. */
    | { type: 'failed'; seq?: number; message: string; command?: boolean }
    /** A command's answer: the board's ack as a protocol line. */
    | { type: 'acked'; seq: number; record: string }
    /** The board is gone (unplugged), in the worker role, where no round is there to fail. */
    | { type: 'gone'; message: string }
  );

export interface RecordsMessage extends Envelope {
  type: 'records';
  worker: string;
  seq: number;
  lines: string[];
}

export interface EndMessage extends Envelope {
  type: 'end';
  reason: string;
  message?: string;
}

export type Message = RunAnnouncement | JoinMessage | AnswerMessage | LeaveMessage | ShardMessage | RoundMessage | CommandMessage | StopMessage | ResultMessage | RecordsMessage | EndMessage;

/** A message without its envelope (one kind of message at a time). */
export type Body<M extends Message = Message> = M extends unknown ? Omit<M, 'protocol' | 'run'> : never;

/** A payload for the wire: the message with the protocol version and the run id. */
export function encode(run: string, m: Body): Buffer {
  return Buffer.from(JSON.stringify({ protocol: PROTOCOL_VERSION, run, ...m }));
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A payload as a message, or null when it is not one of ours (not JSON, no type, a missing field).
 * The protocol version and run id are checked by the receiver, which says what differs.
 */
export function decode(payload: Buffer | string): Message | null {
  let o: unknown;
  try {
    o = JSON.parse(payload.toString());
  } catch {
    return null;
  }
  if (!isObj(o) || !isStr(o.type) || !isInt(o.protocol) || !isStr(o.run)) return null;
  const ok = (() => {
    switch (o.type) {
      case 'run':
        return isStr(o.state) && ['waiting', 'running', 'ended'].includes(o.state) && isStr(o.algorithm) && isInt(o.workers);
      case 'join':
        return isStr(o.joiner) && isStr(o.name) && Array.isArray(o.boards) && o.boards.every((b) => isObj(b) && isStr(b.worker) && isStr(b.path) && isObj(b.capacity));
      case 'answer':
        return Array.isArray(o.seats) && o.seats.every((s) => isObj(s) && isStr(s.worker) && isInt(s.number)) && Array.isArray(o.full) && o.full.every(isStr);
      case 'leave':
        return isStr(o.joiner) && (o.reason === 'left' || o.reason === 'vanished');
      case 'shard':
        return isStr(o.worker) && isStr(o.label) && isInt(o.features) && isInt(o.rows) && isStr(o.data);
      case 'round':
        return isStr(o.worker) && isInt(o.seq) && isObj(o.config) && isStr(o.init);
      case 'command':
        return isStr(o.worker) && isInt(o.seq) && isObj(o.command) && isStr(o.command.op);
      case 'stop':
        return isStr(o.worker);
      case 'uploaded':
        return isStr(o.worker);
      case 'done':
        return isStr(o.worker) && isInt(o.seq) && isStr(o.record) && isInt(o.lines);
      case 'failed':
        return isStr(o.worker) && isStr(o.message);
      case 'acked':
        return isStr(o.worker) && isInt(o.seq) && isStr(o.record);
      case 'gone':
        return isStr(o.worker) && isStr(o.message);
      case 'records':
        return isStr(o.worker) && isInt(o.seq) && Array.isArray(o.lines) && o.lines.every(isStr);
      case 'end':
        return isStr(o.reason);
      default:
        return false;
    }
  })();
  return ok ? (o as unknown as Message) : null;
}

/** How a run's end is told: "epochs", "stopped: stopped by Ctrl-C". */
export function endWords(reason: string, message?: string): string {
  return `${reason}${message ? `: ${message}` : ''}`;
}

// ---------------------------------------------------------------- float32 bits

/** float32 values as base64 of their little-endian bytes: what a float32 is, bit for bit. */
export function f32ToBase64(values: ArrayLike<number>): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], i * 4);
  return bytes.toString('base64');
}

/** The float32 values of f32ToBase64's text, or null when it is not a whole number of them. */
export function base64ToF32(text: string): Float32Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return null;
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** A round's message fields for `config`: its settings, and its starting parameters as float32 bits. */
export function wireConfig(config: TrainConfig): { config: WireConfig; init: string } {
  const { initW, initB, ...rest } = config;
  return { config: rest, init: f32ToBase64([...initW, initB]) };
}

/** The TrainConfig a round message stands for: initW and initB rebuilt from the bits. */
export function configOfRound(m: Pick<RoundMessage, 'config' | 'init'>): TrainConfig {
  const init = base64ToF32(m.init);
  if (init === null || init.length < 2) throw new Error('a round without its starting parameters');
  return { ...m.config, initW: Array.from(init.subarray(0, init.length - 1)), initB: init[init.length - 1] };
}

// ---------------------------------------------------------------- addresses

/** A short random id: a run's, a joiner's. */
export function shortId(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, '0');
}

/**
 * `--join mqtt://host[:port][/run]` (also `host[:port]`): the broker's URL and the run id when one
 * is given (else the run announced on pico-trainer/current).
 */
export function parseJoinUrl(text: string, option = '--join'): { broker: string; host: string; port: number; run: string | null } {
  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `mqtt://${text}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(`${option} ${text}: expected mqtt://HOST:PORT, the address the teacher's host shows`);
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'tcp:') throw new UserError(`${option} ${text}: expected mqtt://HOST:PORT (plain MQTT; ${url.protocol.slice(0, -1)} is not supported)`);
  if (!url.hostname) throw new UserError(`${option} ${text}: expected mqtt://HOST:PORT, the address the teacher's host shows`);
  const port = url.port === '' ? DEFAULT_MQTT_PORT : Number(url.port);
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (path !== '' && !/^[A-Za-z0-9_-]+$/.test(path)) throw new UserError(`${option} ${text}: after the port comes a run id (letters and digits), or nothing`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const shown = host.includes(':') ? `[${host}]` : host;
  return { broker: `mqtt://${shown}:${port}`, host, port, run: path === '' ? null : path };
}
