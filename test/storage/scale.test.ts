/**
 * 10,000 partitions open at once under a bounded descriptor pool: every log appends and reads
 * back, and the process never holds more than maxOpenFiles descriptors for them (counted in
 * /proc/self/fd, as `ulimit -n` would).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { it } from 'node:test';
import { buildBatch, parseBatches } from './batch-fixtures.ts';
import { harness } from './storage-helpers.ts';

const PARTITIONS = Number(process.env.FERRY_SCALE_PARTITIONS ?? 10_000);
/** What is measured is descriptors, not the disk: on tmpfs (when there is one) the 20,000
 *  mkdirs, creates and fsyncs of 10,000 logs take seconds instead of a minute on a busy disk.
 *  FERRY_SCALE_DIR picks another place. */
const BASE_DIR = process.env.FERRY_SCALE_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : undefined);
const MAX_OPEN_FILES = 256;
/** Descriptors the pool does not own: a syncDir or an atomic checkpoint write in flight. */
const SLACK_FDS = 16;

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

it(`opens ${PARTITIONS} partitions with at most ${MAX_OPEN_FILES} descriptors, appends to and reads back each`, {
  timeout: 120_000,
}, async (t) => {
  const h = await harness(t, { segmentBytes: 1 << 20, indexIntervalBytes: 4096, flush: { kind: 'none' } }, BASE_DIR);
  const baseline = await openFds();
  let peak = 0;
  const sample = async (): Promise<void> => {
    peak = Math.max(peak, (await openFds()) - baseline);
  };
  let manager = await h.open({ maxOpenFiles: MAX_OPEN_FILES, openConcurrency: 32 });
  const topics = Array.from({ length: PARTITIONS }, (_, i) => ({ topic: `t${i % 100}`, partition: Math.floor(i / 100) }));
  const chunk = 500;
  for (let start = 0; start < PARTITIONS; start += chunk) {
    await Promise.all(
      topics.slice(start, start + chunk).map(async ({ topic, partition }, i) => {
        const log = await manager.createLog(topic, partition);
        await log.append(buildBatch({ records: 2, fill: (start + i) % 256 }));
      }),
    );
    await sample();
  }
  for (let start = 0; start < PARTITIONS; start += chunk) {
    await Promise.all(
      topics.slice(start, start + chunk).map(async ({ topic, partition }, i) => {
        const { data } = await manager.getLog(topic, partition)!.read(0, 1000);
        const [batch] = parseBatches(data);
        assert.equal(batch?.payload[0], (start + i) % 256);
      }),
    );
    await sample();
  }
  await manager.close();
  // And after a restart: all of them found and opened under the same bound; a sample read back
  // and appended to (every log again would only repeat the churn measured above).
  manager = await h.open({ maxOpenFiles: MAX_OPEN_FILES, openConcurrency: 32 });
  await sample();
  assert.equal([...manager.logs()].length, PARTITIONS);
  await Promise.all(
    topics
      .filter((_, i) => i % 10 === 0)
      .map(async ({ topic, partition }) => {
        const log = manager.getLog(topic, partition)!;
        assert.equal(log.logEndOffset, 2);
        assert.equal((await log.append(buildBatch())).baseOffset, 2);
      }),
  );
  await sample();
  await manager.close();
  console.log(`peak descriptors above baseline: ${peak} (pool bound ${MAX_OPEN_FILES})`);
  assert.ok(peak <= MAX_OPEN_FILES + SLACK_FDS, `peak ${peak} descriptors above baseline`);
});
