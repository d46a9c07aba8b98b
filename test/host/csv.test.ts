import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataError, DESKTOP_CAPACITY, parseCsvText, parseDecimal, readDataset } from '../../host/csv.ts';
import { UserError } from '../../host/errors.ts';

const DATA = 'test/fixtures/data/';

/** The DataError parseCsvText throws for `text`, or a failed expectation. */
function errorOf(text: string, capacity = DESKTOP_CAPACITY): DataError {
  try {
    parseCsvText(text, 'in.csv', capacity);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseCsvText: good input', () => {
  it('reads the seed data with its header, packing [x, y] rows', () => {
    const d = parseCsvText('x,y\n1,2\n2,4\n3,6\n', 'seed.csv');
    expect(d).toMatchObject({ features: 1, rows: 3, header: ['x', 'y'] });
    expect(Array.from(d.packed)).toEqual([1, 2, 2, 4, 3, 6]);
  });

  it('treats a first row of numbers as data (no header)', () => {
    const d = parseCsvText('1,2\n3,4\n', 'f.csv');
    expect(d.header).toBeNull();
    expect(d.rows).toBe(2);
  });

  it('accepts a BOM, CRLF, semicolons and trailing blank lines', () => {
    const d = parseCsvText('\ufeffa;b;y\r\n1;2;3\r\n4;5;6\r\n\r\n  \r\n', 'f.csv');
    expect(d).toMatchObject({ features: 2, rows: 2, header: ['a', 'b', 'y'] });
    expect(Array.from(d.packed)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('accepts tabs, lone CR line endings, spaces around cells and leading blank lines', () => {
    expect(Array.from(parseCsvText('\n\n x \t y\n 1\t 2 \n3\t4\n', 'f.tsv').packed)).toEqual([1, 2, 3, 4]);
    expect(Array.from(parseCsvText('1,2\r3,4\r', 'f.csv').packed)).toEqual([1, 2, 3, 4]);
  });

  it('accepts every decimal form: sign, leading or trailing point, exponent, quotes', () => {
    const d = parseCsvText('+1.5e1,-.5\n"45.",2E-3\n-0,1e+2\n', 'f.csv');
    expect(Array.from(d.packed)).toEqual([15, -0.5, 45, 0.002, -0, 100].map(Math.fround));
  });

  it('rounds values to float32, as the engine and the board store them', () => {
    const d = parseCsvText('0.1,16777217\n', 'f.csv');
    expect(d.packed[0]).toBe(Math.fround(0.1));
    expect(d.packed[1]).toBe(16777216);
  });

  it('takes 8 features, and exactly as many rows as the capacity', () => {
    const eight = parseCsvText('1,2,3,4,5,6,7,8,9\n', 'f.csv');
    expect(eight.features).toBe(8);
    expect(parseCsvText('x,y\n1,2\n3,4\n', 'f.csv', 2).rows).toBe(2);
  });

  it('reads the fixture datasets', () => {
    expect(readDataset(DATA + 'seed.csv')).toMatchObject({ features: 1, rows: 3, header: ['x', 'y'] });
    expect(readDataset(DATA + 'two-features-noisy.csv')).toMatchObject({ features: 2, rows: 40, header: ['x1', 'x2', 'y'] });
    expect(readDataset(DATA + 'houses-semicolon-crlf-bom.csv')).toMatchObject({ features: 3, rows: 24, header: ['area_m2', 'rooms', 'age_years', 'price_k'] });
    expect(readDataset(DATA + 'no-header-tab.tsv')).toMatchObject({ features: 1, rows: 10, header: null });
    expect(readDataset(DATA + 'quoted-exponent.csv')).toMatchObject({ features: 1, rows: 5, header: ['temp_c', 'resistance'] });
  });
});

describe('parseCsvText: bad input names file:line:column and what to do', () => {
  const cases: [string, string, string, string][] = [
    ['a word', 'x,y\n1,2\n2,abc\n', 'in.csv:3:3', '"abc" is not a number'],
    ['JavaScript in a cell', 'x,y\n1);process.exit(,2\n', 'in.csv:2:1', '"1);process.exit(" is not a number'],
    ['NaN', 'x,y\n1,NaN\n', 'in.csv:2:3', '"NaN" is not allowed'],
    ['Infinity', 'x,y\n-Infinity,1\n', 'in.csv:2:1', '"-Infinity" is not allowed'],
    ['hex', 'x,y\n1,-0x10\n', 'in.csv:2:3', '(-0x10 is -16)'],
    ['an empty cell', 'x,y\n,2\n', 'in.csv:2:1', 'empty cell'],
    ['float32 overflow', 'x,y\n1,-3.5e38\n', 'in.csv:2:3', 'too large for float32'],
    ['a short row', 'x,y\n1,2\n3\n', 'in.csv:3:2', 'has 1 column, expected 2 as on line 1'],
    ['a long row', 'x,y\n1,2\n3,4,5\n', 'in.csv:3:5', 'has 3 columns, expected 2 as on line 1'],
    ['another delimiter', 'x;y\n1;2\n3,4\n', 'in.csv:3:4', 'the delimiter is semicolon (;), found on line 1, but this line seems to use comma (,)'],
    ['an empty file', '', 'in.csv:1:1', 'the file is empty'],
    ['whitespace only', ' \r\n\t\n', 'in.csv:1:1', 'the file is empty'],
    ['a header only', 'x,y\n\n', 'in.csv:1:1', 'no data rows'],
    ['9 features', 'a,b,c,d,e,f,g,h,i,y\n', 'in.csv:1:1', '9 features (plus y); at most 8'],
    ['one column', 'y\n1\n', 'in.csv:1:1', 'found no comma, semicolon or tab'],
    ['a second header', 'x,y\n1,2\nx,y\n', 'in.csv:3:1', 'only the first line may be a header'],
    ['a blank line inside the data', 'x,y\n1,2\n\n3,4\n', 'in.csv:3:1', 'blank line inside the data'],
    ['a decimal comma', 'x;y\n1;2,5\n', 'in.csv:2:3', 'write 2.5'],
    ['an unclosed quote', 'x,y\n1,"2\n3,4\n', 'in.csv:2:3', 'never closed'],
    ['a quote inside a cell', 'x,y\n1,2"\n', 'in.csv:2:3', 'it has a quote inside'],
    ['a NUL byte', 'x,y\n1,\u00002\n', 'in.csv:2:3', 'NUL byte'],
    ['a first row of data with NaN (not a header)', '1,NaN\n2,3\n', 'in.csv:1:3', '"NaN" is not allowed'],
    ['a first row of data with an empty cell (not a header)', '1,,3\n', 'in.csv:1:3', 'empty cell'],
  ];
  for (const [what, text, where, fragment] of cases) {
    it(`refuses ${what}`, () => {
      const err = errorOf(text);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message.startsWith(where + ': ')).toBe(true);
      expect(err.message).toContain(fragment);
    });
  }

  it('refuses one row more than the capacity, naming it and where it comes from', () => {
    try {
      parseCsvText('x,y\n1,2\n3,4\n5,6\n', 'in.csv', 2, "the board's capacity");
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe("in.csv:4:1: too many rows: the limit is 2 samples (the board's capacity); use a smaller file");
    }
    expect(errorOf('1,2\n'.repeat(1025), 1024).message).toContain('the limit is 1,024 samples');
  });

  it('quotes a long cell truncated, with control characters escaped', () => {
    const err = errorOf(`x,y\n1,${'\u001b[31m' + 'a'.repeat(100)}\n`);
    expect(err.message).toContain('"\\u001b[31maaaaaaaaaaaaaaaaaaa…" is not a number');
    expect(err.message).not.toContain('\u001b');
  });

  it('refuses unreadable and non-UTF-8 files', () => {
    expect(() => readDataset(DATA + 'missing.csv')).toThrow(/missing\.csv: no such file/);
    expect(() => readDataset(DATA)).toThrow(/is a directory/);
    expect(() => readDataset('test/fixtures/bad/utf16.csv')).toThrow(/utf16\.csv:1:1: is UTF-16 text/);
    expect(() => readDataset('test/fixtures/bad/invalid-utf8.csv')).toThrow(/invalid-utf8\.csv:3:3: is not valid UTF-8/);
  });
});

describe('parseDecimal', () => {
  it('accepts decimal numbers only', () => {
    expect(['0', '-1.5', '+2', '.5', '5.', '1e-3', '1E+3', ' 7 '].map(parseDecimal)).toEqual([0, -1.5, 2, 0.5, 5, 0.001, 1000, 7]);
    for (const bad of ['', '1e', 'e1', 'abc', 'NaN', 'Infinity', '0x10', '1_000', '1,5', '1.2.3', '--1', '1e400', '.']) {
      expect(parseDecimal(bad), bad).toBeNull();
    }
  });
});

describe('parseCsvText: properties', () => {
  const float32 = fc.float({ noNaN: true, noDefaultInfinity: true });

  it('any float32 table round-trips exactly, whatever the delimiter, line ending or header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((f) => fc.tuple(fc.constant(f), fc.array(fc.array(float32, { minLength: f + 1, maxLength: f + 1 }), { minLength: 1, maxLength: 20 }))),
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        ([f, rows], delim, eol, withHeader) => {
          const header = withHeader ? [...Array.from({ length: f }, (_, i) => `x${i + 1}`), 'y'].join(delim) + eol : '';
          const text = header + rows.map((r) => r.map((v) => String(v)).join(delim)).join(eol) + eol;
          const d = parseCsvText(text, 'p.csv');
          expect(d.features).toBe(f);
          expect(d.rows).toBe(rows.length);
          // String(-0) is "0": compare zeros without their sign.
          expect(Array.from(d.packed, (v) => v + 0)).toEqual(rows.flat().map((v) => v + 0));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('arbitrary text is either a dataset or a DataError with a location, never another exception', () => {
    const alphabet = fc.constantFrom('1', '2', '.', '-', 'e', ',', ';', '\t', '\n', '\r', '"', ' ', 'x', 'N', '\u0000', '\ufeff');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }).map((a) => a.join('')), (text) => {
        try {
          const d = parseCsvText(text, 'p.csv');
          expect(d.rows).toBeGreaterThan(0);
          expect(d.packed.length).toBe(d.rows * (d.features + 1));
          expect(d.packed.every((v) => Number.isFinite(v))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
          expect((err as Error).message).toMatch(/^p\.csv:\d+:\d+: /);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
