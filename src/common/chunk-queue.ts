const EMPTY = Buffer.alloc(0);
/** Compact the chunk array once this many chunks were consumed (cheaper than shift() per chunk). */
const COMPACT_AFTER_CHUNKS = 64;

/**
 * The bytes a socket delivered and a framer has not consumed yet, as the chunks they came in.
 * `take(n)` returns a view when the bytes lie in one chunk and copies only a frame that spans
 * chunks, so the common case of whole frames per read costs no copy. Every wire protocol's framer
 * sits on it.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private headOffset = 0;
  private buffered = 0;

  /** Bytes received and not taken yet. */
  get length(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Removes and returns the next `n` bytes; the caller checks `n <= length` first. */
  take(n: number): Buffer {
    const first = this.chunks[this.head]!;
    let out: Buffer;
    if (first.length - this.headOffset >= n) {
      out = first.subarray(this.headOffset, this.headOffset + n);
      this.headOffset += n;
      if (this.headOffset === first.length) this.dropHead();
    } else {
      out = Buffer.allocUnsafe(n);
      let written = 0;
      while (written < n) {
        const chunk = this.chunks[this.head]!;
        const count = Math.min(n - written, chunk.length - this.headOffset);
        chunk.copy(out, written, this.headOffset, this.headOffset + count);
        written += count;
        this.headOffset += count;
        if (this.headOffset === chunk.length) this.dropHead();
      }
    }
    this.buffered -= n;
    return out;
  }

  private dropHead(): void {
    // Release the consumed chunk at once: it may be large and the array may live long.
    this.chunks[this.head] = EMPTY;
    this.head++;
    this.headOffset = 0;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER_CHUNKS) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
