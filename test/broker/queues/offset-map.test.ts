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
