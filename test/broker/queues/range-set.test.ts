import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RangeSet } from '../../../src/broker/queues/range-set.ts';

test('RangeSet merges adjacent and overlapping ranges and counts offsets', () => {
  const set = new RangeSet();
  assert.equal(set.add(5), true);
  assert.equal(set.add(5), false);
  set.add(7);
  set.add(6);
  assert.equal(set.rangeCount, 1);
  assert.equal(set.size, 3);
  assert.equal(set.addRange(0, 3), 3);
  assert.equal(set.addRange(2, 10), 4);
  assert.equal(set.rangeCount, 1);
  assert.deepEqual([set.firstStart, set.firstEnd], [0, 10]);
  set.addRange(20, 25);
  assert.equal(set.countIn(8, 22), 4);
  assert.equal(set.nextGap(3), 10);
  assert.equal(set.nextGap(15), 15);
  set.removeBelow(22);
  assert.deepEqual([set.firstStart, set.firstEnd, set.size], [22, 25, 3]);
});

test('RangeSet agrees with a plain Set under random adds and floor moves', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(fc.tuple(fc.constant('add'), fc.nat(200), fc.nat(10)), fc.tuple(fc.constant('floor'), fc.nat(200), fc.constant(0))),
      ),
      (ops) => {
        const set = new RangeSet();
        const model = new Set<number>();
        for (const [op, a, b] of ops) {
          if (op === 'add') {
            const added = set.addRange(a, a + b);
            let expected = 0;
            for (let o = a; o < a + b; o++) {
              if (model.has(o)) continue;
              model.add(o);
              expected++;
            }
            assert.equal(added, expected);
          } else {
            set.removeBelow(a);
            for (const o of [...model]) if (o < a) model.delete(o);
          }
          assert.equal(set.size, model.size);
        }
        for (let o = 0; o < 220; o++) assert.equal(set.has(o), model.has(o), `offset ${o}`);
        for (let i = 1; i < set.rangeCount; i++) assert.ok(set.startAt(i) > set.endAt(i - 1), 'disjoint, non-adjacent, sorted');
      },
    ),
  );
});
