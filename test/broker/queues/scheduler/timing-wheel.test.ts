import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimingWheel } from '../../../../src/broker/queues/scheduler/timing-wheel.ts';

test('the timing wheel hands out entries at their tick, overdue ones at once, across a pause longer than its span', () => {
  const wheel = new TimingWheel(10, 100, 1_000);
  assert.equal(wheel.horizonMs, 2_000);
  wheel.add(1_055, 1);
  wheel.add(1_050, 2);
  wheel.add(900, 3); // overdue: next tick
  wheel.add(1_995, 4);
  assert.throws(() => wheel.add(2_000, 5), /horizon/);
  const fired: number[] = [];
  const sink = (offset: number) => fired.push(offset);
  wheel.advance(1_000, sink);
  assert.deepEqual(fired, [3]);
  wheel.advance(1_049, sink);
  assert.deepEqual(fired, [3]);
  wheel.advance(1_059, sink);
  assert.deepEqual(fired, [3, 1, 2]);
  assert.equal(wheel.size, 1);
  // The process paused for longer than the wheel spans: everything due still comes out once.
  wheel.advance(5_000, sink);
  assert.deepEqual(fired, [3, 1, 2, 4]);
  assert.equal(wheel.size, 0);
  wheel.add(5_500, 6);
  wheel.advance(5_510, sink);
  assert.deepEqual(fired.at(-1), 6);
});

test('an entry due later in the current tick waits for its time, not for the tick to start', () => {
  const wheel = new TimingWheel(10, 100, 1_000);
  wheel.add(1_057, 1);
  wheel.add(1_051, 2);
  const fired: number[] = [];
  const sink = (offset: number) => fired.push(offset);
  wheel.advance(1_050, sink);
  assert.deepEqual(fired, [], 'the tick has started, neither entry is due');
  wheel.advance(1_053, sink);
  assert.deepEqual(fired, [2]);
  assert.equal(wheel.size, 1);
  wheel.add(1_052, 3); // already due: fires on the next advance
  wheel.advance(1_056, sink);
  assert.deepEqual(fired, [2, 3]);
  wheel.advance(1_057, sink);
  assert.deepEqual(fired, [2, 3, 1]);
  assert.equal(wheel.size, 0);
});
