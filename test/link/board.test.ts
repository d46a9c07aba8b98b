import { afterEach, describe, expect, it } from 'vitest';
import { BoardLink } from '../../host/link/board.ts';
import { BoardError, LinkClosedError, LinkTimeoutError, TransferError, WrongBoardError } from '../../host/link/errors.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { commandLine, wireValues } from '../../shared/wire.ts';
import { FakeBoard, type FakeBoardOptions } from './fake-board.ts';

const links: BoardLink[] = [];
function connect(opts: FakeBoardOptions = {}): { board: FakeBoard; link: BoardLink } {
  const board = new FakeBoard(opts);
  const link = new BoardLink(board.host, { firstSeq: 100 });
  links.push(link);
  return { board, link };
}
afterEach(async () => {
  while (links.length > 0) await links.pop()!.close();
});

function dataset(samples: number, features: number): Float32Array {
  const a = new Float32Array(samples * (features + 1));
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(Math.sin(i) * 1e3 + i / 7);
  return a;
}

describe('BoardLink requests', () => {
  it('sends a command line ended by \\r and returns the ack with its seq', async () => {
    const { board, link } = connect();
    const ack = await link.sendCommand({ op: 'start' });
    expect(ack).toMatchObject({ type: 'ack', seq: 100, op: 'start' });
    expect(board.lines).toEqual([commandLine(100, { op: 'start' })]);
  });

  it('keeps sequence numbers monotonic', async () => {
    const { link } = connect();
    const a = await link.sendCommand({ op: 'pause' });
    const b = await link.sendCommand({ op: 'resume' });
    expect(b.seq).toBe(a.seq + 1);
  });

  it('never has two lines in flight, even when commands are issued together', async () => {
    const { board, link } = connect();
    const acks = await Promise.all([link.sendCommand({ op: 'pause' }), link.status(), link.sendCommand({ op: 'resume' }), link.sendCommand({ op: 'stop' })]);
    expect(acks.map((a) => (a.type === 'ack' ? a.op : a.type))).toEqual(['pause', 'status', 'resume', 'stop']);
    expect(board.maxInFlight).toBe(1);
    expect(board.overlap).toBe(false);
  });

  it('resends the same line with the same seq when the answer is lost', async () => {
    const { board, link } = connect({ dropAnswerOnce: [100] });
    const ack = await link.sendCommand({ op: 'start' }, { timeoutMs: 150, tries: 3 });
    expect(ack.seq).toBe(100);
    const sent = board.lines.filter((l) => l.startsWith('pt.'));
    expect(sent).toEqual([commandLine(100, { op: 'start' }), commandLine(100, { op: 'start' })]);
    expect(board.lines).toContain(''); // the lone \r that clears a half line before the resend
  });

  it('an error record throws BoardError without resending', async () => {
    const { board, link } = connect();
    const err = await link.sendCommand({ op: 'bad' } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect((err as BoardError).code).toBe('bad_command');
    expect(board.lines.length).toBe(1);
  });

  it('gives up with a clear message when nothing answers', async () => {
    const { link } = connect({ mode: 'silent' });
    const err = await link.sendCommand({ op: 'start' }, { timeoutMs: 50, tries: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkTimeoutError);
    expect(String((err as Error).message)).toMatch(/after 2 tries/);
  });
});

describe('BoardLink.status', () => {
  it('returns the status record the firmware prints (it carries no seq)', async () => {
    const { link } = connect();
    const st = await link.status();
    expect(st).toMatchObject({ type: 'status', state: 'idle', protocol: PROTOCOL_VERSION });
  });

  it('sendCommand refuses status (it would wait for an ack that never comes)', async () => {
    const { board, link } = connect();
    await expect(link.sendCommand({ op: 'status' })).rejects.toThrow(/status\(\)/);
    expect(board.lines).toEqual([]);
  });

  it('on Kaluma without the firmware, says so', async () => {
    const { link } = connect({ mode: 'kaluma' });
    await expect(link.status()).rejects.toBeInstanceOf(WrongBoardError);
  });
});

describe('BoardLink.uploadDataset', () => {
  it('uploads bit-exact in chunks of the value stream and returns the board count', async () => {
    const { board, link } = connect();
    const data = dataset(250, 2);
    const progress: number[] = [];
    const count = await link.uploadDataset(data, 2, (p) => progress.push(p.sentSamples));
    expect(count).toBe(250);
    expect(board.floats).toEqual(wireValues(data, 2));
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(250);
    expect(progress[1]).toBe(60); // 180 values, in samples' worth (3 values a sample)
    expect(board.maxInFlight).toBe(1);
    expect(board.overlap).toBe(false);
    for (const l of board.lines) expect(l.length).toBeLessThanOrEqual(1000);
  });

  it('noise, partial lines and stray acks on the wire do not confuse it', async () => {
    const { board, link } = connect();
    const data = dataset(300, 1);
    let n = 0;
    const noisy = setInterval(() => {
      n++;
      const junk = [Buffer.from([0, 0xff, 0x1b, 0x5b, 0x13, 0x0d, 0x0a]), Buffer.from('{"type":"ack","seq":' + (100 + (n % 5)) + ',"op":"data","count":1,"crc":1'), Buffer.from('\x1b[31mnoise\r\n'), Buffer.from('half a li')];
      board.host.push(junk[n % junk.length]);
    }, 1);
    try {
      expect(await link.uploadDataset(data, 1)).toBe(300);
    } finally {
      clearInterval(noisy);
    }
    expect(board.floats).toEqual(wireValues(data, 1));
    expect(n).toBeGreaterThan(0);
    // Every ack was recognised the first time: no line had to be sent again.
    const sent = board.lines.filter((l) => l.startsWith('pt.'));
    expect(new Set(sent).size).toBe(sent.length);
  });

  it('resends a chunk whose ack carries a wrong crc, and the board keeps it once', async () => {
    const { board, link } = connect({ badCrcOnce: [102] });
    const data = dataset(200, 1);
    const count = await link.uploadDataset(data, 1);
    expect(count).toBe(200);
    expect(board.floats).toEqual(wireValues(data, 1));
    expect(board.lines.filter((l) => l.startsWith('pt.d(102,')).length).toBe(2);
  });

  it('resends a chunk whose ack was lost', async () => {
    const { board, link } = connect({ dropAnswerOnce: [101] });
    const data = dataset(100, 1);
    expect(await link.uploadDataset(data, 1, undefined, { timeoutMs: 150 })).toBe(100);
    expect(board.floats).toEqual(wireValues(data, 1));
  });

  it('resends a chunk the line corrupted (the board refuses it by its crc)', async () => {
    const { board, link } = connect({ corruptOnce: [101] });
    const data = dataset(100, 1);
    expect(await link.uploadDataset(data, 1)).toBe(100);
    expect(board.floats).toEqual(wireValues(data, 1));
    expect(board.lines.filter((l) => l.startsWith('pt.d(101,')).length).toBe(2);
  });

  it('fails loudly when a chunk never checks out', async () => {
    const { link } = connect({ badCrcAlways: [101] });
    const err = await link.uploadDataset(dataset(10, 1), 1, undefined, { timeoutMs: 100, chunkTries: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect(String((err as Error).message)).toMatch(/after 3 tries/);
  });

  it('a refusal that a resend cannot fix (a non-finite value) fails at once', async () => {
    const { board, link } = connect();
    const data = dataset(10, 1);
    data[5] = NaN;
    const err = await link.uploadDataset(data, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardError);
    expect((err as BoardError).code).toBe('not_finite');
    expect(board.lines.filter((l) => l.startsWith('pt.d(')).length).toBe(1);
  });

  it('fails when the board ends with another checksum', async () => {
    const { board, link } = connect();
    const data = dataset(10, 1);
    const upload = link.uploadDataset(data, 1);
    // As if the board had kept a chunk twice or lost one: its chain of chunk checksums differs.
    const off = link.onRecord((r) => {
      if (r.type === 'ack' && r.op === 'data') (board as unknown as { chain: number }).chain ^= 1;
    });
    const err = await upload.catch((e: unknown) => e);
    off();
    expect(err).toBeInstanceOf(TransferError);
    expect(String((err as Error).message)).toMatch(/checksum/);
  });
});

describe('BoardLink.probe', () => {
  it('recognises our firmware and its protocol', async () => {
    const { link } = connect();
    const res = await link.expectFirmware('/dev/fake');
    expect(res.kaluma).toBe('1.2.1');
    expect(res.status.state).toBe('idle');
  });

  it('tells Kaluma without the firmware apart', async () => {
    const { link } = connect({ mode: 'kaluma' });
    const err = await link.expectFirmware('/dev/fake', { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongBoardError);
    expect((err as WrongBoardError).kind).toBe('no-firmware');
    expect(String((err as Error).message)).toMatch(/npm run flash/);
  });

  it('tells a board that is not Kaluma apart', async () => {
    const { link } = connect({ mode: 'silent' });
    const err = await link.expectFirmware('/dev/fake', { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((err as WrongBoardError).kind).toBe('not-kaluma');
  });

  it('names a protocol mismatch', async () => {
    const { link } = connect({ protocol: 99 });
    const err = await link.expectFirmware('/dev/fake').catch((e: unknown) => e);
    expect((err as WrongBoardError).kind).toBe('protocol');
    expect(String((err as Error).message)).toMatch(/protocol 99/);
  });
});

describe('BoardLink streams', () => {
  it('records() yields records as they arrive and ends when the port closes', async () => {
    const { board, link } = connect();
    const got: string[] = [];
    const reading = (async () => {
      for await (const r of link.records()) got.push(r.type);
    })();
    board.host.push(Buffer.from('\x1b[2K\r{"type":"ack","seq":1,"op":"x"}\r\nnot a record\r\n\x1b[2K\r{"type":"error","code":"c","message":"m"}\r\n'));
    await link.waitForRecord((r) => r.type === 'error', 1000);
    board.host.push(null); // the port ends
    await reading;
    expect(got).toEqual(['ack', 'error']);
    expect(link.isClosed).toBe(true);
  });

  it('waitForLine rejects with LinkClosedError when the port closes', async () => {
    const { board, link } = connect();
    const waiting = link.waitForLine(() => false, 5000);
    board.host.destroy();
    await expect(waiting).rejects.toBeInstanceOf(LinkClosedError);
  });
});

describe('BoardLink.prepare', () => {
  it('re-attaching does not send Ctrl-C; flashing does', async () => {
    const a = connect();
    await a.link.prepare({ interrupt: false, settleMs: 1 });
    expect(a.board.ctrlC).toBe(0);
    expect(a.board.lines).toEqual(['', '.echo off']);
    const b = connect();
    await b.link.prepare({ interrupt: true, settleMs: 1 });
    expect(b.board.ctrlC).toBe(1);
  });
});
