import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../src/storage/group-commit.ts';
import { buildBatch } from './batch-fixtures.ts';
import { CountingFileSystem, harness } from './storage-helpers.ts';

describe('flush policy always: group commit', () => {
  it('coalesces 64 concurrent appends into a few fdatasyncs and resolves each only after its sync', async (t) => {
    const fs = new CountingFileSystem();
    fs.syncDelayMs = 15;
    const h = await harness(t, { segmentBytes: 1 << 30, flush: { kind: 'always' } });
    const manager = await h.open({ fs });
    const log = await manager.createLog('orders', 0);
    await log.append(buildBatch()); // creates the dir entries and syncs them once
    const syncsBefore = fs.syncs;
    const completedBefore = fs.syncsCompleted;
    const writesBefore = fs.writes;
    const seenAtResolve: number[] = [];
    await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        log.append(buildBatch({ payloadBytes: 1000, fill: i })).then(() => seenAtResolve.push(fs.syncsCompleted - completedBefore)),
      ),
    );
    const syncs = fs.syncs - syncsBefore;
    assert.ok(syncs >= 1 && syncs <= 4, `64 appends took ${syncs} syncs`);
    assert.ok(
      seenAtResolve.every((completed) => completed >= 1),
      'no append resolved before a sync completed',
    );
    assert.ok(fs.writes - writesBefore < 64, `appends queued behind a write share one (${fs.writes - writesBefore} writes)`);
  });

  it('an append resolves only after a sync that started after its write (unit)', async () => {
    const events: string[] = [];
    const finishers: (() => void)[] = [];
    const commit = new GroupCommit<string>(
      () => {
        events.push('sync');
        return new Promise<void>((resolve) => finishers.push(resolve));
      },
      (items, error) => {
        assert.equal(error, undefined);
        for (const item of items) events.push(`durable ${item}`);
      },
    );
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    commit.add('a');
    commit.add('b'); // written while the first sync runs: it waits for the next one
    assert.deepEqual(events, ['sync']);
    finishers.shift()!();
    await settle();
    assert.deepEqual(events, ['sync', 'durable a', 'sync']);
    commit.add('c');
    commit.add('d');
    finishers.shift()!();
    await settle();
    assert.deepEqual(events, ['sync', 'durable a', 'sync', 'durable b', 'sync']);
    finishers.shift()!();
    await commit.whenIdle();
    assert.deepEqual(events, ['sync', 'durable a', 'sync', 'durable b', 'sync', 'durable c', 'durable d']);
    assert.equal(commit.syncCount, 3);
  });

  it('rejects the appends a failed sync covered, takes the partition offline, and never acks after it', async (t) => {
    const fs = new CountingFileSystem();
    const h = await harness(t, { flush: { kind: 'always' } });
    const manager = await h.open({ fs });
    const log = await manager.createLog('orders', 0);
    const other = await manager.createLog('orders', 1);
    await log.append(buildBatch());
    fs.failSyncs = true;
    const isOffline = (error: unknown) => (error as { code?: string }).code === 'PARTITION_OFFLINE';
    await assert.rejects(log.append(buildBatch()), isOffline);
    assert.equal(log.isOffline, true);
    const errors = h.logger.lines.filter((line) => line.level === 'error');
    assert.equal(errors.length, 1);
    fs.failSyncs = false;
    await assert.rejects(log.append(buildBatch()), isOffline);
    assert.equal(other.isOffline, false);
    assert.equal((await other.append(buildBatch())).baseOffset, 0);
  });
});

describe('flush policies interval and none', () => {
  it('interval: appends resolve before any sync, and a sync follows within the interval', async (t) => {
    const fs = new CountingFileSystem();
    const h = await harness(t, { segmentBytes: 1 << 30, flush: { kind: 'interval', intervalMs: 500 } });
    const manager = await h.open({ fs });
    const log = await manager.createLog('orders', 0);
    const before = fs.syncs;
    await Promise.all(Array.from({ length: 20 }, () => log.append(buildBatch())));
    assert.equal(fs.syncs, before, 'no sync on the append path');
    const deadline = Date.now() + 5000;
    while (fs.syncs === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(fs.syncs > before, 'the interval flush ran');
  });

  it('none: no sync on appends; flush() forces one', async (t) => {
    const fs = new CountingFileSystem();
    const h = await harness(t, { segmentBytes: 1 << 30, flush: { kind: 'none' } });
    const manager = await h.open({ fs });
    const log = await manager.createLog('orders', 0);
    for (let i = 0; i < 20; i++) await log.append(buildBatch());
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(fs.syncs, 0);
    await log.flush();
    assert.equal(fs.syncs, 1);
  });
});
