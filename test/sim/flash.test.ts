// `.flash -w` on the virtual Pico: Kaluma's YMODEM receiver (src/ymodem.c), driven by a small
// sender written for these tests.
import { describe, expect, it } from 'vitest';
import { startVirtualPico, type VirtualPico } from '../../host/sim/virtual-pico.ts';
import { SerialSession } from './serial-session.ts';
import { block, crc16, ymodemSend } from './ymodem-sender.ts';

const PROMPT = '\x1b[0m\r\x1b7> \x1b[H\x1b[900C\x1b[6n\x1b8\x1b[2C';
const ACK = 0x06;
const CAN = 0x18;
const C = 0x43;

// Each test has its own board, so the tests run side by side (most of their time is the board's
// one-second wait before its first 'C' and its half-second pause before Done).
async function withBoard(program: string | undefined, body: (pico: VirtualPico, s: SerialSession) => Promise<void>): Promise<void> {
  const pico = await startVirtualPico({ program });
  const s = await SerialSession.open(pico.path);
  try {
    await body(pico, s);
  } finally {
    await s.close();
    await pico.close();
  }
}

async function startFlash(s: SerialSession): Promise<void> {
  await s.send('.flash -w', "Transfer a file via YMODEM... (press 'a' to abort)\r\n");
  s.skipReceived();
}

// Two blocks and a bit: exercises the padding and the size in the header. The control bytes (Ctrl-C,
// Ctrl-D, ESC) are data during a transfer, not REPL keys.
const PROGRAM = `console.log("flashed " + ${'1'});\n` + '// \x03\x04\x1b ' + 'x'.repeat(2100) + '\n';

describe('the CRC', () => {
  it('is CRC-16/XMODEM', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });
});

describe.concurrent('.flash -w', () => {
  it('receives a program over YMODEM, prints Done, and .load runs it', () => withBoard(undefined, async (pico, s) => {
    await startFlash(s);
    const from = s.mark();
    const result = await ymodemSend(s, 'main.js', Buffer.from(PROGRAM));
    expect(result.outcome).toBe('sent');
    // header: ACK C; three data blocks: ACK each; EOT: ACK; end of session: ACK
    expect(result.replies).toEqual([ACK, C, ACK, ACK, ACK, ACK, ACK]);
    expect(await s.waitFor(PROMPT, from)).toContain('\r\nDone\r\n');
    expect(pico.storedProgram()).toBe(PROGRAM);
    expect(await s.send('.flash -s', PROMPT)).toContain(`${PROGRAM.length}\r\n`);
    expect(await s.send('.load', PROMPT)).toContain('\x1b[2K\r\x1b[0mflashed 1\r\n');
  }));

  it('asks again for a block with a bad CRC (Kaluma sends C), and the resent block gets through', () => withBoard(undefined, async (pico, s) => {
    await startFlash(s);
    const from = s.mark();
    const result = await ymodemSend(s, 'main.js', Buffer.from(PROGRAM), { badCrcOnce: [2] });
    expect(result.outcome).toBe('sent');
    expect(result.resent).toBe(1);
    expect(result.replies).toEqual([ACK, C, ACK, C, ACK, ACK, ACK, ACK]);
    expect(await s.waitFor(PROMPT, from)).toContain('\r\nDone\r\n');
    expect(pico.storedProgram()).toBe(PROGRAM);
  }));

  it('recovers from blocks corrupted on the wire (fault injection)', () => withBoard(undefined, async (pico, s) => {
    await startFlash(s);
    pico.corruptNextFlashBlocks(2);
    const from = s.mark();
    const result = await ymodemSend(s, 'main.js', Buffer.from(PROGRAM));
    expect(result.resent).toBe(2);
    expect(await s.waitFor(PROMPT, from)).toContain('\r\nDone\r\n');
    expect(pico.storedProgram()).toBe(PROGRAM);
  }));

  it('NAKs a block with an unexpected number', () => withBoard(undefined, async (_pico, s) => {
    await startFlash(s);
    for (;;) if ((await s.nextByte()) === C) break;
    const header = new Uint8Array(1024);
    header.set(Buffer.from('main.js\x0010 '));
    await s.write(block(1, header)); // block 0 expected
    expect(await s.nextByte()).toBe(0x15);
    await s.write('a'); // give up
    expect(await s.waitFor('\r\nAborted\r\n')).toBeTruthy();
  }));

  it('cancels with CAN CAN and prints Verification failed when writing fails; the flash is left empty', () => withBoard('console.log("old")', async (pico, s) => {
    await startFlash(s);
    pico.failNextFlashWrite();
    const from = s.mark();
    const result = await ymodemSend(s, 'main.js', Buffer.from(PROGRAM));
    expect(result.outcome).toBe('cancelled');
    expect(result.replies.slice(-2)).toEqual([CAN, CAN]);
    expect(await s.waitFor(PROMPT, from)).toContain('\r\nVerification failed\r\n');
    expect(pico.storedProgram()).toBeNull();
  }));

  it("aborts on 'a'", () => withBoard(undefined, async (_pico, s) => {
    await startFlash(s);
    const from = s.mark();
    await s.write('a');
    const text = await s.waitFor(PROMPT, from);
    expect(text).toContain('\x18\x18');
    expect(text).toContain('\r\nAborted\r\n');
  }));

  it('stores the code up to a NUL byte (the program area is NUL-terminated)', () => withBoard(undefined, async (pico, s) => {
    await startFlash(s);
    const from = s.mark();
    await ymodemSend(s, 'main.js', Buffer.from('var a = 1;\0var b = 2;'));
    await s.waitFor('Done', from);
    expect(pico.storedProgram()).toBe('var a = 1;');
  }));
});

describe('the other .flash options', () => {
  it('-r prints the code with CR LF, -e erases it', () => withBoard('var a = 1;\nvar b = 2;', async (pico, s) => {
    expect(await s.send('.flash -r', PROMPT)).toContain('var a = 1;\r\nvar b = 2;\r\n');
    expect(await s.send('.flash -e', PROMPT)).toContain('Flash has erased\r\n');
    expect(pico.storedProgram()).toBeNull();
    expect(await s.send('.flash -s', PROMPT)).toContain('0\r\n');
  }));
});
