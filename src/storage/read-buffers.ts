/**
 * Buffers for read results, carved from shared slabs (as Node's own Buffer pool does for small
 * allocations, but for the sizes fetches use): one allocation serves many reads, and the unused
 * tail of a read is handed back when it was the last carve. A slab is freed by the GC once no
 * result that was carved from it is referenced. Larger reads get their own buffer.
 */
export class ReadBufferPool {
  private readonly slabBytes: number;
  private slab: Buffer;
  private used = 0;

  constructor(slabBytes = 4 * 1024 * 1024) {
    this.slabBytes = slabBytes;
    this.slab = Buffer.allocUnsafe(slabBytes);
  }

  take(sizeBytes: number): Buffer {
    if (sizeBytes > this.slabBytes >>> 2) return Buffer.allocUnsafe(sizeBytes);
    if (this.used + sizeBytes > this.slabBytes) {
      this.slab = Buffer.allocUnsafe(this.slabBytes);
      this.used = 0;
    }
    const buffer = this.slab.subarray(this.used, this.used + sizeBytes);
    this.used += sizeBytes;
    return buffer;
  }

  /** Keeps `keepBytes` of a buffer from `take` and returns the rest when it is the slab's last
   *  carve. Returns the kept view. */
  trim(buffer: Buffer, keepBytes: number): Buffer {
    if (buffer.buffer === this.slab.buffer && buffer.byteOffset + buffer.length === this.slab.byteOffset + this.used) {
      this.used -= buffer.length - keepBytes;
    }
    return buffer.subarray(0, keepBytes);
  }
}
