// Reading a dataset from CSV: the one gate every byte of user data passes before it reaches the
// engine or the board. Everything is checked here, and every refusal names file:line:column and
// what to change, so that no bad value is ever trained on or sent.
//
// Format: an optional header line; then rows of decimal numbers, the last column y and the others
// features (1 to MAX_FEATURES). Delimiter: comma, semicolon or tab, detected from the first line.
// CRLF, lone CR and a UTF-8 BOM are accepted; blank lines before the first row and after the last
// are ignored.
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { CsvError } from 'csv-parse';
import { MAX_FEATURES } from '../shared/dataset.ts';
import { UserError } from './errors.ts';

/** `host run`'s limit: generous for a desktop, yet bounded (36 MB of float32 at 8 features). */
export const DESKTOP_CAPACITY = 1_000_000;

/** Text files above this are refused before reading (V8 strings stop near 512 M characters). */
const MAX_FILE_BYTES = 400 * 1024 * 1024;

export interface CsvDataset {
  /** [x1..xF, y] per sample, float32: the same layout the wire and Dataset.fromPacked use. */
  packed: Float32Array;
  features: number;
  rows: number;
  /** Column names when the file has a header line. */
  header: string[] | null;
}

export interface ReadOptions {
  /** Most data rows accepted (default DESKTOP_CAPACITY; the board's comes from its hello record). */
  capacity?: number;
  /** Where the capacity comes from, for the error message, e.g. "the board's capacity". */
  capacityNote?: string;
}

/** Bad data in a CSV file. `line` and `column` are 1-based; both 0 when the problem is the file as a whole. */
export class DataError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}:${column}: ${problem}` : `${file}: ${problem}`);
    this.name = 'DataError';
  }
}

// Optional sign, digits with an optional fraction (".5" and "5." included), optional exponent.
// Nothing else: no NaN, Infinity, hex, thousands separators or decimal commas.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;
const INFINITY = /^[+-]?(?:inf|infinity)$/i;
const HEX = /^[+-]?0[xX][0-9a-fA-F]+$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;
// Digits grouped in threes: 1,000 / 12,345.5 (comma), 1 000 (space), 1'000 (apostrophe), 1.000,5 (point, then a decimal comma).
const THOUSANDS_COMMA = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;
const THOUSANDS_OTHER = /^[+-]?\d{1,3}(?:(?: |\u00a0|\u202f|')\d{3})+(?:[.,]\d*)?$/;
const THOUSANDS_POINT = /^[+-]?\d{1,3}(?:\.\d{3})+,\d*$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/** A strict decimal number, or null: the same rule for CSV cells and numeric CLI options. */
export function parseDecimal(s: string): number | null {
  const t = s.trim();
  if (!DECIMAL.test(t)) return null;
  const v = Number(t);
  return isFinite(v) ? v : null;
}

const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

function delimiterName(d: string): string {
  return `${DELIMITER_NAMES[d]} (${d === '\t' ? '\\t' : d})`;
}

/** A cell quoted for a message: short, and with control characters (ANSI included) escaped. */
export function quoteCell(s: string, max = 24): string {
  const chars = Array.from(s);
  const cut = chars.length > max ? chars.slice(0, max).join('') + '…' : s;
  return JSON.stringify(cut);
}

function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

/** Counts of each candidate delimiter outside double quotes in one line. */
function countDelimiters(line: string): Record<string, number> {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch]++;
  }
  return counts;
}

/**
 * Tab, then semicolon, then comma: a file that has semicolons or tabs on its first line uses them
 * as delimiters (commas then are decimal commas, which get their own message).
 */
function detectDelimiter(line: string): string | null {
  const c = countDelimiters(line);
  if (c['\t'] > 0) return '\t';
  if (c[';'] > 0) return ';';
  if (c[','] > 0) return ',';
  return null;
}

/** 1-based column of field `index` in `line` (its first non-blank character), quote-aware. */
function fieldColumn(line: string, delimiter: string, index: number): number {
  let field = 0;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < line.length && field < index; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === delimiter) {
      field++;
      start = i + 1;
    }
  }
  if (field < index) return line.length + 1;
  while (start < line.length && (line[start] === ' ' || (line[start] === '\t' && delimiter !== '\t'))) start++;
  return start + 1;
}

type Cell = { value: number } | { problem: string };

/** Checks one cell; the problem text says what is wrong and what to write instead. */
function readCell(raw: string, delimiter: string): Cell {
  const s = raw.trim();
  if (s === '') return { problem: 'empty cell; every column needs a number (fill it in or remove the row)' };
  if (DECIMAL.test(s)) {
    const v = Number(s);
    if (!isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
      return { problem: `${quoteCell(s)} is too large for float32 (the largest is ±3.4028235e38); rescale this column` };
    }
    return { value: v };
  }
  if (NAN.test(s)) return { problem: `${quoteCell(s)} is not allowed: every value must be a finite number (fill in the value or remove the row)` };
  if (INFINITY.test(s)) return { problem: `${quoteCell(s)} is not allowed: every value must be a finite number` };
  if (HEX.test(s)) {
    const magnitude = parseInt(s.replace(/^[+-]?0[xX]/, ''), 16);
    const value = s.startsWith('-') ? -magnitude : magnitude;
    return { problem: `${quoteCell(s)} is hexadecimal; write numbers in decimal (${s} is ${value})` };
  }
  if (THOUSANDS_POINT.test(s)) {
    return { problem: `${quoteCell(s)} has a thousands separator (.) and a decimal comma; write ${s.replace(/\./g, '').replace(',', '.')}: no separator, a point for the decimals` };
  }
  // One comma and three digits after it (1,000) can be either; a comma-separated file (where such a
  // cell must be quoted) more likely means thousands, a semicolon or tab one a decimal comma.
  const thousands = THOUSANDS_COMMA.test(s);
  if (DECIMAL_COMMA.test(s) && !(thousands && delimiter === ',')) {
    const orThousands = thousands ? ` (or ${s.replace(',', '')} if the comma separates thousands)` : '';
    return {
      problem:
        `${quoteCell(s)} has a decimal comma; write ${s.replace(',', '.')} with a point${orThousands}, or export the file with a point as the decimal separator ` +
        `(the delimiter here is ${delimiterName(delimiter)})`,
    };
  }
  if (thousands) {
    const ifDecimal = DECIMAL_COMMA.test(s) ? ` (or ${s.replace(',', '.')} if the comma is a decimal comma)` : '';
    return { problem: `${quoteCell(s)} has a thousands separator; write ${s.replace(/,/g, '')} without it${ifDecimal}` };
  }
  if (THOUSANDS_OTHER.test(s)) {
    return { problem: `${quoteCell(s)} is not a number: it has a thousands separator; write ${s.replace(/[ \u00a0\u202f']/g, '').replace(',', '.')} without it` };
  }
  return { problem: `${quoteCell(s)} is not a number; write a decimal number such as 2, -0.5 or 1e-3` };
}

/**
 * A cell that, in the first row, means "a bad data value" rather than "a column name": numbers,
 * and numbers written with a decimal comma or a thousands separator, which get their own message.
 */
function looksNumeric(s: string): boolean {
  const t = s.trim();
  return DECIMAL.test(t) || NAN.test(t) || INFINITY.test(t) || HEX.test(t) || DECIMAL_COMMA.test(t) || THOUSANDS_COMMA.test(t) || THOUSANDS_POINT.test(t) || THOUSANDS_OTHER.test(t);
}

/** Float32 storage that doubles as rows arrive, so a million-row file never lives as JS numbers. */
class GrowingFloats {
  data = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  toArray(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Parses and validates CSV text (already decoded). Throws DataError on the first problem.
 * `fileName` is used only in messages.
 */
export function parseCsvText(text: string, fileName: string, capacity: number = DESKTOP_CAPACITY, capacityNote = ''): CsvDataset {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // One line ending from here on, so that csv-parse's line count is the editor's line number.
  text = text.replace(/\r\n?/g, '\n');

  let lines: string[] | null = null;
  const lineText = (n: number): string => {
    if (lines === null) lines = text.split('\n');
    return lines[n - 1] ?? '';
  };
  const fail = (line: number, column: number, problem: string): never => {
    throw new DataError(fileName, line, column, problem);
  };

  if (text.trim() === '') fail(1, 1, 'the file is empty; expected rows of numbers such as "1,2" (features first, y last), optionally below a header line');
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const before = text.slice(0, nul);
    const line = before.split('\n').length;
    fail(line, nul - before.lastIndexOf('\n'), 'contains a NUL byte: this is a binary file, not CSV text; export the data as CSV');
  }

  const firstChar = text.search(/\S/);
  const firstLineNumber = text.slice(0, firstChar).split('\n').length;
  const firstLine = lineText(firstLineNumber);
  const delimiter = detectDelimiter(firstLine);
  if (delimiter === null) {
    fail(
      firstLineNumber,
      1,
      `found no comma, semicolon or tab on the first line (${quoteCell(firstLine.trim(), 40)}); a dataset needs at least two columns, features then y`,
    );
  }
  const delim = delimiter as string;

  let columns = 0; // fixed by the first row
  let firstRowLine = 0;
  let header: string[] | null = null;
  let rows = 0;
  let features = 0;
  let prevEnd = 0; // line on which the previous record ended
  let blankLine = 0; // first blank line after data (an error if any row follows it)
  const values = new GrowingFloats();

  const onRecord = (record: string[], ctx: { lines: number }): null => {
    const line = prevEnd + 1;
    prevEnd = ctx.lines;
    const blank = (record.length === 1 || delim === '\t') && record.every((c) => c.trim() === '');
    if (blank) {
      if (columns > 0 && blankLine === 0) blankLine = line;
      return null;
    }
    if (blankLine > 0) fail(blankLine, 1, 'blank line inside the data; remove it (blank lines are allowed only at the end of the file)');

    if (columns === 0) {
      columns = record.length;
      firstRowLine = line;
      features = columns - 1;
      if (features > MAX_FEATURES) {
        fail(line, 1, `${columns} columns make ${features} features (plus y); at most ${MAX_FEATURES} features are supported, so remove ${features - MAX_FEATURES} column${features - MAX_FEATURES === 1 ? '' : 's'}`);
      }
      // A header is a first row with a name in it; "1,,3" or "1,NaN" are data with a bad cell.
      if (record.some((c) => c.trim() !== '' && !looksNumeric(c))) {
        header = record.map((c) => c.trim());
        return null;
      }
    } else if (record.length !== columns) {
      const others = Object.entries(countDelimiters(lineText(line)))
        .filter(([d, n]) => d !== delim && n > 0)
        .map(([d]) => delimiterName(d));
      const hint = others.length > 0 ? `; the delimiter is ${delimiterName(delim)}, found on line ${firstRowLine}, but this line seems to use ${others.join(' or ')}` : '';
      const column = record.length > columns ? fieldColumn(lineText(line), delim, columns) : lineText(line).length + 1;
      fail(line, column, `has ${record.length} column${record.length === 1 ? '' : 's'}, expected ${columns} as on line ${firstRowLine}${hint}`);
    }

    // A row with no number at all is a header in the wrong place (two files joined, say).
    if (header !== null || rows > 0) {
      if (record.every((c) => c.trim() !== '' && !looksNumeric(c))) {
        fail(line, 1, `${quoteCell(lineText(line).trim(), 40)} is not a row of numbers; only the first line may be a header`);
      }
    }

    if (rows >= capacity) {
      const why = capacityNote ? ` (${capacityNote})` : '';
      fail(line, 1, `too many rows: the limit is ${thousands(capacity)} samples${why}; use a smaller file`);
    }
    for (let i = 0; i < record.length; i++) {
      const cell = readCell(record[i], delim);
      if ('problem' in cell) fail(line, fieldColumn(lineText(line), delim, i), cell.problem);
      else values.push(cell.value);
    }
    rows++;
    return null;
  };

  try {
    parse(text, {
      delimiter: delim,
      record_delimiter: '\n',
      relax_column_count: true, // ragged rows get our message, with line numbers and a hint
      skip_empty_lines: false, // blank lines are counted, so line numbers stay true
      on_record: onRecord,
    });
  } catch (err) {
    if (err instanceof DataError) throw err;
    if (err instanceof CsvError) {
      // A misplaced or unclosed quote: the only way csv-parse itself refuses numbers-only text.
      const unclosed = err.code === 'CSV_QUOTE_NOT_CLOSED';
      const line = unclosed ? prevEnd + 1 : Number((err as unknown as { lines?: number }).lines) || prevEnd + 1;
      const text = lineText(line);
      const quoteAt = text.indexOf('"');
      if (unclosed) fail(line, quoteAt + 1 || 1, 'a quote (") is opened and never closed; numbers need no quotes, so remove it');
      // The cell around the misplaced quote, as the user wrote it.
      const start = text.lastIndexOf(delim, quoteAt) + 1;
      const end = text.indexOf(delim, quoteAt);
      const cell = text.slice(start, end < 0 ? text.length : end).trim();
      fail(line, fieldColumn(text, delim, text.slice(0, start).split(delim).length - 1), `${quoteCell(cell)} is not a number (it has a quote inside); write a decimal number such as 2, -0.5 or 1e-3`);
    }
    throw err;
  }

  if (columns === 0) fail(1, 1, 'the file is empty; expected rows of numbers such as "1,2"');
  if (columns < 2) fail(firstRowLine, 1, 'only one column; a dataset needs at least one feature column and a y column (the last)');
  if (rows === 0) {
    fail(firstRowLine, 1, `has a header (${quoteCell((header ?? []).join(','), 40)}) but no data rows; add rows of numbers below it`);
  }
  return { packed: values.toArray(), features, rows, header };
}

/** Decodes file bytes as UTF-8, refusing UTF-16 and invalid bytes with their position. */
function decode(bytes: Uint8Array, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new DataError(file, 1, 1, 'is UTF-16 text; save it as UTF-8 CSV ("CSV UTF-8" in spreadsheet programs)');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes);
    const at = text.indexOf('\ufffd');
    const before = text.slice(0, at);
    const line = before.split(/\r\n?|\n/).length;
    const column = at - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
    throw new DataError(file, line, column, 'is not valid UTF-8 text; save the file as UTF-8 CSV');
  }
}

/** Reads and validates a CSV dataset from disk. */
export function readDataset(file: string, opts: ReadOptions = {}): CsvDataset {
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new DataError(file, 0, 0, 'is a directory; give the path of a .csv file');
    if (st.size > MAX_FILE_BYTES) throw new DataError(file, 0, 0, `is ${Math.round(st.size / 1e6)} MB; the largest CSV file accepted is ${MAX_FILE_BYTES / 1024 / 1024} MB`);
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, 0, 0, 'no such file; check the path');
    if (code === 'EACCES' || code === 'EPERM') throw new DataError(file, 0, 0, 'permission denied; check that the file is readable');
    throw new DataError(file, 0, 0, `cannot be read: ${(err as Error).message}`);
  }
  return parseCsvText(decode(bytes, file), file, opts.capacity ?? DESKTOP_CAPACITY, opts.capacityNote ?? '');
}
