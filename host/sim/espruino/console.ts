// Espruino's console (src/jsinteractive.c): the input line, its echo and editing, the `>` prompt that
// is taken off the screen while the board prints and put back afterwards, `\x10` lines, the command
// history and the debugger's `debug>` line. Output goes out as the board sends it: every "\n" of a
// message as "\r\n", the input line's own line breaks shown as "\r\n:".
//
// Left out: tab completion (Tab does nothing while echo is on), the password lock, the packet
// protocol of 2v25+ (a DLE+SOH frame), `ESC [ n d` line numbers are read but not applied.
import { consoleStringVariables } from './engine.ts';

const MAX_HISTORY_LINE = 500;

const enum InputState {
  None,
  HadR,
  Had27,
  Had27_79,
  Had27_91,
  Had27_91_Number,
}

/** What the console needs from the board. */
export interface ConsoleBoard {
  /** Raw output, one character per byte. */
  write(text: string): void;
  /** Evaluates a line: its `=value` text, or null when it failed (the failure waits for checkErrors). */
  runLine(line: string): string | null;
  /** jsiCheckErrors: prints what went wrong since the last call. */
  checkErrors(): void;
  /** A line typed at the `debug>` prompt. */
  debuggerLine(line: string): void;
}

export class EspruinoConsole {
  inputLine = '';
  private cursor = 0;
  private state = InputState.None;
  private stateNumber = 0;
  lineNumberOffset = 0;
  /** The input line (and its prompt) is not on the screen. At boot it is put back by the first loop. */
  inputLineRemoved = true;
  /** echo(0): JSIS_ECHO_OFF. */
  echoOff = false;
  /** A `\x10` line: JSIS_ECHO_OFF_FOR_LINE. */
  echoOffForLine = false;
  inDebugger = false;
  /** The text of the line being run (its variables count while it runs). */
  running = '';
  private readonly history: string[] = [];
  private readonly debugHistory: string[] = [];

  constructor(private readonly board: ConsoleBoard) {}

  echo(): boolean {
    return !this.echoOff && !this.echoOffForLine;
  }

  private showInputLine(): boolean {
    return this.echo() && !this.inputLineRemoved;
  }

  /** jsiConsolePrintString: text with every "\n" sent as "\r\n". */
  print(text: string): void {
    this.board.write(text.replace(/\n/g, '\r\n'));
  }

  /** jswrap_interface_print: the input line comes off the screen, then the text and a line end. */
  printLine(text: string): void {
    this.removeInputLine();
    this.print(text + '\n');
  }

  /** Variables the console holds now: the line being typed and the line being run (strings in variables). */
  variables(): number {
    return consoleStringVariables(this.inputLine.length) + consoleStringVariables(this.running.length);
  }

  /** Variables of the command history (process.memory().history; not counted in usage). */
  historyVariables(): number {
    if (this.history.length === 0) return 0;
    return 3 + this.history.reduce((n, line) => n + 1 + consoleStringVariables(line.length), 0);
  }

  clearHistory(): void {
    this.history.length = 0;
    this.debugHistory.length = 0;
  }

  // ---- the screen ------------------------------------------------------------------------------

  private lineAndCol(text: string, pos: number): [number, number] {
    let line = 1;
    let start = 0;
    for (let i = 0; i < pos && i < text.length; i++) {
      if (text[i] === '\n') {
        line++;
        start = i + 1;
      }
    }
    return [line, pos - start + 1];
  }

  private moveCursor(oldX: number, oldY: number, newX: number, newY: number): void {
    let s = '';
    for (; oldX < newX; oldX++) s += '\x1b[C';
    for (; oldX > newX; oldX--) s += '\x1b[D';
    for (; oldY < newY; oldY++) s += '\x1b[B';
    for (; oldY > newY; oldY--) s += '\x1b[A';
    if (s) this.board.write(s);
  }

  private moveCursorChar(text: string, from: number, to: number): void {
    if (from === to) return;
    const [oldY, oldX] = this.lineAndCol(text, from);
    const [newY, newX] = this.lineAndCol(text, to);
    this.moveCursor(oldX, oldY, newX, newY);
  }

  private printUntilEol(text: string, from: number, andBackup: boolean): void {
    let chars = 0;
    let s = '';
    for (let i = from; i < text.length && text[i] !== '\n'; i++) {
      s += text[i];
      chars++;
    }
    if (andBackup) {
      s += ' ';
      chars++;
      s += '\x08'.repeat(chars);
    }
    this.board.write(s);
  }

  private printWithNewLineChar(text: string, from: number, newLineCh: string): void {
    let s = '';
    for (let i = from; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\n') s += '\r';
      s += ch;
      if (ch === '\n' && newLineCh) s += newLineCh;
    }
    if (s) this.board.write(s);
  }

  /** jsiConsoleRemoveInputLine. */
  removeInputLine(): void {
    if (this.inputLineRemoved) return;
    this.inputLineRemoved = true;
    if (this.echo()) {
      this.moveCursorChar(this.inputLine, this.cursor, 0);
      this.board.write('\r\x1b[J');
      if (this.inDebugger) this.board.write('\x08'.repeat(5));
    }
  }

  /** jsiConsoleReturnInputLine: the prompt and the line being typed, back on the screen. */
  returnInputLine(): void {
    if (!this.inputLineRemoved) return;
    this.inputLineRemoved = false;
    if (this.echo()) {
      if (this.inDebugger) this.board.write('debug');
      this.board.write('>');
      this.printWithNewLineChar(this.inputLine, 0, ':');
      this.moveCursorChar(this.inputLine, this.inputLine.length, this.cursor);
    }
  }

  /** jsiClearInputLine. */
  clearInputLine(updateConsole: boolean): void {
    if (this.inputLine === '') return;
    if (updateConsole) this.removeInputLine();
    this.inputLine = '';
    this.cursor = 0;
  }

  // ---- history --------------------------------------------------------------------------------

  private historyList(): string[] {
    return this.inDebugger ? this.debugHistory : this.history;
  }

  private historyAdd(line: string): void {
    if (line.length === 0 || line.length > MAX_HISTORY_LINE) return;
    const list = this.historyList();
    const at = list.indexOf(line);
    if (at >= 0) list.splice(at, 1);
    list.push(line);
  }

  private historyLine(previous: boolean): string | null {
    const list = this.historyList();
    const at = list.indexOf(this.inputLine);
    if (at >= 0) return previous ? (list[at - 1] ?? null) : (list[at + 1] ?? null);
    return previous ? (list.at(-1) ?? null) : null;
  }

  private replaceInputLine(line: string): void {
    if (this.showInputLine()) {
      this.moveCursorChar(this.inputLine, this.cursor, 0);
      this.board.write('\x1b[J');
      this.printWithNewLineChar(line, 0, ':');
    }
    this.inputLine = line;
    this.cursor = line.length;
  }

  private changeToHistory(previous: boolean): void {
    const next = this.historyLine(previous);
    if (next !== null) {
      this.replaceInputLine(next);
    } else if (!previous) {
      if (this.showInputLine()) {
        this.moveCursorChar(this.inputLine, this.cursor, 0);
        this.board.write('\x1b[J');
      }
      this.inputLine = '';
      this.cursor = 0;
    }
  }

  /** jsiIsAboutToEditInputLine: Espruino copies a line taken from the history before changing it; strings here are values. */
  private aboutToEdit(): void {}

  // ---- editing --------------------------------------------------------------------------------

  private handleDelete(isBackspace: boolean): void {
    const l = this.inputLine.length;
    if (isBackspace && this.cursor === 0) return;
    if (!isBackspace && this.cursor >= l) return;
    const deleteNewline = (isBackspace && this.inputLine[this.cursor - 1] === '\n') || (!isBackspace && this.inputLine[this.cursor] === '\n');
    if (deleteNewline && this.showInputLine()) {
      this.board.write('\x1b[J');
      if (isBackspace) {
        this.board.write('\x08 ');
        this.moveCursorChar(this.inputLine, this.cursor, this.cursor - 1);
      }
    }
    const p = isBackspace ? this.cursor - 1 : this.cursor;
    this.inputLine = this.inputLine.slice(0, p) + this.inputLine.slice(p + 1);
    if (isBackspace) this.cursor--;
    if (this.showInputLine()) {
      if (deleteNewline) {
        this.printWithNewLineChar(this.inputLine, this.cursor, ':');
        this.moveCursorChar(this.inputLine, this.inputLine.length, this.cursor);
      } else {
        if (isBackspace) this.board.write('\x08');
        this.printUntilEol(this.inputLine, this.cursor, true);
      }
    }
  }

  private handleHome(): void {
    while (this.cursor > 0 && this.inputLine[this.cursor - 1] !== '\n') {
      if (this.showInputLine()) this.board.write('\x08');
      this.cursor--;
    }
  }

  private handleEnd(): void {
    while (this.cursor < this.inputLine.length && this.inputLine[this.cursor] !== '\n') {
      if (this.showInputLine()) this.board.write(this.inputLine[this.cursor]);
      this.cursor++;
    }
  }

  private handlePageUpDown(down: boolean): void {
    const [y, x] = this.lineAndCol(this.inputLine, this.cursor);
    this.cursor = down ? this.inputLine.length : 0;
    const [newY, newX] = this.lineAndCol(this.inputLine, this.cursor);
    this.moveCursor(x, y, newX, newY);
  }

  private handleMoveUpDown(direction: number): void {
    const lines = this.inputLine.split('\n');
    const [y, x] = this.lineAndCol(this.inputLine, this.cursor);
    let newY = Math.min(lines.length, Math.max(1, y + direction));
    const newX = Math.min(x, lines[newY - 1].length + 1);
    let pos = 0;
    for (let i = 0; i < newY - 1; i++) pos += lines[i].length + 1;
    this.cursor = pos + newX - 1;
    [newY] = this.lineAndCol(this.inputLine, this.cursor);
    if (this.showInputLine()) this.moveCursor(x, y, newX, newY);
  }

  private atEndOfInputLine(): boolean {
    return /^\s*$/.test(this.inputLine.slice(this.cursor));
  }

  private appendToInputLine(str: string): void {
    this.aboutToEdit();
    if (this.cursor >= this.inputLine.length) {
      this.inputLine += str;
    } else {
      this.inputLine = this.inputLine.slice(0, this.cursor) + str + this.inputLine.slice(this.cursor);
      if (this.showInputLine()) this.printUntilEol(this.inputLine, this.cursor, true);
    }
    this.cursor += str.length;
    if (this.showInputLine()) this.print(str);
  }

  /** jsiCountBracketsInInput, on Espruino's tokens: an unfinished string runs at once (to fail), an unfinished comment or template waits. */
  private countBrackets(): number {
    const s = this.inputLine;
    let brackets = 0;
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (c === '/' && s[i + 1] === '/') {
        const nl = s.indexOf('\n', i);
        i = nl < 0 ? s.length : nl;
      } else if (c === '/' && s[i + 1] === '*') {
        const end = s.indexOf('*/', i + 2);
        if (end < 0) return 1000;
        i = end + 2;
      } else if (c === '"' || c === "'" || c === '`') {
        let j = i + 1;
        while (j < s.length && s[j] !== c) {
          if (s[j] === '\\') j++;
          else if (c !== '`' && s[j] === '\n') break;
          j++;
        }
        if (j >= s.length || s[j] !== c) return c === '`' ? 1000 : 0;
        i = j + 1;
      } else {
        if (c === '{' || c === '[' || c === '(') brackets++;
        if (c === '}' || c === ']' || c === ')') brackets--;
        if (brackets < 0) break;
        i++;
      }
    }
    return brackets;
  }

  private handleNewLine(execute: boolean): void {
    if (this.atEndOfInputLine()) {
      if (execute && this.countBrackets() <= 0) {
        if (this.showInputLine()) this.print('\n');
        if (!this.echoOffForLine) this.inputLineRemoved = true;
        const line = this.inputLine.replace(/\s+$/, '');
        this.clearInputLine(false);
        if (this.inDebugger) {
          this.historyAdd(line);
          this.board.debuggerLine(line);
        } else {
          this.running = line;
          const result = this.board.runLine(line);
          this.running = '';
          const isEmpty = line.length === 0;
          if (!isEmpty && this.echo()) this.historyAdd(line);
          this.lineNumberOffset = 0;
          if (this.echo() && result !== null && !isEmpty) this.print('=' + result + '\n');
        }
        this.board.checkErrors();
        this.echoOffForLine = false;
      } else {
        if (this.showInputLine()) this.print('\n:');
        this.aboutToEdit();
        this.inputLine += '\n';
        this.cursor++;
      }
    } else {
      this.aboutToEdit();
      if (this.showInputLine()) this.board.write('\x1b[J');
      this.inputLine = this.inputLine.slice(0, this.cursor) + '\n' + this.inputLine.slice(this.cursor);
      if (this.showInputLine()) {
        this.printWithNewLineChar(this.inputLine, this.cursor, ':');
        this.moveCursorChar(this.inputLine, this.inputLine.length, this.cursor + 1);
      }
      this.cursor++;
    }
  }

  /** jsiHandleChar: one byte from the host. (Ctrl-C never gets here: the USB interrupt takes it.) */
  handleChar(code: number): void {
    const ch = String.fromCharCode(code);
    if (code === 0) {
      this.state = InputState.None;
    } else if (code === 1) {
      this.handleHome();
    } else if (code === 4) {
      this.handleDelete(false);
    } else if (code === 5) {
      this.handleEnd();
    } else if (code === 21 || code === 23) {
      this.clearInputLine(true);
    } else if (code === 27) {
      this.state = InputState.Had27;
    } else if (this.state === InputState.Had27) {
      this.state = InputState.None;
      if (code === 79) this.state = InputState.Had27_79;
      else if (code === 91) this.state = InputState.Had27_91;
      else if (code === 10) this.handleNewLine(false);
    } else if (this.state === InputState.Had27_79) {
      this.state = InputState.None;
      if (code === 70) this.handleEnd();
      else if (code === 72) this.handleHome();
      else if (code === 111) this.handleChar(47);
      else if (code === 106) this.handleChar(42);
      else if (code === 109) this.handleChar(45);
      else if (code === 107) this.handleChar(43);
      else if (code === 77) this.handleChar(13);
    } else if (this.state === InputState.Had27_91) {
      this.state = InputState.None;
      if (code >= 48 && code <= 57) {
        this.stateNumber = code - 48;
        this.state = InputState.Had27_91_Number;
      } else if (code === 68) {
        if (this.cursor > 0 && this.inputLine[this.cursor - 1] !== '\n') {
          this.cursor--;
          if (this.showInputLine()) this.board.write('\x1b[D');
        }
      } else if (code === 67) {
        if (this.cursor < this.inputLine.length && this.inputLine[this.cursor] !== '\n') {
          this.cursor++;
          if (this.showInputLine()) this.board.write('\x1b[C');
        }
      } else if (code === 65 || code === 66) {
        const l = this.inputLine.length;
        const inHistory = this.historyList().includes(this.inputLine);
        if ((l === 0 || inHistory) && this.cursor === l) this.changeToHistory(code === 65);
        else this.handleMoveUpDown(code === 65 ? -1 : 1);
      } else if (code === 70) this.handleEnd();
      else if (code === 72) this.handleHome();
    } else if (this.state === InputState.Had27_91_Number) {
      if (code >= 48 && code <= 57) {
        this.stateNumber = (10 * this.stateNumber + code - 48) & 0xffff;
      } else {
        if (ch === 'd') this.lineNumberOffset = this.stateNumber;
        else if (ch === 'H') {
          if (this.stateNumber === 2) this.clearInputLine(true);
        } else if (code === 126) {
          if (this.stateNumber === 1) this.handleHome();
          else if (this.stateNumber === 3) this.handleDelete(false);
          else if (this.stateNumber === 4) this.handleEnd();
          else if (this.stateNumber === 5) this.handlePageUpDown(false);
          else if (this.stateNumber === 6) this.handlePageUpDown(true);
        }
        this.state = InputState.None;
      }
    } else if (code === 16 && this.inputLine.length === 0) {
      // DLE at the start of a line: run just this line without echo.
      this.echoOffForLine = true;
    } else {
      this.state = InputState.None;
      if (code === 8 || code === 127) {
        this.handleDelete(true);
      } else if (code === 13 || code === 10) {
        // As in the source, `\n` after `\r` is not skipped: it ends an empty line (which prints nothing).
        if (code === 13) this.state = InputState.HadR;
        this.handleNewLine(true);
      } else if (code === 9 && this.echo()) {
        // tab completion: not modelled
      } else if (code >= 32 || code === 9) {
        this.appendToInputLine(code === 9 ? '    ' : ch);
      }
    }
  }
}

/** jslPrintTokenLineMarker: the line (at most 60 characters around the column) and a `^` under the column. */
export function lineMarker(source: string, line: number, column: number): string {
  const lines = source.split('\n');
  let text = lines[line - 1] ?? '';
  let col = column;
  let prefix = '';
  if (text.length > 60 && col - 1 > 30) {
    const skip = col - 1 - 30;
    prefix = '...';
    text = text.slice(skip + 3);
    col = Math.max(0, col - skip);
  }
  let shown = prefix + text.slice(0, 60);
  if (text.length > 60) shown += '...';
  return shown + '\n' + ' '.repeat(Math.max(0, col - 1)) + '^\n';
}
