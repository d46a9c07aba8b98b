// Fixed-capacity Float32 storage for samples × features, allocated once. The board keeps one for
// its whole life (1,024 samples × 8 features = 36 KB of its 180 KB heap); the desktop sizes one to
// the file it reads. Rows are packed: sample i's features are x[i·features … i·features+features-1].
// Files and the host hold "packed rows", [x1..xF, y] per sample; the wire carries the value stream
// of x then y (shared/wire.ts), which `write` stores with native copies.

export const MAX_FEATURES = 8;

export class Dataset {
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** Samples stored. */
  n = 0;
  features = 1;
  /** Values of the wire stream received since `begin` (features of every sample, then every y). */
  received = 0;
  /** Samples announced by `begin`; -1 before any. */
  expected = -1;

  readonly maxFeatures: number;

  /** `maxFeatures`: MAX_FEATURES when absent (no default parameter: Espruino has none). */
  constructor(
    readonly capacity: number,
    maxFeatures?: number,
  ) {
    this.maxFeatures = maxFeatures || MAX_FEATURES;
    this.x = new Float32Array(capacity * this.maxFeatures);
    this.y = new Float32Array(capacity);
  }

  /** Empties the dataset and fixes the feature count for the rows that follow. */
  reset(features: number): void {
    if (!(features >= 1 && features <= this.maxFeatures && Math.floor(features) === features)) {
      throw new RangeError('features must be a whole number from 1 to ' + this.maxFeatures + ', got ' + features);
    }
    this.n = 0;
    this.features = features;
    this.expected = -1;
    this.received = 0;
  }

  /** Empties the dataset for an upload of `samples` rows of `features`; n stays 0 until complete. */
  begin(samples: number, features: number): void {
    this.reset(features);
    if (!(samples >= 1 && samples <= this.capacity && Math.floor(samples) === samples)) {
      throw new RangeError('the board holds 1 to ' + this.capacity + ' samples, got ' + samples);
    }
    this.expected = samples;
    this.received = 0;
  }

  /** True once every value announced by `begin` has arrived; n is then the sample count. */
  get complete(): boolean {
    return this.expected > 0 && this.n === this.expected;
  }

  /**
   * Stores the next values of the wire stream; returns the values received so far. Two native copies
   * at most (x, then y), whatever the chunk's size: on the board a loop would cost tens of µs a value.
   */
  write(src: Float32Array): number {
    const xs = this.expected * this.features;
    const total = xs + this.expected;
    const at = this.received;
    const count = src.length;
    if (this.expected < 0 || at + count > total) throw new RangeError('more values than announced (' + total + ')');
    const inX = at < xs ? Math.min(count, xs - at) : 0;
    if (inX > 0) this.x.set(inX === count ? src : src.subarray(0, inX), at);
    if (inX < count) this.y.set(inX === 0 ? src : src.subarray(inX), at + inX - xs);
    this.received = at + count;
    if (this.received === total) this.n = this.expected;
    return this.received;
  }
}

// The host's side of a dataset, as functions rather than methods so that the board's bundle leaves
// them out: files hold packed rows, [x1..xF, y] per sample.

/** Appends `count` packed values from `src` at `offset`; returns the samples appended. */
export function appendPacked(ds: Dataset, src: Float32Array, offset: number, count: number): number {
  const f = ds.features;
  const stride = f + 1;
  if (count % stride !== 0) throw new RangeError(count + ' values do not make whole rows of ' + stride);
  const rows = count / stride;
  if (ds.n + rows > ds.capacity) throw new RangeError('dataset full: capacity is ' + ds.capacity + ' samples');
  for (let r = 0; r < rows; r++) {
    const base = offset + r * stride;
    const xi = (ds.n + r) * f;
    for (let j = 0; j < f; j++) ds.x[xi + j] = src[base + j];
    ds.y[ds.n + r] = src[base + f];
  }
  ds.n += rows;
  return rows;
}

/** The packed rows of a dataset (a fresh array): all of them, or the samples `rows` in that order (a shard). */
export function packedRows(ds: Dataset, rows?: ArrayLike<number>): Float32Array {
  const f = ds.features;
  const n = rows ? rows.length : ds.n;
  const out = new Float32Array(n * (f + 1));
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    for (let j = 0; j < f; j++) out[k * (f + 1) + j] = ds.x[i * f + j];
    out[k * (f + 1) + f] = ds.y[i];
  }
  return out;
}

/** A dataset holding exactly the given packed rows. */
export function datasetFromPacked(packed: Float32Array, features: number): Dataset {
  const ds = new Dataset(packed.length / (features + 1), features);
  ds.reset(features);
  appendPacked(ds, packed, 0, packed.length);
  return ds;
}
