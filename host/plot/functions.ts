// The walk functions as the figures need them: a value, a dimension, a formula and a range to draw.
// The definitions are the engine's (shared/walks.ts); this is the one place the figures and the web
// page read them from. No Node APIs here: the web page bundles this file.

import { WALK_FUNCTIONS } from '../../shared/walks.ts';

export interface PlotFunction {
  name: string;
  dims: 1 | 2;
  formula: string;
  /** f(x) for 1-D functions (y is ignored), f(x, y) for 2-D ones. */
  f(x: number, y: number): number;
  /** Where the figure looks: [[xmin, xmax]] or [[xmin, xmax], [ymin, ymax]]. */
  range: [number, number][];
  minimum: number[];
}

/** The function a walk record names, or null when the engine does not know it. */
export function findFunction(name: string): PlotFunction | null {
  const fn = Object.prototype.hasOwnProperty.call(WALK_FUNCTIONS, name) ? WALK_FUNCTIONS[name] : undefined;
  if (!fn) return null;
  return { name: fn.name, dims: fn.dims, formula: fn.formula, f: fn.f, range: fn.range.map((r) => [r[0], r[1]] as [number, number]), minimum: fn.minimum };
}

export const FUNCTION_NAMES: string[] = Object.keys(WALK_FUNCTIONS);
