import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaderEpochCache } from '../../src/storage/leader-epoch-cache.ts';

describe('leader epoch cache', () => {
  it('keeps epochs and start offsets increasing, dropping entries a new assignment contradicts', () => {
    const cache = new LeaderEpochCache();
    assert.equal(cache.assign(1, 0), true);
    assert.equal(cache.assign(1, 5), false, 'same epoch, later offset: no change');
    assert.equal(cache.assign(3, 10), true);
    assert.equal(cache.assign(5, 20), true);
    assert.equal(cache.assign(4, 15), true, 'a lower epoch than the latest drops the later entries');
    assert.deepEqual(cache.entries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 4, startOffset: 15 },
    ]);
    assert.equal(cache.assign(-1, 3), false);
  });

  it('answers end offsets like Kafka (largest epoch <= asked, start of the next one)', () => {
    const cache = new LeaderEpochCache([
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 30 },
    ]);
    assert.deepEqual(cache.endOffsetFor(4, 55), { epoch: 4, endOffset: 55 });
    assert.deepEqual(cache.endOffsetFor(3, 55), { epoch: 2, endOffset: 30 });
    assert.deepEqual(cache.endOffsetFor(1, 55), { epoch: 1, endOffset: 10 });
    assert.deepEqual(cache.endOffsetFor(7, 55), { epoch: -1, endOffset: -1 });
    assert.deepEqual(new LeaderEpochCache().endOffsetFor(1, 5), { epoch: -1, endOffset: -1 });
  });

  it('truncates from the end with the log and from the start with the log start offset', () => {
    const cache = new LeaderEpochCache([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
      { epoch: 3, startOffset: 20 },
    ]);
    assert.equal(cache.truncateFromEnd(20), true);
    assert.equal(cache.latestEpoch(), 2);
    assert.equal(cache.truncateFromStart(15), true);
    assert.deepEqual(cache.entries, [{ epoch: 2, startOffset: 15 }]);
    assert.equal(cache.truncateFromStart(15), false);
  });
});
