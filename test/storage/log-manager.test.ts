import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { DEFAULT_LOG_CONFIG, formatFlushPolicy, parseFlushPolicy, resolveLogConfig } from '../../src/storage/log-config.ts';
import { buildBatch } from './batch-fixtures.ts';
import { harness, readAll } from './storage-helpers.ts';

function isCode(code: string): (error: unknown) => boolean {
  return (error: unknown) => error instanceof FerryError && error.code === code;
}

describe('log config', () => {
  it('has Kafka defaults', () => {
    assert.deepEqual(DEFAULT_LOG_CONFIG, {
      segmentBytes: 1024 ** 3,
      segmentMs: 7 * 24 * 3600 * 1000,
      indexIntervalBytes: 4096,
      retentionMs: 7 * 24 * 3600 * 1000,
      retentionBytes: -1,
      maxBatchBytes: 1_048_588,
      flush: { kind: 'always' },
      timestampType: 'CreateTime',
    });
  });

  it('resolves overrides and refuses out-of-range values with INVALID_CONFIG', () => {
    assert.equal(resolveLogConfig(DEFAULT_LOG_CONFIG, { segmentBytes: 4096, retentionMs: undefined }).segmentBytes, 4096);
    for (const bad of [
      { segmentBytes: 2 ** 31 },
      { segmentBytes: 10 },
      { indexIntervalBytes: -1 },
      { retentionMs: -2 },
      { maxBatchBytes: 1.5 },
      { flush: { kind: 'interval' as const, intervalMs: 0 } },
      { timestampType: 'Whenever' as 'CreateTime' },
    ]) {
      assert.throws(() => resolveLogConfig(DEFAULT_LOG_CONFIG, bad), isCode(ErrorCode.INVALID_CONFIG), JSON.stringify(bad));
    }
  });

  it('parses and prints flush policies', () => {
    assert.deepEqual(parseFlushPolicy('always'), { kind: 'always' });
    assert.deepEqual(parseFlushPolicy('none'), { kind: 'none' });
    assert.deepEqual(parseFlushPolicy('interval:250'), { kind: 'interval', intervalMs: 250 });
    assert.equal(formatFlushPolicy({ kind: 'interval', intervalMs: 250 }), 'interval:250');
    for (const bad of ['sometimes', 'interval:', 'interval:0', 'interval:-3'])
      assert.throws(() => parseFlushPolicy(bad), isCode(ErrorCode.INVALID_CONFIG));
  });
});

describe('log manager', () => {
  it('reports a clean shutdown only when the last stop was a close', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    assert.equal(manager.wasCleanShutdown, false);
    await (await manager.createLog('orders', 0)).append(buildBatch());
    await manager.close();
    assert.equal((await readFile(path.join(h.dataDir, '.clean-shutdown'), 'utf8')).split('\n')[0], 'clean');
    manager = await h.open();
    assert.equal(manager.wasCleanShutdown, true);
    assert.ok(!(await readdir(h.dataDir)).includes('.clean-shutdown'), 'the marker is removed at open');
    const checkpoint = await readFile(path.join(h.dataDir, 'recovery-point-offset-checkpoint'), 'utf8');
    assert.deepEqual(checkpoint.split('\n'), ['0', '1', 'orders-0 1', '']);
  });

  it('opens every log dir found, creates, lists and deletes logs', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    for (const [topic, partition] of [
      ['a', 0],
      ['a', 1],
      ['b-c', 3],
    ] as const) {
      await (await manager.createLog(topic, partition)).append(buildBatch());
    }
    await manager.close();
    manager = await h.open();
    assert.deepEqual([...manager.logs()].map((log) => `${log.topic}/${log.partition}`).sort(), ['a/0', 'a/1', 'b-c/3']);
    const again = await manager.createLog('a', 0, { retentionMs: 5000 });
    assert.equal(again, manager.getLog('a', 0), 'createLog of an open log returns it');
    assert.equal(again.config.retentionMs, 5000, 'and applies the config given');
    await manager.deleteLog('a', 1);
    assert.equal(manager.getLog('a', 1), undefined);
    assert.ok(!(await readdir(h.dataDir)).some((name) => name.startsWith('a-1')));
    const fresh = await manager.createLog('a', 1);
    assert.equal(fresh.logEndOffset, 0);
    await manager.deleteLog('never', 0);
  });

  it('creates a log only once when asked concurrently', async (t) => {
    const h = await harness(t);
    const manager = await h.open();
    const [first, second] = await Promise.all([manager.createLog('orders', 0), manager.createLog('orders', 0)]);
    assert.equal(first, second);
  });

  it('refuses invalid topic names and partitions', async (t) => {
    const h = await harness(t);
    const manager = await h.open();
    for (const topic of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(250)]) {
      await assert.rejects(manager.createLog(topic, 0), isCode(ErrorCode.INVALID_TOPIC), topic);
    }
    for (const partition of [-1, 1.5, 2 ** 31]) {
      await assert.rejects(manager.createLog('orders', partition), isCode(ErrorCode.INVALID_PARTITIONS));
    }
  });

  it('keeps other logs working when one log dir cannot be opened', async (t) => {
    const h = await harness(t);
    let manager = await h.open();
    await (await manager.createLog('good', 0)).append(buildBatch());
    await manager.close();
    await writeFile(path.join(h.dataDir, 'bad-0'), 'not a directory');
    await mkdir(path.join(h.dataDir, 'old-0.1a2b3c4d.deleting'));
    manager = await h.open();
    assert.equal(manager.getLog('bad', 0)?.isOffline, true);
    assert.equal((await readAll(manager.getLog('good', 0)!)).length, 1);
    assert.ok(!(await readdir(h.dataDir)).includes('old-0.1a2b3c4d.deleting'), 'an interrupted delete is finished');
  });

  it('refuses calls after close', async (t) => {
    const h = await harness(t);
    const manager = await h.open();
    await manager.close();
    await manager.close();
    await assert.rejects(manager.createLog('orders', 0), isCode(ErrorCode.LOG_CLOSED));
  });
});
