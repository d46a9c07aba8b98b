// Kaluma's REPL (src/repl.c): line editing on the raw USB bytes, echo, the prompt, dot-commands.
// Only '\r' is Enter ('\n' is an ordinary character). A line holds at most 1023 characters.
import type { YmodemStatus } from './ymodem-receiver.ts';
import { YMODEM_RESULT_TEXT } from './ymodem-receiver.ts';
import { latin1, decodeSource } from './text.ts';

export const KALUMA_VERSION = '1.2.1';
const BUFFER_SIZE = 1024; // KALUMA_REPL_BUFFER_SIZE: one byte is kept for the terminating NUL
const HISTORY_SIZE = 10;
const ESCAPE_MAX = 16;
const FLASH_TOTAL = 524288;

const RED = '\x1b[31m';
const NORMAL = '\x1b[0m';

/** What the REPL asks of the board around it. */
export interface ReplBoard {
  /** Raw output: one byte per character (the REPL echoes and prints bytes, not text). */
  write(text: string): void;
  /** Sends what was written so far (before running something that may take long). */
  flush(): void;
  /** Runs one line of JavaScript and prints its result (run_code). */
  runCode(source: string): void;
  /** .reset and Ctrl-D: a fresh runtime without the flashed program. */
  softReset(): void;
  /** .load: a fresh runtime running the flashed program. */
  load(): void;
  memory(): { total: number; used: number; peak: number };
  /** .flash -w: receives a program over YMODEM (blocking). */
  flashReceive(): YmodemStatus;
  flashErase(): void;
  /** The stored program's bytes (without its NUL), or null. */
  flashRead(): Uint8Array | null;
  /** km_delay: blocks the board. */
  delay(ms: number): void;
}

type Command = (arg: string | undefined) => void;

export class Repl {
  echo = true;
  private buffer: number[] = [];
  private position = 0;
  private width = 80;
  private escaping = false;
  private escape: number[] = [];
  private history: number[][] = [];
  private historyPosition = 0;
  private readonly commands: [string, string, Command][];

  constructor(private readonly board: ReplBoard) {
    this.commands = [
      ['.help', 'Print this help message', () => this.help()],
      ['.hi', 'Print welcome message', () => this.hi()],
      ['.echo', 'Echo on/off', (arg) => {
        if (arg === 'on') this.echo = true;
        else if (arg === 'off') this.echo = false;
      }],
      ['.reset', 'Soft reset', () => this.reset()],
      ['.flash', 'Commands for flash', (arg) => this.flash(arg)],
      ['.load', 'Load code from flash', () => this.board.load()],
      ['.mem', 'Heap memory status', () => {
        const m = this.board.memory();
        this.board.write(`total: ${m.total}, occupied: ${m.used}, peak: ${m.peak}\r\n`);
      }],
      ['.gc', 'Perform garbage collection', () => {}],
      // The file-system commands, over an empty root directory (there is no file system in the simulator).
      ['.ls', 'List files', () => {}],
      ['.pwd', 'Print working directory', () => this.board.write('/\r\n')],
      ['.cd', 'Change directory', (arg) => {
        if (arg !== undefined && arg !== '/') this.board.write(`${RED}No such file or directory\r\n${NORMAL}`);
      }],
      ['.mkdir', 'Make directory', () => this.board.write(`${RED}Read-only file system\r\n${NORMAL}`)],
      ['.rm', 'Remove file', () => this.board.write(`${RED}No such file or directory\r\n${NORMAL}`)],
      ['.cat', 'Print file content', () => this.board.write(`${RED}No such file or directory\r\n${NORMAL}`)],
    ];
  }

  /** cmd_hi: the banner, printed at boot and by `.hi`. */
  hi(): void {
    this.board.write(
      '         ___\r\n' +
        `   _____/ . \\   Welcome to Kaluma v${KALUMA_VERSION}\r\n` +
        '  /        __>  https://kaluma.io\r\n' +
        ' |/\\________/\r\n' +
        "  \\__@  v  v    Type '.help' for more info.\r\n" +
        '-----------------------------------------------\r\n' +
        '\r\n',
    );
  }

  private help(): void {
    let text = '';
    for (const [name, desc] of this.commands) text += `${name}\t${desc}\r\n`;
    text += '\r\nCTRL+C\tAbort running code\r\nCTRL+D\tSoft reset\r\n';
    this.board.write(text);
  }

  private reset(): void {
    this.board.softReset();
    this.board.write('\r\nsoft reset\r\n');
  }

  private flash(arg: string | undefined): void {
    const b = this.board;
    if (arg === '-e') {
      b.flashErase();
      b.write('Flash has erased\r\n');
    } else if (arg === '-t') {
      b.write(`${FLASH_TOTAL}\r\n`);
    } else if (arg === '-s') {
      b.write(`${b.flashRead()?.length ?? 0}\r\n`);
    } else if (arg === '-r') {
      const code = b.flashRead() ?? new Uint8Array(0);
      b.write(latin1(code).replace(/\n/g, '\r\n') + '\r\n');
    } else if (arg === '-w') {
      b.write("Transfer a file via YMODEM... (press 'a' to abort)\r\n");
      const status = b.flashReceive();
      b.delay(500);
      b.write(YMODEM_RESULT_TEXT[status]);
    } else {
      b.write(
        '.flash command options:\r\n' +
          '-w\tWrite code to flash via YMODEM\r\n' +
          '-e\tErase the code in flash\r\n' +
          '-t\tPrint total size of flash for code\r\n' +
          '-s\tPrint the size of the code in flash\r\n' +
          '-r\tPrint the code in flash\r\n',
      );
    }
  }

  /** km_repl_print_prompt: colour reset, and with echo on the prompt plus a screen-width query. */
  prompt(): void {
    let text = NORMAL;
    if (this.echo) text += '\r\x1b7> ' + latin1(Uint8Array.from(this.buffer)) + '\x1b[H\x1b[900C\x1b[6n\x1b8\x1b[2C';
    this.board.write(text);
  }

  /** Feeds bytes taken from the USB input, one at a time as the board does. */
  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      if (this.escaping) this.handleEscape(bytes[i]);
      else this.handleNormal(bytes[i]);
    }
  }

  private takeLine(): Uint8Array {
    const line = Uint8Array.from(this.buffer);
    this.history.push(this.buffer);
    if (this.history.length > HISTORY_SIZE) this.history.shift();
    this.historyPosition = this.history.length;
    this.buffer = [];
    this.position = 0;
    return line;
  }

  private runCommand(): void {
    if (this.buffer.length === 0) return;
    const tokens = latin1(this.takeLine()).split(' ').filter((t) => t.length > 0);
    const cmd = this.commands.find(([name]) => name === tokens[0]);
    if (cmd) cmd[2](tokens[1]);
    else this.board.write(`${RED}Unknown command: ${tokens[0] ?? ''}\r\n${NORMAL}`);
  }

  private runCode(): void {
    if (this.buffer.length === 0) return;
    this.board.runCode(decodeSource(this.takeLine()));
  }

  private cursorToPosition(): void {
    const horz = (this.position + 2) % this.width;
    const vert = Math.floor((this.position + 2) / this.width);
    let text = '\x1b8';
    if (horz > 0) text += `\x1b[${horz}C`;
    if (vert > 0) text += `\x1b[${vert}B`;
    this.board.write(text);
  }

  private bufferText(): string {
    return latin1(Uint8Array.from(this.buffer));
  }

  private handleNormal(ch: number): void {
    switch (ch) {
      case 0x0d: // '\r'
        if (this.echo) this.board.write('\r\n');
        this.board.flush();
        if (this.buffer.length > 0 && this.buffer[0] === 0x2e) this.runCommand();
        else this.runCode();
        this.prompt();
        break;
      case 0x01: // Ctrl-A
        this.position = 0;
        this.cursorToPosition();
        break;
      case 0x04: // Ctrl-D
        this.reset();
        this.prompt();
        break;
      case 0x05: // Ctrl-E
        this.position = this.buffer.length;
        this.cursorToPosition();
        break;
      case 0x08:
      case 0x7f:
        if (this.buffer.length > 0 && this.position > 0) {
          this.position--;
          this.buffer.splice(this.position, 1);
          if (this.echo) {
            this.board.write('\x1b[D\x1b[K\x1b[J\x1b8> ' + this.bufferText());
            this.cursorToPosition();
          }
        }
        break;
      case 0x1b:
        this.escaping = true;
        this.escape = [];
        break;
      default:
        if (this.buffer.length < BUFFER_SIZE - 1) {
          if (this.position === this.buffer.length) {
            this.buffer.push(ch);
            this.position++;
            if (this.echo) this.board.write(String.fromCharCode(ch));
          } else {
            this.buffer.splice(this.position, 0, ch);
            this.position++;
            if (this.echo) {
              this.board.write('\x1b8> ' + this.bufferText());
              this.cursorToPosition();
            }
          }
        } else {
          this.board.write(`${RED}REPL buffer overflow\r\n${NORMAL}`);
        }
        break;
    }
  }

  private handleEscape(ch: number): void {
    this.escape.push(ch);
    const esc = this.escape;
    const isLetter = (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a);
    if (isLetter) {
      this.escaping = false;
      if (esc.length === 2 && esc[0] === 0x5b && esc[1] === 0x41) {
        // up: previous history entry
        if (this.historyPosition > 0) {
          this.historyPosition--;
          this.buffer = this.history[this.historyPosition].slice();
          this.position = this.buffer.length;
          this.board.write('\x1b[2K\r> ' + this.bufferText());
        }
      } else if (esc.length === 2 && esc[0] === 0x5b && esc[1] === 0x42) {
        // down: next history entry, or an empty line after the last
        if (this.historyPosition === this.history.length - 1) {
          this.historyPosition++;
          this.board.write('\x1b[2K\r> ');
          this.buffer = [];
          this.position = 0;
        } else if (this.historyPosition < this.history.length - 1) {
          this.historyPosition++;
          this.buffer = this.history[this.historyPosition].slice();
          this.position = this.buffer.length;
          this.board.write('\x1b[2K\r> ' + this.bufferText());
        }
      } else if (esc.length === 2 && esc[0] === 0x5b && esc[1] === 0x44) {
        if (this.position > 0) {
          this.position--;
          this.cursorToPosition();
        }
      } else if (esc.length === 2 && esc[0] === 0x5b && esc[1] === 0x43) {
        if (this.position < this.buffer.length) {
          this.position++;
          this.cursorToPosition();
        }
      } else if (ch === 0x52) {
        // 'R': the terminal's cursor-position report, ESC [ row ; col R — the column is the screen width
        const text = latin1(Uint8Array.from(esc.slice(0, -1)));
        const semi = text.indexOf(';');
        const width = parseInt(text.slice(semi + 1), 10);
        if (width > 0) this.width = width;
      } else {
        this.board.write('\x1b' + latin1(Uint8Array.from(esc)));
      }
    } else if (ch === 0x7e) {
      // '~': special keys; only Delete (ESC [ 3 ~) does something
      this.escaping = false;
      if (esc.length === 3 && esc[0] === 0x5b && esc[1] === 0x33 && this.position < this.buffer.length) {
        this.buffer.splice(this.position, 1);
        if (this.echo) {
          this.board.write('\x1b[K\x1b[J\x1b8> ' + this.bufferText());
          this.cursorToPosition();
        }
      }
    } else if (esc.length >= ESCAPE_MAX) {
      this.escaping = false; // the board's 16-byte escape buffer would overflow; give up on the sequence
    }
  }
}
