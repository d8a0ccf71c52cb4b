import { BufferWriter } from '../../../common/binary.ts';

/**
 * Output of one Kafka message: fields go into a BufferWriter (src/common/binary.ts), large blobs
 * (stored record batches on the fetch path) are referenced, not copied. The result is a list of
 * pieces the session writes back to back (DESIGN.md section 4: a fetch returns stored bytes as
 * they are).
 */
const ZERO_COPY_MIN_BYTES = 1024;

export class KafkaWriter {
  /** Where fields are written. Replaced after each referenced blob: read it anew for each write. */
  out: BufferWriter;
  private readonly parts: Buffer[] = [];
  private partsBytes = 0;

  constructor(initialBytes = 256) {
    this.out = new BufferWriter(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.partsBytes + this.out.length;
  }

  /** Raw bytes; large ones are referenced rather than copied (the caller must not mutate them). */
  blob(value: Buffer): void {
    if (value.length < ZERO_COPY_MIN_BYTES) {
      this.out.raw(value);
      return;
    }
    this.flushRun();
    this.parts.push(value);
    this.partsBytes += value.length;
  }

  /** Appends everything another writer produced (tagged-field values). */
  append(other: KafkaWriter): void {
    for (const part of other.finish()) this.blob(part);
  }

  /** The output as pieces to write back to back. */
  finish(): Buffer[] {
    this.flushRun();
    return this.parts;
  }

  /** The output as one buffer (tests, small messages). */
  toBuffer(): Buffer {
    const parts = this.finish();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.partsBytes);
  }

  private flushRun(): void {
    if (this.out.length === 0) return;
    // The view stays valid: the old writer is dropped, never reset or written again.
    const run = this.out.view();
    this.parts.push(run);
    this.partsBytes += run.length;
    this.out = new BufferWriter(256);
  }
}
