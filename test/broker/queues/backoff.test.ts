import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redeliveryDelayMs } from '../../../src/broker/queues/backoff.ts';
import { resolveQueueConfig } from '../../../src/broker/queues/config.ts';
import { ErrorCode } from '../../../src/common/errors.ts';

test('redelivery backoff grows by the factor, stops at the max, and jitter only shortens it', () => {
  const backoff = { minMs: 100, maxMs: 1_000, factor: 2, jitter: 0 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 10].map((count) => redeliveryDelayMs(backoff, count)),
    [100, 200, 400, 800, 1_000, 1_000],
  );
  const jittered = { ...backoff, jitter: 0.5 };
  assert.equal(
    redeliveryDelayMs(jittered, 1, () => 0),
    100,
  );
  assert.equal(
    redeliveryDelayMs(jittered, 1, () => 0.999_999),
    50,
  );
  assert.equal(redeliveryDelayMs({ minMs: 0, maxMs: 0, factor: 2, jitter: 0.2 }, 7), 0);
});

test('queue config: defaults, overrides, and INVALID_CONFIG naming the option', () => {
  const config = resolveQueueConfig({ defaultPrefetch: 10 });
  assert.equal(config.defaultPrefetch, 10);
  assert.equal(config.stateFlushPolicy, 'always');
  for (const bad of [
    { defaultPrefetch: 0 },
    { redeliveryBackoffJitter: 2 },
    { stateFlushPolicy: 'sometimes' },
    { maxPrefetch: 5, defaultPrefetch: 10 },
  ]) {
    assert.throws(
      () => resolveQueueConfig(bad as never),
      (error: unknown) => (error as { code: string }).code === ErrorCode.INVALID_CONFIG,
    );
  }
});
