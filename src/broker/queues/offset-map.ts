const EMPTY = -1;
const MIN_CAPACITY = 64;
/** The ring stops growing here (8 MiB of keys); further keys live in the overflow map. */
const MAX_CAPACITY = 1 << 20;
/** Rings this small (1 MiB) are kept whatever their fill: shrinking smaller ones made the ring
 *  shrink and regrow whenever the in-flight count swung (every dip of a busy partition). */
const SHRINK_ABOVE = 1 << 16;

/**
 * A map from offsets (non-negative safe integers) to values for a cursor's in-flight records and
 * delivery counts. Their offsets sit mostly in a window just above the ack floor, so each goes
 * straight into the ring slot `offset mod capacity` (no hashing, no probing); a key whose slot a
 * different offset holds (a record stuck far behind the window) goes to an overflow `Map`, and the
 * ring doubles when the overflow grows past a quarter of the entries. In the network queue bench
 * `Map#set`/`delete` on these two maps were the largest single cost of dispatch and acks.
 * `keys()`, `values()` and `entries()` return copies (callers may delete while walking them);
 * iteration order is unspecified.
 */
export class OffsetMap<V> {
  private keyAt = new Float64Array(MIN_CAPACITY).fill(EMPTY);
  private valueAt: (V | undefined)[] = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  private readonly overflow = new Map<number, V>();
  private count = 0;
  /** Below this many entries the ring halves (0: never; set by resize). */
  private shrinkBelow = 0;

  get size(): number {
    return this.count;
  }

  /** Slots in the ring (its memory is 16 bytes a slot). */
  get capacity(): number {
    return this.keyAt.length;
  }

  get(offset: number): V | undefined {
    if (!(offset >= 0)) return undefined; // -1 marks an empty slot
    const i = this.slotOf(offset);
    if (this.keyAt[i] === offset) return this.valueAt[i];
    return this.overflow.size === 0 ? undefined : this.overflow.get(offset);
  }

  has(offset: number): boolean {
    if (!(offset >= 0)) return false;
    if (this.keyAt[this.slotOf(offset)] === offset) return true;
    return this.overflow.size !== 0 && this.overflow.has(offset);
  }

  set(offset: number, value: V): this {
    if (!(offset >= 0 && offset <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`not an offset: ${offset}`);
    const i = this.slotOf(offset);
    const key = this.keyAt[i]!;
    if (key === offset) {
      this.valueAt[i] = value;
      return this;
    }
    if (key === EMPTY && !(this.overflow.size !== 0 && this.overflow.has(offset))) {
      this.keyAt[i] = offset;
      this.valueAt[i] = value;
      this.count++;
      return this;
    }
    const overflow = this.overflow;
    if (!overflow.has(offset)) this.count++;
    overflow.set(offset, value);
    // Grow while the ring is small next to its entries: a few stuck records far apart stay in
    // the overflow instead of inflating the ring.
    const capacity = this.keyAt.length;
    if (overflow.size > 16 && overflow.size * 4 > this.count && capacity < this.count * 4 && capacity < MAX_CAPACITY)
      this.resize(capacity * 2);
    return this;
  }

  delete(offset: number): boolean {
    if (!(offset >= 0)) return false;
    const i = this.slotOf(offset);
    if (this.keyAt[i] === offset) {
      this.keyAt[i] = EMPTY;
      this.valueAt[i] = undefined;
      this.count--;
      if (this.count < this.shrinkBelow) this.shrink();
      return true;
    }
    if (this.overflow.size !== 0 && this.overflow.delete(offset)) {
      this.count--;
      if (this.count < this.shrinkBelow) this.shrink();
      return true;
    }
    return false;
  }

  /** Gives back a ring grown for a burst once it is mostly empty (growth needs the ring under
   *  4x the entries, so a halved ring at 1/16 full does not grow back at once). */
  private shrink(): void {
    this.resize(this.keyAt.length / 2);
  }

  keys(): number[] {
    return this.entries().map((entry) => entry[0]);
  }

  values(): V[] {
    return this.entries().map((entry) => entry[1]);
  }

  entries(): [number, V][] {
    const out: [number, V][] = [];
    const keys = this.keyAt;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) out.push([keys[i]!, this.valueAt[i]!]);
    for (const entry of this.overflow) out.push(entry);
    return out;
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries()[Symbol.iterator]();
  }

  /** The offset's low bits (offsets at 2^31 and above take the exact remainder). */
  private slotOf(offset: number): number {
    return offset <= 0x7fff_ffff ? offset & this.mask : offset % (this.mask + 1);
  }

  private resize(capacity: number): void {
    const entries = this.entries();
    this.keyAt = new Float64Array(capacity).fill(EMPTY);
    this.valueAt = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shrinkBelow = capacity > SHRINK_ABOVE ? capacity / 16 : 0;
    this.overflow.clear();
    this.count = 0;
    for (const [offset, value] of entries) this.set(offset, value);
  }
}
