const EMPTY = -1;
const MIN_CAPACITY = 16;

/**
 * A map from offsets (non-negative safe integers) to values: an open-addressing table with linear
 * probing, indexed by the offset itself. A cursor's in-flight records and delivery counts are keyed
 * by offsets that are mostly consecutive, so they land in consecutive slots without hashing; in the
 * network queue bench `Map#set`/`delete` on these two maps were the largest single cost of the
 * broker's dispatch and ack path. Deletion shifts the following entries back (no tombstones), so
 * churn never degrades probes. `keys()`, `values()` and `entries()` return copies: callers may
 * delete while they walk them. Iteration order is unspecified.
 */
export class OffsetMap<V> {
  private keyAt: Float64Array;
  private valueAt: (V | undefined)[];
  private mask: number;
  private count = 0;

  constructor() {
    this.keyAt = new Float64Array(MIN_CAPACITY).fill(EMPTY);
    this.valueAt = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
    this.mask = MIN_CAPACITY - 1;
  }

  get size(): number {
    return this.count;
  }

  get(offset: number): V | undefined {
    if (!(offset >= 0)) return undefined; // -1 marks an empty slot
    const keys = this.keyAt;
    const mask = this.mask;
    for (let i = this.slotOf(offset); ; i = (i + 1) & mask) {
      const key = keys[i]!;
      if (key === offset) return this.valueAt[i];
      if (key === EMPTY) return undefined;
    }
  }

  has(offset: number): boolean {
    if (!(offset >= 0)) return false;
    const keys = this.keyAt;
    const mask = this.mask;
    for (let i = this.slotOf(offset); ; i = (i + 1) & mask) {
      const key = keys[i]!;
      if (key === offset) return true;
      if (key === EMPTY) return false;
    }
  }

  set(offset: number, value: V): this {
    if (!(offset >= 0 && offset <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`not an offset: ${offset}`);
    const keys = this.keyAt;
    const mask = this.mask;
    for (let i = this.slotOf(offset); ; i = (i + 1) & mask) {
      const key = keys[i]!;
      if (key === offset) {
        this.valueAt[i] = value;
        return this;
      }
      if (key === EMPTY) {
        keys[i] = offset;
        this.valueAt[i] = value;
        this.count++;
        if (this.count * 2 > keys.length) this.resize(keys.length * 2);
        return this;
      }
    }
  }

  delete(offset: number): boolean {
    if (!(offset >= 0)) return false;
    const keys = this.keyAt;
    const values = this.valueAt;
    const mask = this.mask;
    let i = this.slotOf(offset);
    for (; ; i = (i + 1) & mask) {
      const key = keys[i]!;
      if (key === offset) break;
      if (key === EMPTY) return false;
    }
    // Backward-shift: move later entries of the probe run into the hole when their home slot
    // does not lie in (hole, j], so every remaining key stays reachable from its home slot.
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slotOf(keys[j]!);
      const isBetween = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (isBetween) continue;
      keys[hole] = keys[j]!;
      values[hole] = values[j];
      hole = j;
    }
    keys[hole] = EMPTY;
    values[hole] = undefined;
    this.count--;
    if (keys.length > MIN_CAPACITY && this.count * 8 < keys.length) this.resize(keys.length / 2);
    return true;
  }

  clear(): void {
    this.keyAt = new Float64Array(MIN_CAPACITY).fill(EMPTY);
    this.valueAt = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
    this.mask = MIN_CAPACITY - 1;
    this.count = 0;
  }

  keys(): number[] {
    const out: number[] = [];
    const keys = this.keyAt;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) out.push(keys[i]!);
    return out;
  }

  values(): V[] {
    const out: V[] = [];
    const keys = this.keyAt;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) out.push(this.valueAt[i]!);
    return out;
  }

  entries(): [number, V][] {
    const out: [number, V][] = [];
    const keys = this.keyAt;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) out.push([keys[i]!, this.valueAt[i]!]);
    return out;
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries()[Symbol.iterator]();
  }

  /** Home slot: the offset's low bits (offsets above 2^31 take the exact remainder). */
  private slotOf(offset: number): number {
    return offset <= 0x7fff_ffff ? offset & this.mask : offset % (this.mask + 1);
  }

  private resize(capacity: number): void {
    const oldKeys = this.keyAt;
    const oldValues = this.valueAt;
    this.keyAt = new Float64Array(capacity).fill(EMPTY);
    this.valueAt = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    const keys = this.keyAt;
    const mask = this.mask;
    for (let k = 0; k < oldKeys.length; k++) {
      const offset = oldKeys[k]!;
      if (offset === EMPTY) continue;
      let i = this.slotOf(offset);
      while (keys[i] !== EMPTY) i = (i + 1) & mask;
      keys[i] = offset;
      this.valueAt[i] = oldValues[k];
    }
  }
}
