// How records leave the engine: one sink, two encodings of the same records.
// - text: float32 values as their shortest decimal (host run, run files; protocol.ts formats them);
// - bits: the board's. Float32 values cross as base64 of their little-endian bits, which a native
//   btoa makes in one call, where the decimal search costs milliseconds a value in the board's
//   interpreter. The host's parseRecord turns them back into the very same records:
//     epoch {"type":"epoch","epoch":E,"bits":B}                      B = [w…, b, loss, val_loss or NaN, lr]
//     done  {"type":"done","reason":R,"epoch":E,"bits":B[,"best_epoch":N][,"message":M]}   B = [w…, b, loss or NaN]
//     step  {"type":"step","step":S,"bits":B}                        B = [x…, f]
//     push  {"type":"push","at":V,"trained":T,"bits":B}              B = [w…, b]   (the worker role's)
import { F32_TOKEN, MAX_BITS_VALUES, formatDone, formatEpoch, formatF32, formatPush, formatStep, type DoneReason, type StartRecord, type WalkStartRecord } from './protocol.ts';

export interface RecordSink {
  start(r: StartRecord | WalkStartRecord): void;
  epoch(epoch: number, w: ArrayLike<number>, nw: number, b: number, loss: number, valLoss: number, lr: number): void;
  done(reason: DoneReason, epoch: number, w: ArrayLike<number>, nw: number, b: number, loss: number, bestEpoch: number, message: string): void;
  step(step: number, x: ArrayLike<number>, nx: number, f: number): void;
  /** The worker role's push (Trainer.pushEvery): the parameters (w…, b: n values) at sample-visit `at`, after `trained` training samples. */
  push?(at: number, trained: number, p: ArrayLike<number>, n: number): void;
  /** How a message (a done record's) writes a float32 value: see F32_TOKEN. */
  num(x: number): string;
}

/** Records as text lines: shortest decimals. */
export function textRecords(out: (line: string) => void): Required<RecordSink> {
  return {
    start: (r) => out(JSON.stringify(r)),
    epoch: (e, w, nw, b, loss, val, lr) => out(formatEpoch(e, w, nw, b, loss, val, lr)),
    done: (reason, e, w, nw, b, loss, best, message) => out(formatDone(reason, e, w, nw, b, loss, best, message)),
    step: (s, x, nx, f) => out(formatStep(s, x, nx, f)),
    push: (at, trained, p, n) => out(formatPush(at, trained, p, n)),
    num: formatF32,
  };
}

/**
 * Records with float32 bits. `encode` is base64 of bytes: Kaluma's native btoa on the board (it
 * breaks its output into lines of 72 characters, so a record's bits stay under 54 bytes: 12 values).
 * The values go through one scratch array, and the byte view of each length a run uses is made once,
 * so a record allocates only its line.
 */
export function bitsRecords(out: (line: string) => void, encode: (bytes: Uint8Array) => string, stringify: (v: unknown) => string): Required<RecordSink> {
  const values = new Float32Array(MAX_BITS_VALUES);
  const words = new Uint32Array(values.buffer, 0, 1);
  const views: Uint8Array[] = [];
  function put(a: ArrayLike<number>, n: number): void {
    for (let i = 0; i < n; i++) values[i] = a[i];
  }
  function bits(n: number): string {
    return encode(views[n] || (views[n] = new Uint8Array(values.buffer, 0, 4 * n)));
  }
  return {
    start: (r) => out(stringify(r)),
    epoch(e, w, nw, b, loss, val, lr) {
      put(w, nw);
      values[nw] = b;
      values[nw + 1] = loss;
      values[nw + 2] = val;
      values[nw + 3] = lr;
      out('{"type":"epoch","epoch":' + e + ',"bits":"' + bits(nw + 4) + '"}');
    },
    done(reason, e, w, nw, b, loss, best, message) {
      put(w, nw);
      values[nw] = b;
      values[nw + 1] = loss;
      let s = '{"type":"done","reason":"' + reason + '","epoch":' + e + ',"bits":"' + bits(nw + 2) + '"';
      if (best >= 0) s += ',"best_epoch":' + best;
      if (message) s += ',"message":' + JSON.stringify(message);
      out(s + '}');
    },
    step(st, x, nx, f) {
      put(x, nx);
      values[nx] = f;
      out('{"type":"step","step":' + st + ',"bits":"' + bits(nx + 1) + '"}');
    },
    push(at, trained, p, n) {
      put(p, n);
      out('{"type":"push","at":' + at + ',"trained":' + trained + ',"bits":"' + bits(n) + '"}');
    },
    num(x) {
      values[0] = x;
      return F32_TOKEN + ('0000000' + words[0].toString(16)).slice(-8) + '>';
    },
  };
}
