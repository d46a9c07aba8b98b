// A student's side of a run over the network: `host distributed --join mqtt://TEACHER:1883 --port P`.
// It finds the run the teacher's host announces (pico-trainer/current, retained), offers its boards
// (one worker each), uploads the shard each is given, and serves round requests by running them on
// its boards (jobs.ts runOnBoard), sending back each round's done record and the board's records.
// It ends with the run (the teacher's end message), on Ctrl-C (it stops its boards and says it
// leaves), or when its connection drops: the broker then sends its last will, and the teacher
// treats its boards as unplugged.
import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import { formatRecord, PROTOCOL_VERSION, type DoneRecord, type ProtocolRecord } from '../../../shared/protocol.ts';
import { connectBoard, type BoardSession } from '../../board-session.ts';
import { UserError } from '../../errors.ts';
import { runOnBoard } from '../../jobs.ts';
import { LinkClosedError } from '../../link/errors.ts';
import { uploadToBoard } from '../../upload.ts';
import { isRunRecord } from '../../monitor/run-file.ts';
import { connectBroker } from './connection.ts';
import {
  base64ToF32,
  type Body,
  configOfRound,
  decode,
  encode,
  endWords,
  parseJoinUrl,
  shortId,
  topics,
  type JoinMessage,
  type LeaveMessage,
  type RecordsMessage,
  type ResultMessage,
  type RoundMessage,
  type CommandMessage,
  type RunAnnouncement,
  type ShardMessage,
} from './messages.ts';

export interface JoinOptions {
  /** --join: mqtt://host[:port][/run]. */
  url: string;
  ports: string[];
  say(text: string): void;
  /** How this computer is named to the teacher (default: its host name). */
  name?: string;
}

/** A result without its envelope and worker (a distributive Omit: one per kind of result). */
type ResultBody = ResultMessage extends infer M ? (M extends unknown ? Omit<M, 'protocol' | 'run' | 'worker'> : never) : never;

/** Records go to the teacher in batches: every this many ms, or this many lines. */
const FLUSH_MS = 200;
const FLUSH_LINES = 200;

/** The run announced on the broker, read from its retained message (null: none within `ms`). */
async function currentRun(client: MqttClient, ms: number): Promise<RunAnnouncement | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(null), ms);
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic !== topics.current || payload.length === 0) return;
      const m = decode(payload);
      if (m !== null && m.type === 'run') done(m);
    };
    const done = (m: RunAnnouncement | null) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(m);
    };
    client.on('message', onMessage);
    client.subscribeAsync(topics.current, { qos: 1 }).catch(reject);
  });
}

interface Worker {
  id: string;
  session: BoardSession;
  /** 'offered' until the teacher answers; 'in' a worker of the run; 'out' not taken, or its board is gone. */
  state: 'offered' | 'in' | 'out';
  rounds: number;
  busy: boolean;
  /** The last round request taken. */
  seq: number;
  last: DoneRecord | null;
  /** The worker role: the last command taken, and the forwarding of the board's records while it lasts. */
  commandSeq: number;
  streaming: (() => void) | null;
}

export async function joinRun(o: JoinOptions): Promise<void> {
  const say = o.say;
  const target = parseJoinUrl(o.url);
  const what = `--join ${o.url}`;
  const hint = "is the teacher's host running `npx host distributed … --listen` (with --host 0.0.0.0 for other laptops), and is this the address it shows?";

  // The run: the one announced, or the one the URL names (which must be the one announced).
  const look = await connectBroker(target.broker, { clientId: `pico-trainer-look-${shortId()}`, what, hint });
  let current: RunAnnouncement | null;
  try {
    current = await currentRun(look, 3000);
  } finally {
    await look.endAsync().catch(() => undefined);
  }
  if (current === null) throw new UserError(`${what}: the broker answers, but no run is announced there; is the teacher's host running \`npx host distributed … --listen\`?`);
  if (target.run !== null && target.run !== current.run) throw new UserError(`${what}: run ${target.run} is not the run on ${target.broker} (run ${current.run} is${current.state === 'ended' ? ', and it has ended too' : ''}); join with --join ${target.broker}`);
  if (current.state === 'ended') throw new UserError(`${what}: run ${current.run} has ended${current.message ? ` (${current.message})` : ''}; ask the teacher for the next one`);
  if (current.protocol !== PROTOCOL_VERSION) throw new UserError(`${what}: the teacher's host speaks protocol ${current.protocol}, this one ${PROTOCOL_VERSION}: use the same version of pico-trainer`);
  const run = current.run;
  const announced = current;

  // The boards, once the run is known to be there.
  const sessions: BoardSession[] = [];
  try {
    for (const port of o.ports) sessions.push(await connectBoard({ port, hub: 'host distributed --join' }));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }

  const joiner = shortId();
  const name = o.name ?? hostname();
  const workers: Worker[] = sessions.map((session, i) => ({ id: `${joiner}-${i + 1}`, session, state: 'offered', rounds: 0, busy: false, seq: 0, last: null, commandSeq: 0, streaming: null }));
  const byId = new Map(workers.map((w) => [w.id, w]));
  const vanished: Omit<LeaveMessage, 'protocol' | 'run'> = { type: 'leave', joiner, reason: 'vanished' };
  let client: MqttClient;
  try {
    client = await connectBroker(target.broker, { clientId: `pico-trainer-student-${joiner}`, what, hint, will: { topic: topics.leave(run, joiner), payload: encode(run, vanished), qos: 1, retain: false } });
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }
  const publish = (topic: string, payload: Buffer) => client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined);
  const result = (w: Worker, m: ResultBody) =>
    publish(topics.result(run, w.id), encode(run, { ...m, worker: w.id } as Body<ResultMessage>)).catch(() => undefined);

  let ending = false;
  let settle: (err?: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (err) => {
      if (ending) return;
      ending = true;
      if (err) reject(err);
      else resolve();
    };
  });

  const stopBoards = () => Promise.all(workers.filter((w) => w.busy || w.streaming).map((w) => w.session.link.sendCommand({ op: 'stop' }).catch(() => undefined)));
  const boardGone = (w: Worker, err: Error) => {
    w.state = 'out';
    say(`${w.session.path} is gone: ${err.message}`);
    if (workers.every((x) => x.state === 'out')) settle(new UserError('every board of this host is gone; the teacher goes on without them'));
  };

  const onShard = async (w: Worker, m: ShardMessage) => {
    const packed = base64ToF32(m.data);
    if (packed === null || packed.length !== m.rows * (m.features + 1)) return result(w, { type: 'failed', message: `${w.session.path}: the shard arrived damaged` });
    if (w.state === 'offered') w.state = 'in';
    say(`${w.session.path}: ${m.label}, ${m.rows} samples`);
    try {
      await uploadToBoard(w.session, { packed, features: m.features, rows: m.rows, header: null }, m.label);
      await result(w, { type: 'uploaded' });
    } catch (err) {
      await result(w, { type: 'failed', message: (err as Error).message });
      if (err instanceof LinkClosedError) boardGone(w, err);
    }
  };

  const onRound = async (w: Worker, m: RoundMessage) => {
    // One round at a time a board; a message the broker delivers twice (QoS 1) is run once.
    if (w.busy || m.seq <= w.seq || w.state === 'out' || ending) return;
    w.busy = true;
    w.seq = m.seq;
    if (w.rounds === 0) say(`${w.session.path}: training rounds for the teacher's server`);
    let lines: string[] = [];
    let sent = 0;
    const flush = () => {
      if (lines.length === 0) return;
      const batch: Omit<RecordsMessage, 'protocol' | 'run'> = { type: 'records', worker: w.id, seq: m.seq, lines };
      sent += lines.length;
      lines = [];
      publish(topics.records(run, w.id), encode(run, batch)).catch(() => undefined);
    };
    const timer = setInterval(flush, FLUSH_MS);
    timer.unref();
    let answer: ResultBody;
    let lost: Error | null = null;
    try {
      const recs: ProtocolRecord[] = await runOnBoard(w.session, { kind: 'train', config: configOfRound(m) }, null, [
        (r) => {
          lines.push(formatRecord(r));
          if (lines.length >= FLUSH_LINES) flush();
        },
      ]);
      flush();
      const done = recs.find((r): r is DoneRecord => r.type === 'done');
      if (!done) answer = { type: 'failed', seq: m.seq, message: `${w.session.path} ended its round without a done record` };
      else {
        w.rounds++;
        w.last = done;
        answer = { type: 'done', seq: m.seq, record: formatRecord(done), lines: sent };
      }
    } catch (err) {
      flush();
      answer = { type: 'failed', seq: m.seq, message: (err as Error).message };
      if (err instanceof LinkClosedError || /restarted during the run/.test((err as Error).message)) lost = err as Error;
    } finally {
      clearInterval(timer);
    }
    // Free before the answer goes: the next round may come back before the broker acknowledges it.
    w.busy = false;
    if (ending) return;
    await result(w, answer);
    if (lost) boardGone(w, lost);
  };

  /**
   * The worker role: from its first command on, every record the board prints (its pushes, the acks
   * of the answers it takes, its epochs) goes to the teacher in order, a push or an ack at once (the
   * server waits for them), the rest in batches; its unplugging is told as `gone`.
   */
  const stream = (w: Worker) => {
    if (w.streaming) return;
    say(`${w.session.path}: training in its worker role for the teacher's server`);
    let lines: string[] = [];
    const flush = () => {
      if (lines.length === 0) return;
      const batch: Omit<RecordsMessage, 'protocol' | 'run'> = { type: 'records', worker: w.id, seq: 0, lines };
      lines = [];
      publish(topics.records(run, w.id), encode(run, batch)).catch(() => undefined);
    };
    const timer = setInterval(flush, FLUSH_MS);
    timer.unref();
    const offRecord = w.session.link.onRecord((r) => {
      if (r.type === 'ack' ? r.op !== 'params' : !isRunRecord(r)) return;
      lines.push(formatRecord(r));
      if (r.type === 'push' || r.type === 'ack' || r.type === 'hello' || lines.length >= FLUSH_LINES) flush();
    });
    const offClosed = w.session.link.onClosed(() => {
      flush();
      const why = `lost the board on ${w.session.path} during the run (unplugged or reset?)`;
      void result(w, { type: 'gone', message: why });
      boardGone(w, new LinkClosedError(why));
    });
    w.streaming = () => {
      flush();
      clearInterval(timer);
      offRecord();
      offClosed();
    };
  };

  const onCommand = async (w: Worker, m: CommandMessage) => {
    // A message the broker delivers twice (QoS 1) is taken once.
    if (m.seq <= w.commandSeq || w.state === 'out' || ending) return;
    w.commandSeq = m.seq;
    stream(w);
    try {
      const ack = await w.session.link.sendCommand(m.command);
      await result(w, { type: 'acked', seq: m.seq, record: formatRecord(ack) });
    } catch (err) {
      await result(w, { type: 'failed', seq: m.seq, message: (err as Error).message, command: true });
    }
  };

  const active = new Set<Promise<void>>();
  let ended = '';
  client.on('message', (topic, payload) => {
    const m = decode(payload);
    if (m === null || m.run !== run) return;
    if (m.type === 'answer') {
      for (const s of m.seats) {
        const w = byId.get(s.worker);
        if (w && w.state === 'offered') w.state = 'in';
      }
      for (const id of m.full) {
        const w = byId.get(id);
        if (w) w.state = 'out';
      }
      const taken = workers.filter((w) => w.state === 'in').map((w) => w.session.path);
      if (taken.length === 0) return settle(new UserError(m.message ?? `run ${run} has no place for this host's boards`));
      say(`joined run ${run} (${announced.algorithm}) on ${target.broker}: ${taken.join(', ')}${m.full.length > 0 ? `; not needed: ${m.full.map((id) => byId.get(id)?.session.path).join(', ')}` : ''}`);
      return;
    }
    // The end message, or the announcement that the run ended (whichever comes first; the same words).
    if (m.type === 'end') {
      ended = `the run ended (${endWords(m.reason, m.message)})`;
      return settle();
    }
    if (m.type === 'run' && topic === topics.current && m.state === 'ended') {
      ended = `the run ended${m.message ? ` (${m.message})` : ''}`;
      return settle();
    }
    if (m.protocol !== PROTOCOL_VERSION) return;
    const w = 'worker' in m ? byId.get(m.worker) : undefined;
    if (!w) return;
    if (m.type === 'shard') void onShard(w, m);
    else if (m.type === 'round') {
      const p = onRound(w, m);
      active.add(p);
      void p.catch(() => undefined).finally(() => active.delete(p));
    }
    else if (m.type === 'command') void onCommand(w, m);
    else if (m.type === 'stop') void w.session.link.sendCommand({ op: 'stop' }).catch(() => undefined);
  });
  client.on('close', () => settle(new UserError(`lost the MQTT broker at ${target.broker} (the teacher's host ended, or the network dropped); stopped this host's boards`)));

  const onSigint = () => {
    if (ending) return;
    ended = `left run ${run} (Ctrl-C); the teacher goes on without ${workers.length === 1 ? 'this board' : 'these boards'}`;
    const leave: Omit<LeaveMessage, 'protocol' | 'run'> = { type: 'leave', joiner, reason: 'left', message: `Ctrl-C on ${name}` };
    publish(topics.leave(run, joiner), encode(run, leave))
      .catch(() => undefined)
      .finally(() => settle());
  };
  process.on('SIGINT', onSigint);

  try {
    const mine = workers.flatMap((w) => [topics.shard(run, w.id), topics.round(run, w.id), topics.command(run, w.id), topics.stop(run, w.id)]);
    await client.subscribeAsync([topics.answer(run, joiner), topics.end(run), topics.current, ...mine], { qos: 1 });
    const join: Omit<JoinMessage, 'protocol' | 'run'> = {
      type: 'join',
      joiner,
      name,
      boards: workers.map((w) => ({ worker: w.id, path: w.session.path, capacity: w.session.status.capacity ?? { samples: 1024, features: 8 } })),
    };
    say(`asking to join run ${run} (${announced.algorithm}, ${announced.state === 'waiting' ? 'waiting for its workers' : 'in progress'}) with ${workers.map((w) => w.session.path).join(', ')}`);
    await publish(topics.join(run), encode(run, join));
    await finished;
    if (ended) say(ended);
  } finally {
    process.off('SIGINT', onSigint);
    ending = true;
    // Rounds in progress end (a stop that came before the board's start still lets a round of its
    // epochs finish); a board that does not answer is not waited for long.
    await stopBoards();
    const grace = new Promise<void>((r) => setTimeout(r, 3000).unref());
    await Promise.race([Promise.all(active), grace]);
    await stopBoards();
    for (const w of workers) w.streaming?.();
    for (const w of workers) if (w.rounds > 0) say(`${w.session.path}: ${w.rounds} round${w.rounds === 1 ? '' : 's'}${w.last && w.last.loss !== null ? `, last loss on its shard ${w.last.loss}` : ''}`);
    client.removeAllListeners('close');
    await client.endAsync().catch(() => undefined);
    await Promise.all(sessions.map((s) => s.close()));
  }
}
