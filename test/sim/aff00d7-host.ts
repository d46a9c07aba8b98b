// Driving the firmware bundle of commit aff00d7 (test/fixtures/firmware/aff00d7.js), the one
// runtime-facts.md measured on the real board. It speaks protocol 1, which differs from today's in
// one place the host drives: the upload. Protocol 1 sends packed rows [x, y] in each chunk and ends
// with the CRC-32 of all the dataset's bytes; commands, acks, status and records are as today (its
// records are decimal text, which parseRecord reads). So today's BoardLink drives it, with this
// upload in place of its own.
import type { Duplex } from 'node:stream';
import { hostLines } from '../../host/bench/board-speed.ts';
import { BoardLink } from '../../host/link/board.ts';
import { TransferError } from '../../host/link/errors.ts';

/**
 * Protocol 1's upload, the lines the bench's proxies send to aff00d7 too (hostLines): whole rows per
 * chunk, each acknowledged; `end` checks the CRC-32 of every byte. Sent one at a time with BoardLink's
 * acknowledged requests.
 */
export async function uploadV1(link: BoardLink, packed: Float32Array, features: number): Promise<number> {
  const samples = packed.length / (features + 1);
  // Numbered on from the link's own sequence, which then skips past them.
  const { lines, expect } = hostLines(1, packed, features, null, link.nextSeq());
  for (let i = 1; i < lines.length; i++) link.nextSeq();
  let ack = null;
  for (let i = 0; i < lines.length; i++) {
    const want = expect[i];
    ack = await link.request(lines[i], want.seq);
    if (ack.op !== want.op || (want.count !== undefined && ack.count !== want.count) || (want.crc !== undefined && ack.crc !== want.crc)) {
      throw new TransferError(`protocol 1 upload: request ${want.op} answered ${JSON.stringify(ack)}`);
    }
  }
  if (!ack || ack.count !== samples) throw new TransferError(`protocol 1 upload: the board holds ${ack?.count} samples`);
  return samples;
}
/** A link to an aff00d7 board: today's BoardLink, whose upload speaks protocol 1. */
export class Aff00d7Link extends BoardLink {
  constructor(stream: Duplex) {
    super(stream);
  }
  override uploadDataset(packed: Float32Array, features: number): Promise<number> {
    return uploadV1(this, packed, features);
  }
}
