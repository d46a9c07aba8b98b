// The teacher's side over MQTT without boards: a Classroom on an embedded broker (aedes, a free
// port), and a stand-in student speaking the messages by hand. A RemoteWorker's round carries its
// starting parameters bit for bit, resolves with the done record the student sends, and writes the
// forwarded records to the board's file; a student whose connection drops (its last will) makes the
// next round fail as an unplugged board's does; a late joiner is offered the place of a lost worker,
// or told that the run is full.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config.ts';
import { formatRecord, PROTOCOL_VERSION, type DoneRecord } from '../../shared/protocol.ts';
import { base64ToF32, decode, encode, topics, type Message } from '../../host/distributed/mqtt/messages.ts';
import { Classroom, type RemoteWorker } from '../../host/distributed/mqtt/teacher.ts';
import type { RoundWorker } from '../../host/distributed/boards.ts';
import { tempDir } from '../helpers/temp.ts';

const rooms: Classroom[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  await Promise.all(rooms.splice(0).map((r) => r.close('stopped')));
});

async function room(said: string[]): Promise<{ room: Classroom; url: string }> {
  const r = await Classroom.open({ host: '127.0.0.1', port: 0, algorithm: 'easgd', say: (t) => said.push(t) });
  rooms.push(r);
  return { room: r, url: r.urls[0] };
}

/** A stand-in student: connected with its last will, subscribed to its topics, keeping what it hears. */
async function student(url: string, run: string, joiner: string, workers: string[]) {
  const will = encode(run, { type: 'leave', joiner, reason: 'vanished' });
  const c = await mqtt.connectAsync(url, { clientId: `test-${joiner}`, protocolVersion: 4, reconnectPeriod: 0, will: { topic: topics.leave(run, joiner), payload: will, qos: 1, retain: false } });
  clients.push(c);
  const heard: Message[] = [];
  c.on('message', (_t, p) => {
    const m = decode(p);
    if (m) heard.push(m);
  });
  await c.subscribeAsync([topics.answer(run, joiner), ...workers.flatMap((w) => [topics.shard(run, w), topics.round(run, w)])], { qos: 1 });
  const send = (topic: string, m: Parameters<typeof encode>[1]) => c.publishAsync(topic, encode(run, m), { qos: 1 });
  const next = async <T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>> => {
    for (let i = 0; i < 200; i++) {
      const k = heard.findIndex((m) => m.type === type);
      if (k >= 0) return heard.splice(k, 1)[0] as Extract<Message, { type: T }>;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type} message`);
  };
  const join = () => send(topics.join(run), { type: 'join', joiner, name: `laptop-${joiner}`, boards: workers.map((w, i) => ({ worker: w, path: `/dev/ttyACM${i}`, capacity: { samples: 1024, features: 8 } })) });
  return { c, send, next, join };
}

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('a RemoteWorker over an embedded broker', () => {
  it('uploads, trains a round bit for bit, writes the records; a dropped student fails the next round', async () => {
    const said: string[] = [];
    const { room: r, url } = await room(said);
    const s = await student(url, r.run, 'alice', ['alice-1']);
    const gathering = r.gather([], 1);
    await s.join();
    const [w] = (await gathering) as RemoteWorker[];
    expect(w.name).toBe('laptop-alice:/dev/ttyACM0');
    expect(said.join('\n')).toMatch(/joined: laptop-alice:\/dev\/ttyACM0 \(1 of 1 workers\)/);
    expect((await s.next('answer')).seats).toEqual([{ worker: 'alice-1', number: 1 }]);

    const packed = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const uploading = w.upload({ packed, features: 2, rows: 2, header: null }, 'shard 1');
    const shard = await s.next('shard');
    expect(bits(base64ToF32(shard.data) as Float32Array)).toEqual(bits(packed));
    await s.send(topics.result(r.run, 'alice-1'), { type: 'uploaded', worker: 'alice-1' });
    await uploading;

    const file = join(tempDir('pt-mqtt-worker-'), 'run-board1.ndjson');
    const initW = [Math.fround(0.1), Math.fround(-2.9999998)];
    const rounding = w.round({ ...defaultConfig(), initW, initB: Math.fround(1e-7) }, file);
    const req = await s.next('round');
    expect(bits(base64ToF32(req.init) as Float32Array)).toEqual(bits([...initW, Math.fround(1e-7)]));
    const done: DoneRecord = { type: 'done', reason: 'epochs', epoch: 1, w: [2.0000002, -2.999999], b: 1.0000001, loss: 1.3073986e-12 };
    const lines = [formatRecord({ type: 'epoch', epoch: 0, w: initW, b: 0, loss: 3.5, lr: 0.02 }), formatRecord(done)];
    // The done record may come before the last records: the round waits for them.
    await s.send(topics.result(r.run, 'alice-1'), { type: 'done', worker: 'alice-1', seq: req.seq, record: formatRecord(done), lines: 2 });
    await s.send(topics.records(r.run, 'alice-1'), { type: 'records', worker: 'alice-1', seq: req.seq, lines });
    expect(await rounding).toEqual(done);
    w.close();
    expect(readFileSync(file, 'utf8')).toBe(lines.join('\n') + '\n');

    // The student's connection drops: the broker sends its last will, and the next round fails.
    (s.c.stream as { destroy(): void }).destroy();
    const next = w.round({ ...defaultConfig(), initW, initB: 0 }, file);
    await expect(next).rejects.toThrow("laptop-alice's host vanished (its connection to the broker dropped)");
  });

  it('offers a late joiner the place of a lost worker, and tells the next that the run is full', async () => {
    const said: string[] = [];
    const { room: r, url } = await room(said);
    const local: RoundWorker = { name: '/dev/ttyACM0', upload: async () => undefined, round: async () => ({}) as DoneRecord, stop: async () => undefined, close: () => undefined };
    expect(await r.gather([local], 1)).toEqual([local]);
    let free = 1;
    const seated: string[] = [];
    r.admit(async (w) => {
      if (free === 0) return null;
      free--;
      seated.push(w.name);
      return 0;
    });
    const bob = await student(url, r.run, 'bob', ['bob-1']);
    await bob.join();
    expect((await bob.next('answer')).seats).toEqual([{ worker: 'bob-1', number: 1 }]);
    expect(seated).toEqual(['laptop-bob:/dev/ttyACM0']);
    const carol = await student(url, r.run, 'carol', ['carol-1']);
    await carol.join();
    const full = await carol.next('answer');
    expect(full).toMatchObject({ protocol: PROTOCOL_VERSION, seats: [], full: ['carol-1'] });
    expect(full.message).toMatch(/^run \w+ is full: its 1 workers are all training and none is gone; try again when one leaves$/);
  });
});
