// The MQTT messages of a run over the network (host/distributed/mqtt/messages.ts): float32 values
// cross bit for bit, the topics are the README's, payloads that are not ours are refused, and the
// options of --join / --listen / --broker are checked before anything runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { base64ToF32, configOfRound, decode, encode, f32ToBase64, parseJoinUrl, topics, wireConfig } from '../../host/distributed/mqtt/messages.ts';
import { networkOptions, workersToWaitFor } from '../../host/distributed/mqtt/options.ts';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('float32 bits over MQTT', () => {
  it('round-trips every float32, NaN, infinities and -0 included', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noDefaultInfinity: false, noNaN: false }), { maxLength: 40 }), (xs) => {
        const back = base64ToF32(f32ToBase64(xs));
        expect(back).not.toBeNull();
        expect(bits(back as Float32Array)).toEqual(bits(xs));
      }),
    );
    expect(base64ToF32('AAA=')).toBeNull();
    expect(base64ToF32('not base64!')).toBeNull();
  });

  it("carries a round's starting parameters exactly, whatever the JSON around them", () => {
    const c = { ...defaultConfig(), initW: [Math.fround(0.1), Math.fround(-2.9999998), 1e-30], initB: Math.fround(1.0000001) };
    const wire = wireConfig(c);
    expect(wire.config).not.toHaveProperty('initW');
    const m = decode(encode('r1', { type: 'round', worker: 'w-1', seq: 3, ...wire }));
    expect(m?.type).toBe('round');
    const back = configOfRound(m as Parameters<typeof configOfRound>[0]);
    expect(bits(back.initW)).toEqual(bits(c.initW));
    expect(bits([back.initB])).toEqual(bits([c.initB]));
    expect({ ...back, initW: c.initW, initB: c.initB }).toEqual(c);
  });
});

describe('messages and topics', () => {
  it('puts the protocol version and the run id in every payload', () => {
    const m = decode(encode('abc123', { type: 'end', reason: 'epochs' }));
    expect(m).toEqual({ protocol: PROTOCOL_VERSION, run: 'abc123', type: 'end', reason: 'epochs' });
  });

  it('refuses what is not one of its messages', () => {
    expect(decode('not json')).toBeNull();
    expect(decode('{"type":"end","reason":"epochs"}')).toBeNull();
    expect(decode(JSON.stringify({ protocol: 3, run: 'r', type: 'round', worker: 'w', seq: 1, config: {} }))).toBeNull();
    expect(decode(JSON.stringify({ protocol: 3, run: 'r', type: 'leave', joiner: 'j', reason: 'bored' }))).toBeNull();
    expect(decode(JSON.stringify({ protocol: 3, run: 'r', type: 'chat', text: 'hi' }))).toBeNull();
  });

  it('names the topics as the README does', () => {
    expect(topics.current).toBe('pico-trainer/current');
    expect(topics.join('r')).toBe('pico-trainer/r/join');
    expect(topics.answer('r', 'j')).toBe('pico-trainer/r/joiner/j/answer');
    expect(topics.leave('r', 'j')).toBe('pico-trainer/r/joiner/j/leave');
    for (const t of ['shard', 'round', 'stop', 'result', 'records'] as const) expect(topics[t]('r', 'j-1')).toBe(`pico-trainer/r/worker/j-1/${t}`);
    expect(topics.end('r')).toBe('pico-trainer/r/end');
  });
});

describe('--join, --listen and --broker', () => {
  it('reads a join URL with or without its port and run id', () => {
    expect(parseJoinUrl('mqtt://192.168.1.20:1884')).toEqual({ broker: 'mqtt://192.168.1.20:1884', host: '192.168.1.20', port: 1884, run: null });
    expect(parseJoinUrl('teacher.local')).toMatchObject({ broker: 'mqtt://teacher.local:1883', run: null });
    expect(parseJoinUrl('mqtt://10.0.0.1/k3x9ab')).toMatchObject({ port: 1883, run: 'k3x9ab' });
    expect(parseJoinUrl('mqtt://[fd00::2]:1883')).toMatchObject({ broker: 'mqtt://[fd00::2]:1883', host: 'fd00::2' });
    expect(() => parseJoinUrl('ws://teacher:8080')).toThrow(/--join ws:\/\/teacher:8080: expected mqtt:\/\/HOST:PORT \(plain MQTT; ws is not supported\)/);
    expect(() => parseJoinUrl('mqtt://teacher:1883/a/b')).toThrow(/after the port comes a run id/);
  });

  it('refuses options that do not go together, before anything runs', () => {
    expect(networkOptions({})).toEqual({ mode: 'none' });
    expect(networkOptions({ listen: true })).toEqual({ mode: 'listen', host: '127.0.0.1', port: 1883 });
    expect(networkOptions({ listen: true, host: '0.0.0.0', mqttPort: '0' })).toEqual({ mode: 'listen', host: '0.0.0.0', port: 0 });
    expect(networkOptions({ broker: 'mqtt://localhost:1883' })).toMatchObject({ mode: 'listen', broker: 'mqtt://localhost:1883' });
    expect(networkOptions({ join: 'mqtt://t:1883' })).toEqual({ mode: 'join', url: 'mqtt://t:1883' });
    expect(() => networkOptions({ join: 'mqtt://t', listen: true })).toThrow("--listen: for the teacher's host; with --join this host is a student's: leave it out");
    expect(() => networkOptions({ join: 'mqtt://t', data: 'x.csv' })).toThrow("--data: the teacher's host chooses the run's settings");
    expect(() => networkOptions({ join: 'mqtt://t', lr: '0.1' })).toThrow("--lr: the teacher's host chooses the run's settings");
    expect(() => networkOptions({ join: 'mqtt://t', period: '3' })).toThrow("--period: the teacher's host chooses the run's settings");
    expect(() => networkOptions({ host: '0.0.0.0' })).toThrow('--host: goes with --listen');
    expect(() => networkOptions({ broker: 'mqtt://b', mqttPort: '1884' })).toThrow('--mqtt-port: the port of the broker this host embeds; with --broker give the port in its URL');
    expect(() => networkOptions({ listen: true, mqttPort: '70000' })).toThrow('--mqtt-port 70000: expected a port number');
    expect(workersToWaitFor('3', 1)).toBe(3);
    expect(() => workersToWaitFor('1', 2)).toThrow('--workers 1: fewer than the 2 boards given here');
  });
});
