// flashProgram against a fake Kaluma REPL with the Kaluma-like YMODEM receiver behind `.flash -w`.
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BoardLink } from '../../host/link/board.ts';
import { FlashError, flashProgram, type FlashOptions } from '../../host/link/flash.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { FakeYmodemReceiver, type ReceiverFaults } from './ymodem-receiver.ts';

type LoadBehaviour = 'hello' | 'error' | 'nothing' | 'old-protocol';

interface KalumaOptions {
  ymodem?: Omit<ReceiverFaults, 'out'>;
  /** What the board prints after a complete transfer. */
  verdict?: 'Done' | 'Verification failed' | '';
  load?: LoadBehaviour;
  /** No REPL at all (another device). */
  deaf?: boolean;
  /** The program running before the flash prints "Done" as it is interrupted. */
  doneBeforeTransfer?: boolean;
}

class FakeKaluma {
  readonly host: Duplex;
  readonly typed: string[] = [];
  stored: Uint8Array | null = null;
  ctrlC = 0;
  private input = '';
  private rx: FakeYmodemReceiver | null = null;

  constructor(readonly opts: KalumaOptions = {}) {
    const self = this;
    this.host = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        self.receive(new Uint8Array(chunk));
        cb();
      },
    });
  }

  private print(text: string, delay = 1): void {
    setTimeout(() => this.host.push(Buffer.from(text, 'latin1')), delay);
  }

  private receive(bytes: Uint8Array): void {
    if (this.opts.deaf) return;
    if (this.rx) {
      const rx = this.rx;
      rx.feed(bytes);
      if (rx.done) {
        this.rx = null;
        this.stored = rx.file;
        if (this.opts.verdict !== '') this.print(`\r\n${this.opts.verdict ?? 'Done'}\r\n`, 5);
      } else if (rx.aborted) {
        this.rx = null;
        this.print('\r\nAborted\r\n', 5);
      }
      return;
    }
    for (const b of bytes) {
      if (b === 3) {
        this.ctrlC++;
        this.input = '';

      } else if (b === 13) {
        const line = this.input;
        this.input = '';
        this.line(line);
        if (this.rx) return; // the rest of the chunk (none, in practice) would be YMODEM
      } else this.input += String.fromCharCode(b);
    }
  }

  private line(line: string): void {
    this.typed.push(line);
    if (line === '.flash -w') {
      // A program's last words, flushed as the REPL takes the command.
      if (this.opts.doneBeforeTransfer) this.print('\x1b[2K\r\x1b[0mDone\r\n', 0);
      this.print("Transfer a file via YMODEM... (press 'a' to abort)\r\n");
      this.rx = new FakeYmodemReceiver({ ...this.opts.ymodem, out: (b) => setTimeout(() => this.host.push(Buffer.from(b)), 1) });
      return;
    }
    if (line === '.load') {
      const load = this.opts.load ?? 'hello';
      const hello = (protocol: number): string =>
        '\x1b[2K\r' + JSON.stringify({ type: 'hello', protocol, firmware: '0.1.0', runtime: 'kaluma 1.2.1', capacity: { samples: 2048, features: 8 }, heap: { total: 184312, used: 60000 } }) + '\r\n';
      if (load === 'hello') this.print(hello(PROTOCOL_VERSION), 3);
      if (load === 'old-protocol') this.print(hello(0), 3);
      if (load === 'error') this.print('\x1b[31mTypeError: not a function\r\n  at <anonymous>:12\r\n  at <anonymous>:40\r\n\x1b[0m', 3);
    }
  }
}

const links: BoardLink[] = [];
afterEach(async () => {
  while (links.length > 0) await links.pop()!.close();
});

function program(n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = 0x20 + ((i * 31) % 0x5e);
  return a;
}

async function flash(opts: KalumaOptions, code = program(3000), flashOpts: FlashOptions = {}): Promise<{ board: FakeKaluma; result: unknown }> {
  const board = new FakeKaluma(opts);
  const link = new BoardLink(board.host);
  links.push(link);
  const result = await flashProgram(link, code, { startTimeoutMs: 500, blockTimeoutMs: 300, verdictTimeoutMs: 500, helloTimeoutMs: 500, ...flashOpts }).catch((e: unknown) => e);
  return { board, result };
}

describe('flashProgram', () => {
  it('Ctrl-C, .flash -w, YMODEM, Done, .load, hello', async () => {
    const code = program(5000);
    const progress: number[] = [];
    const { board, result } = await flash({}, code, { onProgress: (s) => progress.push(s) });
    expect(result).toMatchObject({ type: 'hello', protocol: PROTOCOL_VERSION, firmware: '0.1.0' });
    expect(board.ctrlC).toBe(1);
    expect(board.typed).toEqual(['', '.flash -w', '.load']);
    expect(board.stored).toEqual(code);
    expect(progress).toEqual([1024, 2048, 3072, 4096, 5000]);
  });

  it('recovers a block the wire corrupted', async () => {
    const code = program(4000);
    const { board, result } = await flash({ ymodem: { corruptBlock: { block: 3, times: 2 } } }, code);
    expect(result).toMatchObject({ type: 'hello' });
    expect(board.stored).toEqual(code);
  });

  it('a block that never gets through is a failure, not a success', async () => {
    const { board, result } = await flash({ ymodem: { corruptBlock: { block: 2, times: 1000 } } });
    expect(result).toBeInstanceOf(FlashError);
    expect((result as FlashError).stage).toBe('transfer');
    expect(board.typed).not.toContain('.load');
  });

  it('the board cancelling is a failure', async () => {
    const { result } = await flash({ ymodem: { cancelAtBlock: 2 } });
    expect(result).toBeInstanceOf(FlashError);
    expect((result as FlashError).message).toMatch(/cancelled/);
  });

  it('no YMODEM at all: not a Kaluma board', async () => {
    const { result } = await flash({ deaf: true });
    expect((result as FlashError).stage).toBe('start');
    expect((result as FlashError).message).toMatch(/Is it a Kaluma board/);
  });

  it('Verification failed is a failure even though every block was acknowledged', async () => {
    const { board, result } = await flash({ verdict: 'Verification failed' });
    expect((result as FlashError).stage).toBe('verify');
    expect((result as FlashError).message).toMatch(/Verification failed/);
    expect(board.typed).not.toContain('.load');
  });

  it('no Done after the transfer is a failure', async () => {
    const { result } = await flash({ verdict: '' });
    expect((result as FlashError).stage).toBe('verify');
    expect((result as FlashError).message).toMatch(/never said `Done`/);
  });

  it('a `Done` printed before the transfer does not count', async () => {
    const { result } = await flash({ doneBeforeTransfer: true, verdict: '' });
    expect((result as FlashError).stage).toBe('verify');
  });

  it('no hello after .load: prints the red error with traced lines', async () => {
    const { result } = await flash({ load: 'error' }, program(100), { traceLines: (lines) => lines.map((l) => l.replace('<anonymous>:12', 'firmware/main.ts:7')) });
    expect((result as FlashError).stage).toBe('load');
    const msg = (result as FlashError).message;
    expect(msg).toMatch(/stopped with an error/);
    expect(msg).toMatch(/TypeError: not a function/);
    expect(msg).toMatch(/at firmware\/main\.ts:7/);
    expect(msg).toMatch(/at <anonymous>:40/);
  });

  it('silence after .load is a failure', async () => {
    const { result } = await flash({ load: 'nothing' }, program(100));
    expect((result as FlashError).stage).toBe('load');
    expect((result as FlashError).message).toMatch(/no hello record/);
  });

  it('a hello with another protocol is a failure', async () => {
    const { result } = await flash({ load: 'old-protocol' }, program(100));
    expect((result as FlashError).stage).toBe('protocol');
  });

  it('refuses a program with a NUL byte before touching the board', async () => {
    const { board, result } = await flash({}, Uint8Array.of(65, 0, 66));
    expect((result as FlashError).stage).toBe('start');
    expect(board.typed).toEqual([]);
  });
});
