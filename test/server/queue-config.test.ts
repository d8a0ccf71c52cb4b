import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_QUEUE_CONFIG } from '../../src/broker/queues/config.ts';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { CONFIG_OPTIONS, DEFAULT_FERRY_CONFIG, resolveConfig } from '../../src/server/config.ts';
import { envEntries, flagEntries, loadConfig } from '../../src/server/config-sources.ts';
import { startFerry } from '../../src/server/server.ts';
import { defer } from './cleanup.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-queue-config-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

function isConfigError(pattern: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof FerryError, `expected a FerryError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.INVALID_CONFIG);
    assert.match(error.message, pattern);
    return true;
  };
}

test('the queues section defaults to the queue engine defaults and lists every QueueConfig field as a file key', () => {
  assert.deepEqual(DEFAULT_FERRY_CONFIG.queues, { ...DEFAULT_QUEUE_CONFIG });
  const keys = CONFIG_OPTIONS.filter((o) => o.section === 'queues').map((o) => o.key);
  assert.deepEqual(
    keys.sort(),
    Object.keys(DEFAULT_QUEUE_CONFIG)
      .map((field) => `queues.${field}`)
      .sort(),
  );
});

test('useful queue options are flags and FERRY_QUEUE_* variables; tuning knobs are file keys only', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'ferry.json');
  await writeFile(file, JSON.stringify({ queues: { maxPrefetch: 5000, redeliveryBackoffFactor: 1.5, stateFlushPolicy: 'interval:50' } }));
  const config = await loadConfig({
    configPath: file,
    env: { FERRY_QUEUE_DEFAULT_ACK_TIMEOUT_MS: '5000', FERRY_QUEUE_MAX_PREFETCH: '7000' },
    flags: { queueMaxPrefetch: '9000', queueStateFlushPolicy: 'none' },
  });
  assert.equal(config.queues.maxPrefetch, 9000, 'flag beats env and file');
  assert.equal(config.queues.defaultAckTimeoutMs, 5000);
  assert.equal(config.queues.redeliveryBackoffFactor, 1.5, 'fractions parse');
  assert.equal(config.queues.stateFlushPolicy, 'none');
  assert.equal(config.queues.defaultPrefetch, DEFAULT_QUEUE_CONFIG.defaultPrefetch);

  const backoff = CONFIG_OPTIONS.find((o) => o.key === 'queues.redeliveryBackoffMinMs')!;
  assert.equal(backoff.flag, null);
  assert.equal(backoff.env, null);
  assert.throws(() => envEntries({ FERRY_QUEUE_REDELIVERY_BACKOFF_MIN_MS: '5' }), isConfigError(/unknown config key/));
  assert.deepEqual(flagEntries({ queueRedeliveryBackoffMinMs: '5' }), [], 'not a flag of ferry start');
});

test('bad queue values name the key and where it came from', () => {
  assert.throws(
    () => resolveConfig({ env: envEntries({ FERRY_QUEUE_STATE_FLUSH_POLICY: 'sometimes' }) }),
    isConfigError(
      /queues\.stateFlushPolicy \(env FERRY_QUEUE_STATE_FLUSH_POLICY\): expected a value of the form always\|none\|interval:<ms>/,
    ),
  );
  assert.throws(
    () => resolveConfig({ file: [{ key: 'queues.redeliveryBackoffJitter', raw: 2, origin: 'file f.json' }] }),
    isConfigError(/queues\.redeliveryBackoffJitter \(file f\.json\): expected a number from 0 to 1/),
  );
  // Each value is fine alone; the pair breaks the engine's rule, caught before anything opens.
  assert.throws(
    () => resolveConfig({ flags: flagEntries({ queueDefaultPrefetch: '5000', queueMaxPrefetch: '10' }) }),
    isConfigError(
      /defaultPrefetch is above maxPrefetch \(queues\.defaultPrefetch: flag --queue-default-prefetch, queues\.maxPrefetch: flag --queue-max-prefetch\)/,
    ),
  );
});

test('startFerry hands the queues section to the broker: queues.maxSubscriptions bounds subscriptions', async (t) => {
  const dataDir = await tempDir(t);
  const config = resolveConfig({
    flags: flagEntries({ dataDir, nativePort: '0', httpPort: '0', kafkaPort: '-1', queueMaxSubscriptions: '1' }),
  });
  const ferry = await startFerry(config, { logger: silentLogger });
  defer(t, () => ferry.close());
  await ferry.broker.createTopic('jobs', { partitions: 1 });
  await ferry.broker.createSubscription('jobs', 'first', { mode: 'shared' });
  await assert.rejects(ferry.broker.createSubscription('jobs', 'second', { mode: 'shared' }), (error: unknown) => {
    assert.ok(error instanceof FerryError);
    assert.match(error.message, /maxSubscriptions|subscriptions/);
    return true;
  });
});
