// The walk functions as the figures need them: a value, a dimension, a formula and a range to draw.
// The functions themselves are the engine's (shared/walks.ts); what only a picture needs lives here,
// on the host, so that the board does not carry it. This is the one place the figures and the web
// page read them from. No Node APIs here: the web page bundles this file.

import { WALK_FUNCTIONS } from '../../shared/walks.ts';

export interface PlotFunction {
  name: string;
  dims: 1 | 2;
  /** The formula as a teacher would write it. */
  formula: string;
  /** f(x) for 1-D functions (y is ignored), f(x, y) for 2-D ones. */
  f(x: number, y: number): number;
  /** Where the figure looks: [[xmin, xmax]] or [[xmin, xmax], [ymin, ymax]]. */
  range: [number, number][];
  minimum: number[];
}

const DRAWING: Record<string, { formula: string; range: [number, number][]; minimum: number[] }> = {
  quadratic: { formula: 'x² + 4x + 1', range: [[-6, 3]], minimum: [-2] },
  bowl: { formula: 'x² + y²', range: [[-3, 3], [-3, 3]], minimum: [0, 0] },
  rosenbrock: { formula: '(1 − x)² + 100(y − x²)²', range: [[-2, 2], [-1, 3]], minimum: [1, 1] },
  beale: { formula: '(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²', range: [[-4.5, 4.5], [-4.5, 4.5]], minimum: [3, 0.5] },
  saddle: { formula: 'x² − y²', range: [[-2, 2], [-2, 2]], minimum: [0, 0] },
  ravine: { formula: '0.05x² + 5y²', range: [[-10, 10], [-2.5, 2.5]], minimum: [0, 0] },
};

/** The function a walk record names, or null when the engine does not know it. */
export function findFunction(name: string): PlotFunction | null {
  const fn = Object.prototype.hasOwnProperty.call(WALK_FUNCTIONS, name) ? WALK_FUNCTIONS[name] : undefined;
  const d = Object.prototype.hasOwnProperty.call(DRAWING, name) ? DRAWING[name] : undefined;
  if (!fn || !d) return null;
  return { name, dims: fn.dims, formula: d.formula, f: fn.f, range: d.range.map((r) => [r[0], r[1]] as [number, number]), minimum: d.minimum };
}

export const FUNCTION_NAMES: string[] = Object.keys(WALK_FUNCTIONS);
