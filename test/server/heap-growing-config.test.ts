import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { DEFAULT_FERRY_CONFIG, resolveConfig } from '../../src/server/config.ts';
import { envEntries, flagEntries } from '../../src/server/config-sources.ts';
import { DEFAULT_HEAP_GROWING_PERCENT } from '../../src/server/v8-heap.ts';

test('heapGrowingPercent defaults to 300 and comes from flag, env or file; 0 leaves V8 its own heuristics', () => {
  assert.equal(DEFAULT_HEAP_GROWING_PERCENT, 300);
  assert.equal(DEFAULT_FERRY_CONFIG.heapGrowingPercent, DEFAULT_HEAP_GROWING_PERCENT);
  assert.equal(resolveConfig({ flags: flagEntries({ heapGrowingPercent: '0' }) }).heapGrowingPercent, 0);
  assert.equal(resolveConfig({ env: envEntries({ FERRY_HEAP_GROWING_PERCENT: '150' }) }).heapGrowingPercent, 150);
  const file = [{ key: 'heapGrowingPercent', raw: 100, origin: 'file f.json' }];
  assert.equal(resolveConfig({ file }).heapGrowingPercent, 100);
});

test('a negative, fractional or huge heapGrowingPercent is refused with INVALID_CONFIG naming it', () => {
  for (const raw of ['-1', '2.5', 'many', '10001']) {
    assert.throws(
      () => resolveConfig({ flags: flagEntries({ heapGrowingPercent: raw }) }),
      (error) => error instanceof FerryError && error.code === ErrorCode.INVALID_CONFIG && /heapGrowingPercent/.test(error.message),
      raw,
    );
  }
});
