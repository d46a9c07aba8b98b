// Float32 rounding, one definition for every runtime. torch keeps parameters in float32, so each
// stored value is rounded once to the nearest float32 (ties to even). Math.fround does that where the
// runtime has it (V8, QuickJS, Kaluma's JerryScript); Espruino has no Math.fround, but its
// Float32Array stores round exactly as IEEE does (runtime-facts.md), so a store into a one-element
// array and a load back gives the same bits there. test/engine/f32.test.ts checks the two agree.

/** Math as a runtime may have it: Espruino's has no fround, which is what the lookup below tests. */
const M: { fround?: (x: number) => number } = Math;

let throughArray: ((x: number) => number) | null = null;

/** Rounding through a Float32Array: what Espruino uses (exported for the test that compares it with Math.fround). */
export function roundThroughArray(): (x: number) => number {
  if (throughArray === null) {
    const a = new Float32Array(1);
    throughArray = function (x: number): number {
      a[0] = x;
      return a[0];
    };
  }
  return throughArray;
}

/**
 * This runtime's float32 rounding, looked up at each call (kernels ask once per run, so that a
 * test can make Math.fround the identity and compare arithmetic in pure double).
 */
export function f32Rounding(): (x: number) => number {
  return M.fround || roundThroughArray();
}

/** The rounding for code outside the kernels, fixed when the engine loads. */
export const fround: (x: number) => number = f32Rounding();
