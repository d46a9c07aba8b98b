// Fixed-capacity Float32 storage for samples × features, allocated once. The board keeps one for
// its whole life (1,024 samples × 8 features = 36 KB of its 180 KB heap); the desktop sizes one to
// the file it reads. Rows are packed: sample i's features are x[i·features … i·features+features-1].
// On the wire and in checksums a dataset is its "packed rows": [x1..xF, y] per sample, float32 LE.

export const MAX_FEATURES = 8;

export class Dataset {
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** Samples stored. */
  n = 0;
  features = 1;

  constructor(
    readonly capacity: number,
    readonly maxFeatures: number = MAX_FEATURES,
  ) {
    this.x = new Float32Array(capacity * maxFeatures);
    this.y = new Float32Array(capacity);
  }

  /** Empties the dataset and fixes the feature count for the rows that follow. */
  reset(features: number): void {
    if (!(features >= 1 && features <= this.maxFeatures && Math.floor(features) === features)) {
      throw new RangeError('features must be a whole number from 1 to ' + this.maxFeatures + ', got ' + features);
    }
    this.n = 0;
    this.features = features;
  }

  /**
   * Appends `count` packed values ([x1..xF, y] per sample) from `src` starting at `offset`.
   * Returns the samples appended; throws when the values do not make whole rows or exceed capacity.
   */
  appendPacked(src: Float32Array, offset: number, count: number): number {
    const stride = this.features + 1;
    if (count % stride !== 0) throw new RangeError(count + ' values do not make whole rows of ' + stride);
    const rows = count / stride;
    if (this.n + rows > this.capacity) throw new RangeError('dataset full: capacity is ' + this.capacity + ' samples');
    const f = this.features;
    for (let r = 0; r < rows; r++) {
      const base = offset + r * stride;
      const xi = (this.n + r) * f;
      for (let j = 0; j < f; j++) this.x[xi + j] = src[base + j];
      this.y[this.n + r] = src[base + f];
    }
    this.n += rows;
    return rows;
  }

  /** The packed rows, as sent over the wire (a fresh array: for the host, not the hot loop). */
  packed(): Float32Array {
    const f = this.features;
    const out = new Float32Array(this.n * (f + 1));
    for (let i = 0; i < this.n; i++) {
      for (let j = 0; j < f; j++) out[i * (f + 1) + j] = this.x[i * f + j];
      out[i * (f + 1) + f] = this.y[i];
    }
    return out;
  }

  /** A dataset holding exactly the given packed rows. */
  static fromPacked(packed: Float32Array, features: number): Dataset {
    const rows = packed.length / (features + 1);
    const ds = new Dataset(rows, features);
    ds.reset(features);
    ds.appendPacked(packed, 0, packed.length);
    return ds;
  }
}
