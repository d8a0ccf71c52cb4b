import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexCache } from '../../src/storage/index-cache.ts';
import { OffsetIndex } from '../../src/storage/offset-index.ts';
import { TimeIndex } from '../../src/storage/time-index.ts';

describe('offset index', () => {
  it('finds the position of the last entry at or below an offset, 0 before the first', () => {
    const index = new OffsetIndex(100);
    index.append(110, 400);
    index.append(125, 900);
    index.append(140, 1500);
    assert.deepEqual(
      [99, 100, 109, 110, 124, 125, 139, 140, 10_000].map((offset) => index.lookup(offset)),
      [0, 0, 0, 400, 400, 900, 900, 1500, 1500],
    );
    assert.equal(index.lastPosition, 1500);
  });

  it('round-trips through its file bytes (relative offset, position: int32 big-endian)', () => {
    const index = new OffsetIndex(1000);
    for (let i = 1; i <= 40; i++) index.append(1000 + i * 3, i * 100);
    const bytes = index.encode();
    assert.equal(bytes.length, 40 * 8);
    assert.deepEqual([bytes.readInt32BE(0), bytes.readInt32BE(4)], [3, 100]);
    const loaded = new OffsetIndex(1000, Buffer.from(bytes));
    assert.equal(loaded.entryCount, 40);
    assert.equal(loaded.lookup(1061), 2000);
    assert.equal(loaded.sanityCheck(4001, 1121), null);
  });

  it('truncates by offset and by position', () => {
    const index = new OffsetIndex(0);
    for (let i = 1; i <= 10; i++) index.append(i * 10, i * 100);
    index.truncateToOffset(55);
    assert.equal(index.entryCount, 5);
    index.truncateToPosition(300);
    assert.equal(index.entryCount, 2);
    assert.equal(index.lookup(1000), 200);
  });

  it('says why a file cannot be right', () => {
    const bytes = Buffer.alloc(24);
    bytes.writeInt32BE(5, 0);
    bytes.writeInt32BE(100, 4);
    bytes.writeInt32BE(4, 8); // decreasing offset
    bytes.writeInt32BE(200, 12);
    assert.match(new OffsetIndex(0, bytes.subarray(0, 16)).sanityCheck(1000, 100) ?? '', /does not increase/);
    bytes.writeInt32BE(9, 8);
    assert.match(new OffsetIndex(0, bytes.subarray(0, 16)).sanityCheck(150, 100) ?? '', /past the log/);
    assert.match(new OffsetIndex(0, bytes.subarray(0, 16)).sanityCheck(1000, 9) ?? '', /past 8/);
  });

  it('is full at its entry limit and refuses more', () => {
    const index = new OffsetIndex(0, undefined, 3);
    for (let i = 1; i <= 3; i++) index.append(i, i);
    assert.equal(index.isFull, true);
    assert.throws(() => index.append(4, 4));
  });
});

describe('index memory', () => {
  it('holds no memory until its first entry, then memory of its own (not a slice of a shared pool chunk)', () => {
    const offsets = new OffsetIndex(0);
    const times = new TimeIndex(0);
    assert.equal(offsets.memoryBytes + times.memoryBytes, 0);
    offsets.append(5, 4100);
    times.maybeAppend(1_700_000_000_000, 5);
    assert.equal(offsets.memoryBytes, 16 * 8);
    assert.equal(times.memoryBytes, 16 * 12);
    // A pooled 128-byte Buffer would sit in a 64 KiB ArrayBuffer shared with unrelated data.
    assert.equal(offsets.encode().buffer.byteLength, offsets.memoryBytes);
    assert.equal(times.encode().buffer.byteLength, times.memoryBytes);
    for (let i = 2; i <= 40; i++) offsets.append(5 * i, 4100 * i);
    assert.equal(offsets.memoryBytes, 64 * 8);
    assert.equal(offsets.lookup(200), 4100 * 40);
  });

  it('loads exactly the entries of its file', () => {
    const index = new OffsetIndex(0);
    for (let i = 1; i <= 3; i++) index.append(i, i * 100);
    const loaded = new OffsetIndex(0, Buffer.from(index.encode()));
    assert.equal(loaded.memoryBytes, 3 * 8);
    loaded.append(4, 400);
    assert.equal(loaded.lookup(4), 400);
    assert.equal(new TimeIndex(0, Buffer.alloc(0)).memoryBytes, 0);
  });
});

describe('time index', () => {
  it('adds an entry only when the timestamp grows, and finds where a search can start', () => {
    const index = new TimeIndex(50);
    assert.equal(index.maybeAppend(1000, 50), true);
    assert.equal(index.maybeAppend(1000, 60), false);
    assert.equal(index.maybeAppend(900, 61), false);
    assert.equal(index.maybeAppend(2000, 70), true);
    assert.equal(index.maybeAppend(3000, 90), true);
    assert.equal(index.lastTimestamp, 3000);
    assert.deepEqual(
      [999, 1000, 1001, 2500, 3001].map((timestamp) => index.offsetBefore(timestamp)),
      [-1, -1, 50, 70, 90],
    );
    index.truncateToOffset(80);
    assert.equal(index.entryCount, 2);
    assert.equal(new TimeIndex(50, Buffer.from(index.encode())).lastTimestamp, 2000);
  });

  it('rejects entries past the end or out of order', () => {
    const index = new TimeIndex(0);
    index.maybeAppend(10, 5);
    index.maybeAppend(20, 9);
    assert.equal(index.sanityCheck(10), null);
    assert.match(index.sanityCheck(9) ?? '', /past 8/);
    const bytes = Buffer.from(index.encode());
    bytes.writeInt32BE(3, 20); // second entry's offset below the first's
    assert.match(new TimeIndex(0, bytes).sanityCheck(10) ?? '', /decreases/);
  });
});

describe('index cache', () => {
  it('unloads the least recently used indexes beyond its budget', () => {
    const unloaded: string[] = [];
    const holder = (name: string) => ({ unloadIndexes: () => unloaded.push(name) });
    const [a, b, c] = [holder('a'), holder('b'), holder('c')];
    const cache = new IndexCache(250);
    cache.touch(a, 100);
    cache.touch(b, 100);
    cache.touch(a, 100); // a is now the most recent
    cache.touch(c, 100);
    assert.deepEqual(unloaded, ['b']);
    assert.equal(cache.bytes, 200);
    cache.remove(a);
    assert.equal(cache.bytes, 100);
  });
});
