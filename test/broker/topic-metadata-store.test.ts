import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { ErrorCode, FerryError } from '../../src/common/errors.ts';
import { RecordingLogger } from '../../src/common/logger.ts';
import { metadataDir, type StoredTopic, TopicMetadataStore } from '../../src/broker/topic-metadata-store.ts';
import { NodeFileSystem } from '../../src/storage/node-file-system.ts';
import { type DiskLies, FaultFileSystem, mulberry32, type PowerCutOptions, randomInt, testSeed } from '../helpers/fault-file-system.ts';

/** Stores opened on the real file system; closed after each test (they keep the journal open). */
const openStores: TopicMetadataStore[] = [];

async function dataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-metadata-'));
  t.after(async () => {
    for (const store of openStores.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

function topic(name: string, partitionCount = 1, overrides: Record<string, string> = {}): StoredTopic {
  return { name, topicId: `${name}-id`.padEnd(32, '0'), partitionCount, overrides, isInternal: false, createdAtMs: 1_700_000_000_000 };
}

async function open(dir: string, options: { maxJournalBytes?: number; logger?: RecordingLogger } = {}) {
  const store = new TopicMetadataStore(new NodeFileSystem(), dir, options);
  openStores.push(store);
  const topics = await store.load();
  return { store, topics: topics.sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

const snapshotPath = (dir: string) => join(metadataDir(dir), 'topics.json');
const journalPath = (dir: string) => join(metadataDir(dir), 'topics.journal');

test('a change is one journal record: creates, changes and removals survive a reopen without a snapshot rewrite', async (t) => {
  const dir = await dataDir(t);
  const { store } = await open(dir);
  await store.put(topic('a'));
  await store.put(topic('b'));
  await store.put(topic('a', 3, { 'retention.ms': '1000' }));
  await store.remove('b');
  await store.put(topic('c'));
  assert.equal(await stat(snapshotPath(dir)).catch(() => null), null, 'no snapshot below the journal bound');
  assert.equal((await stat(journalPath(dir))).size, store.journalSizeBytes);
  const { topics } = await open(dir);
  assert.deepEqual(topics, [topic('a', 3, { 'retention.ms': '1000' }), topic('c')]);
});

test('the journal is folded into the snapshot past its bound, and a crash before the journal is emptied changes nothing', async (t) => {
  const dir = await dataDir(t);
  const logger = new RecordingLogger();
  const { store } = await open(dir, { maxJournalBytes: 1000, logger });
  const expected: StoredTopic[] = [];
  for (let i = 0; i < 5; i++) {
    await store.put(topic(`t${i}`));
    expected.push(topic(`t${i}`));
  }
  // Keep the journal as it is just before the change that compacts it.
  const beforeCompaction = join(dir, 'journal-copy');
  await copyFile(journalPath(dir), beforeCompaction);
  for (let i = 5; i < 12 && store.journalSizeBytes > 0; i++) {
    await copyFile(journalPath(dir), beforeCompaction);
    await store.put(topic(`t${i}`));
    expected.push(topic(`t${i}`));
  }
  assert.equal(store.journalSizeBytes, 0, 'compacted');
  assert.equal((await stat(journalPath(dir))).size, 0);
  assert.ok(logger.lines.some((line) => line.msg === 'topic metadata journal compacted'));
  expected.sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual((await open(dir)).topics, expected);
  // A crash after the snapshot was replaced but before the journal was emptied: the old records
  // replay over a snapshot that already holds them.
  await copyFile(beforeCompaction, journalPath(dir));
  assert.deepEqual((await open(dir)).topics, expected);
});

test('a torn last record (cut anywhere, or zeros after a power cut) is ignored with a warning naming the file and offset, and cut off', async (t) => {
  const dir = await dataDir(t);
  const { store } = await open(dir);
  await store.put(topic('kept'));
  const goodBytes = store.journalSizeBytes;
  await store.put(topic('torn', 2));
  const full = await readFile(journalPath(dir));
  const tails: Buffer[] = [];
  for (let cut = goodBytes + 1; cut < full.length; cut += 7) tails.push(full.subarray(0, cut));
  tails.push(Buffer.concat([full.subarray(0, goodBytes), Buffer.alloc(64)])); // size grew, data never landed
  const flipped = Buffer.from(full);
  flipped[full.length - 2] = flipped[full.length - 2]! ^ 0xff; // the whole record, damaged data
  tails.push(flipped);
  for (const tail of tails) {
    await writeFile(journalPath(dir), tail);
    const logger = new RecordingLogger();
    const reopened = await open(dir, { logger });
    assert.deepEqual(reopened.topics, [topic('kept')], `journal of ${tail.length} bytes`);
    const warning = logger.lines.find((line) => line.level === 'warn');
    assert.ok(warning, `a warning for ${tail.length} bytes`);
    assert.match(warning.msg ?? '', /torn last record/);
    assert.deepEqual([(warning.obj as { file: string }).file, (warning.obj as { offset: number }).offset], [journalPath(dir), goodBytes]);
    assert.equal((await stat(journalPath(dir))).size, goodBytes, 'the torn bytes are cut off');
  }
  // The next change lands after the good records and survives.
  const { store: again } = await open(dir);
  await again.put(topic('after'));
  assert.deepEqual((await open(dir)).topics, [topic('after'), topic('kept')]);
});

test('a damaged record with good records after it stops the open with STORAGE_ERROR naming the file and offset', async (t) => {
  const dir = await dataDir(t);
  const { store } = await open(dir);
  await store.put(topic('first'));
  await store.put(topic('second'));
  const data = await readFile(journalPath(dir));
  data[12] = data[12]! ^ 0x01; // inside the first record's payload
  await writeFile(journalPath(dir), data);
  await assert.rejects(open(dir), (error: unknown) => {
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, ErrorCode.STORAGE_ERROR);
    assert.match(error.message, /topics\.journal is unreadable: record at offset 0: CRC mismatch/);
    return true;
  });
});

test('a topics.json written by an older version (no journal) opens, and changes go to a new journal', async (t) => {
  const dir = await dataDir(t);
  await mkdir(metadataDir(dir), { recursive: true });
  const old = [topic('legacy', 4, { 'cleanup.policy': 'compact' })];
  await writeFile(snapshotPath(dir), JSON.stringify({ version: 1, topics: old }, null, 1));
  const { store, topics } = await open(dir);
  assert.deepEqual(topics, old);
  await store.put(topic('new'));
  assert.deepEqual((await open(dir)).topics, [...old, topic('new')]);
  assert.deepEqual(JSON.parse(await readFile(snapshotPath(dir), 'utf8')).topics, old, 'the snapshot is not rewritten per change');
});

test('an unreadable snapshot still stops the open', async (t) => {
  const dir = await dataDir(t);
  await mkdir(metadataDir(dir), { recursive: true });
  await writeFile(snapshotPath(dir), '{"version":1,"topics":[');
  await assert.rejects(open(dir), /topics\.json is unreadable: it is not JSON/);
  await truncate(snapshotPath(dir), 0);
  await assert.rejects(open(dir), /topics\.json is unreadable/);
});

/** Runs rounds of random creates and deletes (compaction included: a 700-byte journal bound) on
 *  an in-memory disk, each cut by a power failure at a random step; counts the rounds that were
 *  cut and those whose reopened list is neither the acknowledged state nor that state plus the
 *  change in flight at the cut. */
async function powerCutRounds(seed: number, lies: DiskLies): Promise<{ cutRounds: number; lostRounds: string[] }> {
  const rng = mulberry32(seed);
  const modes: PowerCutOptions[] = [
    { rng, tearLastWrite: true },
    { rng, sizeWithoutData: true },
    { rng, metadata: 'durableOnly' },
  ];
  let cutRounds = 0;
  const lostRounds: string[] = [];
  for (let round = 0; round < 60; round++) {
    const disk = new FaultFileSystem({ rng });
    disk.lies = lies;
    await disk.mkdir('/data');
    await disk.syncDir('/'); // the data dir exists before the broker does
    const store = new TopicMetadataStore(disk, '/data', { maxJournalBytes: 700 });
    await store.load();
    const acknowledged = new Map<string, StoredTopic>();
    const cut = disk.scheduleCut(randomInt(rng, 1, 60), modes[round % modes.length]!);
    let inFlight: { put: StoredTopic } | { remove: string } | null = null;
    try {
      for (let i = 0; i < 40; i++) {
        const names = [...acknowledged.keys()];
        if (names.length > 0 && rng() < 0.3) {
          const name = names[randomInt(rng, 0, names.length - 1)]!;
          inFlight = { remove: name };
          await store.remove(name);
          acknowledged.delete(name);
        } else {
          const next = topic(`t${i}`, randomInt(rng, 1, 8));
          inFlight = { put: next };
          await store.put(next);
          acknowledged.set(next.name, next);
        }
        inFlight = null;
      }
      disk.cancelScheduledCut();
      continue; // the cut point lay past the last change
    } catch {
      // The mount died at the cut: the change in flight may or may not have survived.
    }
    cutRounds++;
    const after = new TopicMetadataStore(await cut, '/data', { maxJournalBytes: 700 });
    let found: Map<string, StoredTopic>;
    try {
      found = new Map((await after.load()).map((entry) => [entry.name, entry]));
    } catch (error) {
      lostRounds.push(`round ${round}: ${(error as Error).message}`);
      continue;
    }
    const withInFlight = new Map(acknowledged);
    if (inFlight !== null && 'put' in inFlight) withInFlight.set(inFlight.put.name, inFlight.put);
    if (inFlight !== null && 'remove' in inFlight) withInFlight.delete(inFlight.remove);
    if (!isDeepStrictEqual(found, acknowledged) && !isDeepStrictEqual(found, withInFlight)) {
      lostRounds.push(`round ${round}: found ${[...found.keys()].join(',')}, acknowledged ${[...acknowledged.keys()].join(',')}`);
    }
  }
  return { cutRounds, lostRounds };
}

test('power cuts at random points of creates, deletes and compactions keep every acknowledged change (seeded)', async () => {
  const seed = testSeed();
  const { cutRounds, lostRounds } = await powerCutRounds(seed, {});
  assert.ok(cutRounds >= 20, `seed ${seed}: only ${cutRounds} rounds were cut`);
  assert.deepEqual(lostRounds, [], `seed ${seed}`);
});

test('negative control: on a disk whose fsyncs do nothing, the same cuts lose acknowledged changes', async () => {
  const seed = testSeed();
  const { lostRounds } = await powerCutRounds(seed, { sync: true, syncDir: true });
  assert.ok(lostRounds.length > 0, `seed ${seed}: a lying disk lost nothing, so the test proves nothing`);
});
