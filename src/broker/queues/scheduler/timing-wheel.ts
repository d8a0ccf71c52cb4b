import assert from 'node:assert/strict';

/** The entries of one tick: parallel arrays (unboxed doubles), no object per entry. */
interface Slot {
  offsets: number[];
  dues: number[];
}

/**
 * A hashed timing wheel for the near future (Varghese & Lauck): `slotCount` slots of `tickMs`,
 * so it spans `slotCount * tickMs`. The scheduler only adds entries due within that span of the
 * wheel's position (later ones stay in the on-disk index), so every slot holds one tick's
 * entries and `advance` is O(ticks passed + entries due). Entries already due go in the next
 * slot to fire.
 */
export class TimingWheel {
  readonly tickMs: number;
  readonly slotCount: number;
  private readonly slots: (Slot | null)[];
  /** Ticks below this have fired. */
  private nextTick: number;
  private count = 0;

  constructor(tickMs: number, slotCount: number, nowMs: number) {
    this.tickMs = tickMs;
    this.slotCount = slotCount;
    this.slots = new Array<Slot | null>(slotCount).fill(null);
    this.nextTick = Math.floor(nowMs / tickMs);
  }

  get size(): number {
    return this.count;
  }

  get spanMs(): number {
    return this.slotCount * this.tickMs;
  }

  /** Entries due before this time may be added. */
  get horizonMs(): number {
    return (this.nextTick + this.slotCount) * this.tickMs;
  }

  add(dueMs: number, offset: number): void {
    const tick = Math.max(this.nextTick, Math.floor(dueMs / this.tickMs));
    assert.ok(tick < this.nextTick + this.slotCount, `entry due at ${dueMs} is beyond the wheel's horizon ${this.horizonMs}`);
    const index = tick % this.slotCount;
    let slot = this.slots[index];
    if (slot === null || slot === undefined) this.slots[index] = slot = { offsets: [], dues: [] };
    slot.offsets.push(offset);
    slot.dues.push(dueMs);
    this.count++;
  }

  /** Calls `sink` for every entry due at or before `nowMs`, in tick order. */
  advance(nowMs: number, sink: (offset: number, dueMs: number) => void): void {
    const lastTick = Math.floor(nowMs / this.tickMs);
    if (lastTick < this.nextTick) return;
    // Nothing to look at in empty ticks beyond one turn of the wheel.
    const from = this.count === 0 ? lastTick : this.nextTick;
    for (let tick = Math.max(from, lastTick - this.slotCount + 1); tick <= lastTick; tick++) {
      const index = tick % this.slotCount;
      const slot = this.slots[index];
      if (slot === null || slot === undefined) continue;
      if (tick === lastTick) {
        // The current tick is only partly over: its entries due later in it stay, or a record
        // would be delivered up to a tick before its time.
        this.slots[index] = this.fireDue(slot, nowMs, sink);
        continue;
      }
      this.slots[index] = null;
      this.count -= slot.offsets.length;
      for (let i = 0; i < slot.offsets.length; i++) sink(slot.offsets[i]!, slot.dues[i]!);
    }
    // The current tick is looked at again next time (what it still holds is not due yet).
    this.nextTick = lastTick;
  }

  /** Fires the entries of `slot` due at or before `nowMs`; returns what is left (null if none). */
  private fireDue(slot: Slot, nowMs: number, sink: (offset: number, dueMs: number) => void): Slot | null {
    const left: Slot = { offsets: [], dues: [] };
    for (let i = 0; i < slot.offsets.length; i++) {
      const dueMs = slot.dues[i]!;
      if (dueMs <= nowMs) {
        this.count--;
        sink(slot.offsets[i]!, dueMs);
      } else {
        left.offsets.push(slot.offsets[i]!);
        left.dues.push(dueMs);
      }
    }
    return left.offsets.length === 0 ? null : left;
  }
}
