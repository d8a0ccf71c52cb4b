/**
 * The fault file system is the judge of the power-loss tests, so its model is tested first:
 * what a cut keeps, what it loses, and that injected faults look like the kernel's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, toFerryError } from '../../src/common/errors.ts';
import { checkBatch, patchBaseOffset } from '../../src/common/record-batch-header.ts';
import { FaultFileSystem, mulberry32, testSeed } from '../helpers/fault-file-system.ts';
import { LogChecker, type ObservedItem, violations } from './fixtures/checker.ts';
import { buildTestBatch, decodeTestBatches, randomRecords, type ReadRecord, valueHash } from './fixtures/test-batches.ts';

const seed = testSeed();

async function fileWith(fs: FaultFileSystem, filePath: string, data: Buffer, { sync }: { sync: boolean }): Promise<void> {
  const file = await fs.open(filePath, 'create');
  await file.write(data, 0);
  if (sync) await file.sync();
  await file.close();
}

describe('fault file system: what a power cut keeps', () => {
  it('keeps fsynced bytes and drops unsynced ones', async () => {
    const fs = new FaultFileSystem();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    const file = await fs.open('/d/a', 'create');
    await fs.syncDir('/d');
    await file.write(Buffer.from('durable'), 0);
    await file.sync();
    await file.write(Buffer.from('-volatile'), 7);
    assert.equal((await fs.readFile('/d/a')).toString(), 'durable-volatile');
    const after = fs.powerCut({ rng: mulberry32(seed), tearLastWrite: false, metadata: 'durableOnly' });
    assert.equal((await after.readFile('/d/a')).toString(), 'durable');
    assert.deepEqual(fs.lastCut?.filesWithLoss, ['/d/a']);
  });

  it('loses a fsynced file whose directory entry was never synced', async () => {
    const fs = new FaultFileSystem();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    await fileWith(fs, '/d/new', Buffer.from('x'), { sync: true });
    const lost = fs.powerCut({ rng: mulberry32(seed), metadata: 'durableOnly' });
    assert.equal(await lost.exists('/d/new'), false);

    const fs2 = new FaultFileSystem();
    await fs2.mkdir('/d');
    await fs2.syncDir('/');
    await fileWith(fs2, '/d/new', Buffer.from('x'), { sync: true });
    await fs2.syncDir('/d');
    const kept = fs2.powerCut({ rng: mulberry32(seed), metadata: 'durableOnly' });
    assert.equal((await kept.readFile('/d/new')).toString(), 'x');
  });

  it('loses a whole directory whose creation was never synced in its parent', async () => {
    const fs = new FaultFileSystem();
    await fs.mkdir('/data/t-0');
    await fileWith(fs, '/data/t-0/f', Buffer.from('x'), { sync: true });
    await fs.syncDir('/data/t-0');
    const after = fs.powerCut({ rng: mulberry32(seed), metadata: 'durableOnly' });
    assert.equal(await after.exists('/data'), false);
  });

  it('undoes an unsynced rename and an unsynced unlink', async () => {
    const fs = new FaultFileSystem();
    await fileWith(fs, '/a', Buffer.from('A'), { sync: true });
    await fileWith(fs, '/b', Buffer.from('B'), { sync: true });
    await fs.syncDir('/');
    await fs.rename('/a', '/c');
    await fs.unlink('/b');
    assert.deepEqual((await fs.readdir('/')).sort(), ['c']);
    const after = fs.powerCut({ rng: mulberry32(seed), metadata: 'durableOnly' });
    assert.deepEqual((await after.readdir('/')).sort(), ['a', 'b']);
  });

  it('keeps a random prefix of unsynced directory changes, never a later one without an earlier one', async () => {
    const rng = mulberry32(seed);
    for (let round = 0; round < 200; round++) {
      const fs = new FaultFileSystem({ rng });
      for (let i = 0; i < 5; i++) await fileWith(fs, `/f${i}`, Buffer.from(String(i)), { sync: true });
      const after = fs.powerCut({ rng });
      const names = (await after.readdir('/')).sort();
      assert.deepEqual(
        names,
        Array.from({ length: names.length }, (_, i) => `f${i}`),
      );
    }
  });

  it('tears the unsynced tail: durable bytes, then a prefix of the later writes', async () => {
    const rng = mulberry32(seed);
    const durable = Buffer.from('0123456789');
    const tail = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    let sawTorn = false;
    let sawZeros = false;
    for (let round = 0; round < 300; round++) {
      const fs = new FaultFileSystem({ rng });
      const file = await fs.open('/f', 'create');
      await fs.syncDir('/');
      await file.write(durable, 0);
      await file.sync();
      await file.write(tail.subarray(0, 13), 10);
      await file.write(tail.subarray(13), 23);
      const after = fs.powerCut({ rng, tearLastWrite: true });
      const got = await after.readFile('/f');
      assert.ok(got.length >= durable.length && got.length <= durable.length + tail.length, `length ${got.length}`);
      assert.deepEqual(got.subarray(0, 10), durable);
      const kept = got.subarray(10);
      const matches = kept.equals(tail.subarray(0, kept.length));
      const zeroed = !matches && kept.subarray(kept.indexOf(0)).every((byte) => byte === 0);
      assert.ok(matches || zeroed, `torn tail is a prefix or zero-filled: ${JSON.stringify(kept.toString())}`);
      if (kept.length > 0 && kept.length < tail.length) sawTorn = true;
      if (zeroed) sawZeros = true;
    }
    assert.ok(sawTorn, 'some cut tore a write');
    assert.ok(sawZeros, 'some cut left a zero-filled tail');
  });

  it('with reordered writeback, keeps a later unsynced write without an earlier one (a hole of zeros)', async () => {
    const rng = mulberry32(seed);
    let sawHoleThenData = false;
    for (let round = 0; round < 100 && !sawHoleThenData; round++) {
      const fs = new FaultFileSystem({ rng });
      const file = await fs.open('/f', 'create');
      await fs.syncDir('/');
      await file.write(Buffer.alloc(10, 1), 0);
      await file.write(Buffer.alloc(10, 2), 10);
      const got = await fs.powerCut({ rng, reorderUnsynced: true }).readFile('/f');
      for (const byte of got.subarray(10)) assert.ok(byte === 0 || byte === 2);
      if (got.length === 20 && got[0] === 0 && got[19] === 2) sawHoleThenData = true;
    }
    assert.ok(sawHoleThenData);
  });

  it('is deterministic for a seed', async () => {
    const run = async (): Promise<string> => {
      const rng = mulberry32(seed);
      const fs = new FaultFileSystem({ rng });
      for (let i = 0; i < 8; i++) {
        const file = await fs.open(`/f${i}`, 'create');
        for (let w = 0; w < 6; w++) await file.write(Buffer.alloc(100, w), w * 100);
        if (i % 2 === 0) await file.sync();
      }
      const after = fs.powerCut({ rng, tearLastWrite: true });
      const parts: string[] = [];
      for (const name of (await after.readdir('/')).sort()) parts.push(`${name}:${(await after.readFile(`/${name}`)).toString('hex')}`);
      return parts.join('|');
    };
    assert.equal(await run(), await run());
  });

  it('writeFileAtomic leaves the old or the new contents at every cut point, never a mix', async () => {
    for (let cutAt = 1; cutAt <= 8; cutAt++) {
      for (const metadata of ['durableOnly', 'randomPrefix'] as const) {
        const rng = mulberry32(seed + cutAt);
        const fs = new FaultFileSystem({ rng });
        await fs.mkdir('/d');
        await fs.syncDir('/');
        await fs.writeFileAtomic('/d/checkpoint', Buffer.from('old contents'));
        const cut = fs.scheduleCut(cutAt, { rng, tearLastWrite: true, metadata });
        const attempt = fs.writeFileAtomic('/d/checkpoint', Buffer.from('new contents!')).then(
          () => 'done',
          () => 'failed',
        );
        const outcome = await attempt;
        const after = outcome === 'done' ? fs.powerCut({ rng, tearLastWrite: true, metadata }) : await cut;
        const got = (await after.readFile('/d/checkpoint')).toString();
        if (outcome === 'done') assert.equal(got, 'new contents!', `cut ${cutAt}: a completed replace is durable`);
        else assert.ok(got === 'old contents' || got === 'new contents!', `cut ${cutAt} (${metadata}): got ${JSON.stringify(got)}`);
      }
    }
  });
});

describe('fault file system: the old mount dies with the power', () => {
  it('fails every call and every open handle with EIO after a cut', async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open('/f', 'create');
    fs.powerCut({ rng: mulberry32(seed) });
    await assert.rejects(file.write(Buffer.from('x'), 0), { code: 'EIO' });
    await assert.rejects(file.sync(), { code: 'EIO' });
    await assert.rejects(fs.open('/g', 'create'), { code: 'EIO' });
    await assert.rejects(fs.readdir('/'), { code: 'EIO' });
  });

  it('cuts at the scheduled mutation: that call fails, the ones before it happened', async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open('/f', 'create'); // mutation 1
    await fs.syncDir('/'); // 2
    const next = fs.scheduleCut(3, { rng: mulberry32(seed), metadata: 'durableOnly' });
    await file.write(Buffer.from('a'), 0); // 3
    await file.sync(); // 4
    await assert.rejects(file.write(Buffer.from('b'), 1), { code: 'EIO' }); // 5: the cut
    const after = await next;
    assert.equal((await after.readFile('/f')).toString(), 'a');
    assert.equal(fs.alive, false);
    assert.equal(after.alive, true);
  });

  it('does not count a sync that completes after the cut', async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open('/f', 'create');
    await fs.syncDir('/');
    await file.write(Buffer.from('a'), 0);
    const syncing = file.sync();
    const after = fs.powerCut({ rng: mulberry32(seed), metadata: 'durableOnly' });
    await assert.rejects(syncing, { code: 'EIO' });
    assert.equal((await after.readFile('/f')).length, 0);
  });
});

describe('fault file system: injected errors', () => {
  it('fails the nth write with ENOSPC, which Ferry reports as DISK_FULL', async () => {
    const fs = new FaultFileSystem();
    fs.injectFault({ op: 'write', code: 'ENOSPC', nth: 2 });
    const file = await fs.open('/f', 'create');
    await file.write(Buffer.from('a'), 0);
    const error = await file.write(Buffer.from('b'), 1).then(
      () => null,
      (caught: unknown) => caught,
    );
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
    assert.equal(toFerryError(error).code, ErrorCode.DISK_FULL);
    await file.write(Buffer.from('c'), 1);
    assert.equal((await fs.readFile('/f')).toString(), 'ac');
  });

  it('a short write keeps its first bytes before the error', async () => {
    const fs = new FaultFileSystem();
    fs.injectFault({ op: 'write', code: 'ENOSPC', partialBytes: 3 });
    const file = await fs.open('/f', 'create');
    await assert.rejects(file.write(Buffer.from('abcdef'), 0), { code: 'ENOSPC' });
    assert.equal((await fs.readFile('/f')).toString(), 'abc');
  });

  it('a failed fsync dooms the writes it covered, even when a later fsync succeeds (fsyncgate)', async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open('/f', 'create');
    await fs.syncDir('/');
    fs.injectFault({ op: 'sync', code: 'EIO' });
    await file.write(Buffer.from('lost'), 0);
    await assert.rejects(file.sync(), { code: 'EIO' });
    await file.write(Buffer.from('kept'), 4);
    await file.sync();
    const after = fs.powerCut({ rng: mulberry32(seed), tearLastWrite: true });
    const got = await after.readFile('/f');
    assert.equal(got.subarray(4).toString(), 'kept');
    assert.deepEqual(got.subarray(0, 4), Buffer.alloc(4), 'the doomed bytes never reached the disk');
  });

  it('limits a fault to paths and repeats it `times` times', async () => {
    const fs = new FaultFileSystem();
    fs.injectFault({ op: 'sync', code: 'EIO', pathIncludes: '.log', times: 2 });
    const index = await fs.open('/0.index', 'create');
    const log = await fs.open('/0.log', 'create');
    await index.sync();
    await assert.rejects(log.sync(), { code: 'EIO' });
    await assert.rejects(log.sync(), { code: 'EIO' });
    await log.sync();
    assert.equal(fs.stats.faultsFired, 2);
  });
});

describe('test batches and the checker', () => {
  it('builds v2 batches that pass the broker check and decode back to the same records', () => {
    const rng = mulberry32(seed);
    const records = randomRecords(rng, 'a1.7', 5, 300);
    const batch = buildTestBatch(records, { producerId: 1, baseSequence: 7, timestampMs: 1_700_000_000_000 });
    assert.equal(checkBatch(batch, 0, batch.length, { maxBatchBytes: 1 << 20 }), batch.length);
    patchBaseOffset(batch, 0, 40);
    const read: ReadRecord[] = [];
    const [decoded] = decodeTestBatches(batch, read);
    assert.equal(decoded?.isCrcValid, true);
    assert.equal(decoded?.baseOffset, 40);
    assert.equal(decoded?.lastOffset, 44);
    assert.deepEqual(
      read,
      records.map((record, i) => ({ offset: 40 + i, id: record.id, hash: valueHash(record.value), isBatchValid: true })),
    );
    batch[batch.length - 1]! ^= 1;
    assert.equal(decodeTestBatches(batch, null)[0]?.isCrcValid, false);
  });

  const item = (id: string, offset: number): ObservedItem => ({
    id,
    firstOffset: offset,
    lastOffset: offset,
    digest: `d-${id}`,
    isValid: true,
  });

  it('counts lost, duplicated, unexpected, corrupt, inconsistent, non-monotonic and gaps', () => {
    const checker = new LogChecker();
    for (const id of ['a', 'b', 'c', 'd']) checker.sent('p0', id, `d-${id}`);
    checker.acked('p0', 'a', 0, 0, 1);
    checker.acked('p0', 'b', 1, 1, 1);
    checker.acked('p0', 'c', 2, 2, 1);
    const counts = checker.observe('p0', [item('a', 0), item('a', 1), item('x', 2), { ...item('d', 4), digest: 'bad' }, item('b', 3)], {
      logEndOffset: 4,
    });
    assert.deepEqual(counts, {
      lost: 1, // c
      lostUnflushed: 0,
      vanished: 0,
      duplicated: 1, // a twice
      unexpected: 1, // x
      corrupt: 1, // d
      inconsistentOffsets: 2, // a read at 1, acknowledged at 0; b read at 3, acknowledged at 1
      nonMonotonic: 1, // b at 3 after 4
      gaps: 1, // 3 skipped before d
    });
  });

  it('lets the unflushed window go, but not what an earlier recovery showed', () => {
    const checker = new LogChecker();
    for (const id of ['a', 'b', 'c']) checker.sent('p0', id, `d-${id}`);
    checker.acked('p0', 'a', 0, 0, 10);
    checker.acked('p0', 'b', 1, 1, 20);
    assert.deepEqual(
      checker.observe('p0', [item('a', 0)], { logEndOffset: 1, mustSurvive: (_offset, ackedAtMs) => ackedAtMs < 15 }).lostUnflushed,
      1,
    );
    checker.sent('p0', 'c', 'd-c');
    assert.equal(violations(checker.observe('p0', [item('a', 0), item('c', 1)], { logEndOffset: 2 })), 0, 'offset 1 may be reused');
    const later = checker.observe('p0', [item('a', 0)], { logEndOffset: 1 });
    assert.equal(later.vanished, 1, 'c was shown by a recovery, then lost');
    assert.equal(violations(checker.totals), 1);
  });
});
