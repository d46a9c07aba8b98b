// Plain aligned columns for the terminal: the tables of compare, ports, the bench and the monitor's
// line per board.

/**
 * The rows (the first is usually the head) as lines of columns two spaces apart, each as wide as
 * its widest cell; `right` columns aligned right; `rule`: a line of dashes under the first row.
 */
export function alignColumns(rows: readonly string[][], right: readonly boolean[] = [], rule = false): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const out = rows.map(line);
  if (rule) out.splice(1, 0, line(widths.map((w) => '-'.repeat(w))));
  return out;
}
