import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetMap } from '../../../src/broker/queues/offset-map.ts';
test('offset map answers like a Map under random sets, deletes and gets, with sparse and large offsets', () => {
  const seed = Number(process.env.FERRY_SEED ?? Date.now() % 1e9);
  console.log('seed', seed);
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const m = new OffsetMap<number>();
  const ref = new Map<number, number>();
  let base = 0;
  for (let step = 0; step < 200000; step++) {
    const r = rnd();
    const span = r < 0.01 ? 1 << 20 : 3000;
    const off = (rnd() < 0.001 ? 2 ** 40 : 0) + base + Math.floor(rnd() * span);
    if (r < 0.5) {
      m.set(off, step);
      ref.set(off, step);
    } else if (r < 0.9) assert.equal(m.delete(off), ref.delete(off));
    else assert.equal(m.get(off), ref.get(off));
    if (step % 100 === 0) base += 50;
    assert.equal(m.size, ref.size);
  }
  for (const [k, v] of ref) assert.equal(m.get(k), v);
  assert.deepEqual(
    m.keys().sort((a, b) => a - b),
    [...ref.keys()].sort((a, b) => a - b),
  );
  assert.equal(m.has(-1), false);
  assert.equal(m.delete(-1), false);
  assert.equal(m.get(-1), undefined);
});

test('offset map grows for a burst of consecutive offsets and gives the ring back when they are acked', () => {
  const map = new OffsetMap<number>();
  for (let offset = 0; offset < 100_000; offset++) map.set(offset, offset * 2);
  assert.equal(map.size, 100_000);
  for (let offset = 0; offset < 100_000; offset++) if (offset % 10_000 !== 0) assert.equal(map.delete(offset), true);
  assert.equal(map.size, 10);
  for (let offset = 0; offset < 100_000; offset += 10_000) assert.equal(map.get(offset), offset * 2);
  assert.equal(map.has(5), false);
  assert.deepEqual(
    map.keys().sort((a, b) => a - b),
    [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000],
  );
  assert.ok(map.capacity <= 65_536, `the ring shrank back (${map.capacity} slots)`);
});
