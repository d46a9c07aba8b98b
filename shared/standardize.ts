// Standardization: the model trains on z = (x − mean) / scale, fitted on the training split, and
// reports its parameters in the data's own units. It is a change of coordinates, not a copy of the
// data (a 180 KB board has no room for one): kernels compute z from x as they read a sample, and
// the parameters in data units are θ's image:
//   wⱼ = θⱼ / scaleⱼ,   b = θ_b − Σ wⱼ·meanⱼ
// Without a bias the model cannot absorb a shift, so the features are only scaled (by their root
// mean square). Without standardization mean is 0 and scale 1, and z is x.
import { fround } from './f32.ts';
import { engineSqrt } from './sqrt.ts';

export interface Standardization {
  mean: Float64Array;
  scale: Float64Array;
}

/** Identity: mean 0, scale 1 for f features. */
export function identityStandardization(f: number): Standardization {
  return { mean: new Float64Array(f), scale: new Float64Array(f).fill(1) };
}

/** Fits mean and scale of each feature on the training samples trainIdx[0..nt). */
export function fitStandardization(s: Standardization, x: Float32Array, f: number, trainIdx: Uint32Array, nt: number, bias: boolean): void {
  for (let j = 0; j < f; j++) {
    let m = 0;
    if (bias) {
      for (let k = 0; k < nt; k++) m += x[trainIdx[k] * f + j];
      m /= nt;
    }
    let v = 0;
    for (let k = 0; k < nt; k++) {
      const d = x[trainIdx[k] * f + j] - m;
      v += d * d;
    }
    const rms = engineSqrt()(v / nt);
    s.mean[j] = m;
    s.scale[j] = rms > 0 ? rms : 1;
  }
}

/** θ from parameters in data units: θⱼ = wⱼ·scaleⱼ, θ_b = b + Σ wⱼ·meanⱼ. */
export function toTheta(s: Standardization, f: number, params: Float32Array, theta: Float32Array): void {
  let b = params[f];
  for (let j = 0; j < f; j++) {
    theta[j] = fround(params[j] * s.scale[j]);
    b += params[j] * s.mean[j];
  }
  theta[f] = fround(b);
}

/** Parameters in data units from θ (the inverse of toTheta, each rounded once to float32). */
export function fromTheta(s: Standardization, f: number, theta: Float32Array, params: Float32Array, bias: boolean): void {
  let b = theta[f];
  for (let j = 0; j < f; j++) {
    const w = theta[j] / s.scale[j];
    params[j] = fround(w);
    b -= w * s.mean[j];
  }
  params[f] = bias ? fround(b) : 0;
}
