// Driving the firmware bundle of commit aff00d7 (test/fixtures/firmware/aff00d7.js), the one
// runtime-facts.md measured on the real board. It speaks protocol 1, which differs from today's in
// one place the host drives: the upload. Protocol 1 sends packed rows [x, y] in each chunk and ends
// with the CRC-32 of all the dataset's bytes; commands, acks, status and records are as today (its
// records are decimal text, which parseRecord reads). So today's BoardLink drives it, with this
// upload in place of its own.
import type { Duplex } from 'node:stream';
import { BoardLink } from '../../host/link/board.ts';
import { TransferError } from '../../host/link/errors.ts';
import { CHUNK_FLOATS, crc32, dataLine, floatBytes } from '../../shared/wire.ts';

/** Protocol 1's upload: whole rows per chunk, each acknowledged; `end` checks the CRC-32 of every byte. */
export async function uploadV1(link: BoardLink, packed: Float32Array, features: number): Promise<number> {
  const width = features + 1;
  const samples = packed.length / width;
  const rowsPerChunk = Math.floor(CHUNK_FLOATS / width);
  await link.sendCommand({ op: 'begin', samples, features });
  for (let row = 0; row < samples; row += rowsPerChunk) {
    const chunk = packed.subarray(row * width, Math.min(samples, row + rowsPerChunk) * width);
    const seq = link.nextSeq();
    await link.request(dataLine(seq, chunk), seq);
  }
  const crc = crc32(floatBytes(packed), packed.byteLength);
  const ack = await link.sendCommand({ op: 'end', crc });
  if (ack.count !== samples || ack.crc !== crc) throw new TransferError(`protocol 1 upload: the board holds ${ack.count} samples with crc ${ack.crc}`);
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
