// TensorFlow.js as a contender: @tensorflow/tfjs on its pure-JavaScript CPU backend (no tfjs-node,
// no native code), training the same linear regression the idiomatic way: variables for w and b,
// tf.train.sgd, optimizer.minimize on the mean squared error, and the epoch's loss read back with
// dataSync(). The data tensors are made once, outside the timed runs, as the engine's Dataset is.
import type { Dataset } from '../../shared/dataset.ts';
import type { Job } from './engine.ts';

type Tf = typeof import('@tensorflow/tfjs');

let loaded: Promise<Tf> | null = null;

/** Loads TF.js once, on the CPU backend, in production mode (no debug checks, no console nag). */
export function loadTf(): Promise<Tf> {
  if (!loaded) {
    loaded = (async () => {
      const tf = await import('@tensorflow/tfjs');
      tf.enableProdMode();
      await tf.setBackend('cpu');
      await tf.ready();
      return tf;
    })();
  }
  return loaded;
}

export interface TfData {
  X: import('@tensorflow/tfjs').Tensor2D;
  Y: import('@tensorflow/tfjs').Tensor2D;
  xRows: import('@tensorflow/tfjs').Tensor2D[];
  yRows: import('@tensorflow/tfjs').Tensor2D[];
  n: number;
  f: number;
  dispose(): void;
}

export function tfData(tf: Tf, ds: Dataset, perSample: boolean): TfData {
  const n = ds.n;
  const f = ds.features;
  const X = tf.tensor2d(ds.x.subarray(0, n * f), [n, f]);
  const Y = tf.tensor2d(ds.y.subarray(0, n), [n, 1]);
  const xRows: TfData['xRows'] = [];
  const yRows: TfData['yRows'] = [];
  if (perSample) {
    for (let i = 0; i < n; i++) {
      xRows.push(tf.tensor2d(ds.x.subarray(i * f, i * f + f), [1, f]));
      yRows.push(tf.tensor2d(ds.y.subarray(i, i + 1), [1, 1]));
    }
  }
  return {
    X,
    Y,
    xRows,
    yRows,
    n,
    f,
    dispose() {
      tf.dispose([X, Y, ...xRows, ...yRows]);
    },
  };
}

export interface TfResult {
  w: number[];
  b: number;
  loss: number;
}

/** Trains `epochs` epochs from w = 1, b = 0; returns the final parameters and loss. */
export function tfTrain(tf: Tf, d: TfData, job: Job, epochs: number): TfResult {
  const w = tf.variable(tf.ones([d.f, 1]));
  const b = tf.variable(tf.scalar(0));
  const opt = tf.train.sgd(job.lr);
  const predict = (x: import('@tensorflow/tfjs').Tensor2D) => x.matMul(w).add(b);
  let loss = NaN;
  for (let e = 0; e < epochs; e++) {
    if (job.batch === 1) {
      for (let i = 0; i < d.n; i++) {
        opt.minimize(() => tf.losses.meanSquaredError(d.yRows[i], predict(d.xRows[i])) as import('@tensorflow/tfjs').Scalar);
      }
    } else {
      opt.minimize(() => tf.losses.meanSquaredError(d.Y, predict(d.X)) as import('@tensorflow/tfjs').Scalar);
    }
    // The epoch's record: the training loss at the epoch's final parameters.
    const t = tf.tidy(() => tf.losses.meanSquaredError(d.Y, predict(d.X)));
    loss = t.dataSync()[0];
    t.dispose();
  }
  const result = { w: Array.from(w.dataSync()), b: b.dataSync()[0], loss };
  opt.dispose();
  tf.dispose([w, b]);
  return result;
}
