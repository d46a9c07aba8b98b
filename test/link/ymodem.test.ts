import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, YmodemError, crc16xmodem, headerBlock, makeBlock, ymodemSend } from '../../host/link/ymodem.ts';
import { FakeYmodemReceiver } from './ymodem-receiver.ts';

function program(n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = 32 + ((i * 7) % 90);
  return a;
}

const fast = { startTimeoutMs: 500, blockTimeoutMs: 300 };

describe('YMODEM framing', () => {
  it('CRC-16/XMODEM of the standard check string is 0x31C3', () => {
    expect(crc16xmodem(new TextEncoder().encode('123456789'))).toBe(0x31c3);
  });

  it('a block is STX, number, complement, 1024 bytes padded, CRC big-endian', () => {
    const b = makeBlock(3, Uint8Array.of(1, 2, 3), 0xff);
    expect(b.length).toBe(1029);
    expect([b[0], b[1], b[2]]).toEqual([0x02, 3, 0xfc]);
    expect([b[3], b[4], b[5], b[6], b[1026]]).toEqual([1, 2, 3, 0xff, 0xff]);
    const crc = crc16xmodem(b, 3, 1027);
    expect([b[1027], b[1028]]).toEqual([crc >> 8, crc & 0xff]);
  });

  it('the header holds name\\0size and a space, zero padded; the end block is all zero', () => {
    const h = headerBlock('usercode', 1234);
    const text = new TextDecoder().decode(h.subarray(3, 3 + 14));
    expect(text).toBe('usercode\u00001234 ');
    expect(h.subarray(3 + 14, 1027).every((b) => b === 0)).toBe(true);
    expect(headerBlock('', 0).subarray(3, 1027).every((b) => b === 0)).toBe(true);
  });
});

describe('ymodemSend against a Kaluma-like receiver', () => {
  it('delivers the file bit-exact and reports progress per block', async () => {
    const rx = new FakeYmodemReceiver();
    const data = program(2 * BLOCK_SIZE + 100);
    const progress: number[] = [];
    await ymodemSend(rx.channel, 'usercode', data, { ...fast, onProgress: (sent) => progress.push(sent) });
    expect(rx.name).toBe('usercode');
    expect(rx.size).toBe(data.length);
    expect(rx.file).toEqual(data);
    expect(rx.received.slice(data.length).every((b) => b === 0xff)).toBe(true);
    expect(progress).toEqual([1024, 2048, 2148]);
    expect(rx.done).toBe(true);
    expect(rx.headers.length).toBe(2);
  });

  it('resends a block the wire corrupted, and the stored file is still exact', async () => {
    const rx = new FakeYmodemReceiver({ corruptBlock: { block: 2, times: 2 } });
    const data = program(3 * BLOCK_SIZE);
    await ymodemSend(rx.channel, 'usercode', data, fast);
    expect(rx.file).toEqual(data);
    expect(rx.blocksSeen).toBe(3);
  });

  it('resends a corrupted header at once, without waiting for a timeout', async () => {
    const rx = new FakeYmodemReceiver({ corruptBlock: { block: 0, times: 1 } });
    const data = program(1500);
    // Count reads that came back empty: waiting out a timeout would show as one.
    let timeouts = 0;
    const ch = rx.channel;
    const counting = { ...ch, read: async (ms: number) => { const b = await ch.read(ms); if (b === null) timeouts++; return b; } };
    await ymodemSend(counting, 'usercode', data, { startTimeoutMs: 2000, blockTimeoutMs: 2000 });
    expect(rx.file).toEqual(data);
    expect(rx.name).toBe('usercode');
    expect(timeouts).toBe(0);
  });

  it('gives up after bounded retries when a block never gets through, and tells the board to stop', async () => {
    const rx = new FakeYmodemReceiver({ corruptBlock: { block: 1, times: 100 } });
    const err = await ymodemSend(rx.channel, 'usercode', program(500), { ...fast, maxTries: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(YmodemError);
    expect((err as YmodemError).reason).toBe('retries');
    expect(rx.aborted).toBe(true); // our CAN CAN reached it
  });

  it('the board cancelling (CAN CAN) is an error, not a success', async () => {
    const rx = new FakeYmodemReceiver({ cancelAtBlock: 2 });
    const err = await ymodemSend(rx.channel, 'usercode', program(3000), fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(YmodemError);
    expect((err as YmodemError).reason).toBe('cancelled');
    expect(rx.done).toBe(false);
  });

  it("no 'C' from the other end fails with no-start", async () => {
    const rx = new FakeYmodemReceiver({ silent: true });
    const err = await ymodemSend(rx.channel, 'usercode', program(10), { ...fast, startTimeoutMs: 100 }).catch((e: unknown) => e);
    expect((err as YmodemError).reason).toBe('no-start');
  });

  it('handles NAK-then-ACK on EOT', async () => {
    const rx = new FakeYmodemReceiver({ nakFirstEot: true });
    const data = program(1500);
    await ymodemSend(rx.channel, 'usercode', data, fast);
    expect(rx.eots).toBe(2);
    expect(rx.file).toEqual(data);
    expect(rx.done).toBe(true);
  });

  it("stale polls queued before the header are not taken for 'send again'", async () => {
    const rx = new FakeYmodemReceiver({ extraPolls: 3 });
    const data = program(2500);
    await ymodemSend(rx.channel, 'usercode', data, fast);
    expect(rx.file).toEqual(data);
    expect(rx.naks).toBe(0);
  });

  it('sends an empty file as header, EOT and end block', async () => {
    const rx = new FakeYmodemReceiver();
    await ymodemSend(rx.channel, 'usercode', new Uint8Array(0), fast);
    expect(rx.size).toBe(0);
    expect(rx.done).toBe(true);
  });
});
