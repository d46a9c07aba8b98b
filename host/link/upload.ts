// Uploading a dataset over the request channel: the value stream in acknowledged chunks, each
// checked by the board's count and CRC-32 of what it decoded, then `end` with the whole set's checksum.
import type { AckRecord } from '../../shared/protocol.ts';
import { dataLine, uploadPlan } from '../../shared/wire.ts';
import { BoardError, LinkTimeoutError, TransferError } from './errors.ts';
import type { RequestChannel, RequestOptions } from './request.ts';

export interface UploadProgress {
  sentSamples: number;
  totalSamples: number;
}

/** Error codes the firmware gives a chunk that was damaged on the way: sending it again can help. */
// What a garbled line gets: the same line again may well get through.
const RESEND_CODES = new Set(['crc', 'base64', 'bad_request', 'bad_seq', 'bad_args', 'bad_command']);

/**
 * Uploads a packed dataset (rows [x1..xF, y], float32) in acknowledged chunks. Each chunk's
 * ack must carry the board's sample count and the CRC-32 of the bytes it decoded; a mismatch,
 * an error record or a missing ack sends the chunk again (same seq) a few times, then fails.
 * `end` must come back with the CRC-32 of the whole dataset. Returns the board's count.
 */
export async function uploadDataset(req: RequestChannel, packed: Float32Array, features: number, onProgress?: (p: UploadProgress) => void, opts: RequestOptions & { chunkTries?: number } = {}): Promise<number> {
  const plan = uploadPlan(packed, features);
  const samples = packed.length / (features + 1);
  const chunkTries = opts.chunkTries ?? 4;
  let endCrc = 0;
  let ack: AckRecord | null = null;
  for (const step of plan) {
    if (step.kind === 'command') {
      if (step.cmd.op === 'end') endCrc = step.cmd.crc;
      ack = await req.sendCommand(step.cmd, opts);
      if (step.cmd.op === 'begin' && onProgress) onProgress({ sentSamples: 0, totalSamples: samples });
      continue;
    }
    const seq = req.nextSeq();
    const line = dataLine(seq, step.values);
    const first = step.count - step.values.length + 1;
    let problem = '';
    let ok = false;
    for (let attempt = 0; attempt < chunkTries && !ok; attempt++) {
      try {
        const got = await req.request(line, seq, { timeoutMs: opts.timeoutMs, tries: 1, clearFirst: attempt > 0 });
        if (got.crc === step.crc && got.count === step.count) ok = true;
        else problem = `the board acknowledged values ${first}–${step.count} with count ${got.count} and crc ${got.crc}, expected ${step.count} and ${step.crc}`;
      } catch (err) {
        // Only damage in transit is worth a resend; a refusal (capacity, non-finite value) is final.
        const transient = err instanceof LinkTimeoutError || (err instanceof BoardError && RESEND_CODES.has(err.code));
        if (!transient) throw err;
        problem = (err as Error).message;
      }
    }
    if (!ok) throw new TransferError(`upload failed at values ${first}–${step.count} of ${packed.length} after ${chunkTries} tries: ${problem}`);
    if (onProgress) onProgress({ sentSamples: step.samplesDone, totalSamples: samples });
  }
  if (!ack || ack.crc !== endCrc) throw new TransferError(`the board's checksum of the dataset is ${ack?.crc}, the host's is ${endCrc}: the data did not arrive intact`);
  if (ack.count !== samples) throw new TransferError(`the board holds ${ack.count} samples, ${samples} were sent`);
  return ack.count;
}
