// The algorithms' rules alone, as pure functions over explicit state: the properties the sheet
// lists (../shared/distributed-sgd.md §6) for any input, by property testing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adaRevisionUpdate, initAdaRevision } from '../../shared/parallel/adarevision.ts';
import { centerAdd, centerRound, elasticMove } from '../../shared/parallel/easgd.ts';
import { hogwildStore } from '../../shared/parallel/hogwild.ts';
import { paperAdagrad } from '../../shared/parallel/server-optimizer.ts';

const f32 = fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }).map(Math.fround);
const vec = (n: number) => fc.array(f32, { minLength: n, maxLength: n });
const tol = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * (1 + Math.abs(a) + Math.abs(b));

describe('AdaRevision', () => {
  it("keeps z′ ≥ z and never raises a coordinate's rate, whatever the delays", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(vec(3), fc.nat(6)), { minLength: 1, maxLength: 40 }), (steps) => {
        const s = initAdaRevision(new Float32Array(3));
        const history: Float32Array[] = [s.gbar.slice()];
        let lastRate = [Infinity, Infinity, Infinity];
        for (const [g, delay] of steps) {
          // A gradient read `delay` updates ago: its ḡ_old is the ḡ of then.
          const old = history[Math.max(0, history.length - 1 - delay)];
          adaRevisionUpdate(s, Float64Array.from(g), old, 3, 0.5);
          history.push(s.gbar.slice());
          for (let i = 0; i < 3; i++) {
            expect(s.zmax[i]).toBeGreaterThanOrEqual(s.z[i]);
            const rate = s.zmax[i] > 0 ? 0.5 / Math.sqrt(s.zmax[i]) : Infinity;
            expect(rate).toBeLessThanOrEqual(lastRate[i]);
            lastRate[i] = rate;
          }
        }
      }),
    );
  });

  it("without delays is the paper's AdaGrad, bit for bit, on any gradients", () => {
    fc.assert(
      fc.property(vec(3), fc.array(vec(3), { minLength: 1, maxLength: 30 }), (x0, gs) => {
        const a = initAdaRevision(Float32Array.from(x0));
        const theta = Float32Array.from(x0);
        const rule = paperAdagrad(3, 3);
        for (const g of gs) {
          adaRevisionUpdate(a, Float64Array.from(g), a.gbar.slice(), 3, 0.25);
          rule.apply(theta, Float64Array.from(g), 0.25);
          expect(Array.from(a.x)).toEqual(Array.from(theta));
        }
      }),
    );
  });
});

describe('EASGD', () => {
  it('an exchange moves −d out of the worker and +d into the center: xⁱ + x̃ is unchanged', () => {
    fc.assert(
      fc.property(vec(3), vec(3), fc.float({ min: 0, max: 1, noNaN: true }), (x, c, alpha) => {
        const xi = Float32Array.from(x);
        const center = Float32Array.from(c);
        const before = x.map((v, j) => v + c[j]);
        const d = new Float64Array(3);
        elasticMove(xi, Float32Array.from(x), Float32Array.from(c), alpha, 3, d);
        centerAdd(center, d, 3);
        for (let j = 0; j < 3; j++) expect(tol(xi[j] + center[j], before[j])).toBe(true);
      }),
    );
  });

  it('synchronous with β = αp = 1: the center becomes the mean of the workers', () => {
    fc.assert(
      fc.property(vec(3), fc.array(vec(3), { minLength: 1, maxLength: 6 }), (c, xs) => {
        const center = Float32Array.from(c);
        centerRound(center, xs.map((x) => Float32Array.from(x)), 1 / xs.length, 3, new Float64Array(3));
        for (let j = 0; j < 3; j++) expect(tol(center[j], xs.reduce((a, x) => a + x[j], 0) / xs.length)).toBe(true);
      }),
    );
  });
});

describe('Hogwild!', () => {
  it('writes only the coordinates a sample touches, and counts a store it overwrites as lost', () => {
    const theta = Float32Array.from([1, 1, 1]);
    const stores = new Uint32Array(3);
    // Processor A loads, then B loads and stores coordinate 0 and 2, then A stores 0 and 1.
    const atLoadA = stores.slice();
    const loadedA = theta.slice();
    expect(hogwildStore(theta, theta.slice(), Float64Array.from([1, 0, 1]), 3, 0.5, stores, stores.slice())).toBe(0);
    expect(Array.from(theta)).toEqual([0.5, 1, 0.5]);
    expect(hogwildStore(theta, loadedA, Float64Array.from([-1, 2, 0]), 3, 0.5, stores, atLoadA)).toBe(1);
    // A's store to 0 overwrote B's (lost); 2 keeps B's value; 1 is A's.
    expect(Array.from(theta)).toEqual([1.5, 0, 0.5]);
  });
});
