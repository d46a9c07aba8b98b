// Number formats of the page, apart from the page's script so that tests can import them.

/**
 * An epoch count as an axis label: 950, 9500, then 12k, 12.5k, 1.2M. `incr` (the step between
 * ticks) decides the decimals, so that neighbouring labels differ; `top` (the largest label on the
 * axis) decides the unit, so that one axis counts in one unit.
 */
export function compactNumber(v: number, incr: number, top = Math.abs(v)): string {
  const big = Math.max(Math.abs(v), Math.abs(top));
  const [unit, suffix] = big >= 1e9 ? [1e9, 'G'] : big >= 1e6 ? [1e6, 'M'] : big >= 1e4 ? [1e3, 'k'] : [1, ''];
  const step = Math.abs(incr) / unit;
  let decimals = 0;
  if (step > 0 && isFinite(step)) while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6 * 10 ** decimals) decimals++;
  let text = (v / unit).toFixed(decimals);
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-0$/.test(text)) text = '0';
  return text === '0' ? text : text + suffix;
}

/** NaN (no value) and, on a log axis, values ≤ 0 become gaps (null) in a chart's column. */
export function gaps(col: number[], log: boolean): (number | null)[] {
  const out = new Array<number | null>(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    out[i] = v === v && (!log || v > 0) ? v : null;
  }
  return out;
}
