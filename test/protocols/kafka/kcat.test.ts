import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRecordBatches } from '../../../src/common/record-batch.ts';
import type { KafkaHarness } from './helpers.ts';
import { startKafka } from './helpers.ts';
import { kcat, kcatAvailability, spawnKcat } from './kcat.ts';

const { skipReason } = kcatAvailability();

/** Every record of a partition through the broker API: [offset, key, value, compression]. */
async function storedRecords(h: KafkaHarness, topic: string, partition: number) {
  const out: { offset: number; key: string | null; value: string; compression: string }[] = [];
  let offset = 0;
  for (;;) {
    const [result] = await h.broker.fetch({
      partitions: [{ topic, partition, offset, maxBytes: 8 * 1024 * 1024 }],
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 * 1024 * 1024,
    });
    assert.ok(result && !result.error, result?.error?.message);
    const before = out.length;
    for (const batch of decodeRecordBatches(result.records)) {
      for (const r of batch.records) {
        if (r.offset >= offset)
          out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? '', compression: batch.compression });
      }
    }
    if (out.length === before) return out;
    offset = out.at(-1)!.offset + 1;
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const FAST_CONSUMER = ['-X', 'fetch.wait.max.ms=50', '-X', 'socket.nagle.disable=true'];

describe('kcat (librdkafka 2.x) against Ferry', { skip: skipReason }, () => {
  test('produces 100,000 lines and reads them back in order, at the offsets the broker API shows', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('lines', { partitions: 1 });
    const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 40)}`);
    await kcat(h.bootstrap, ['-P', '-t', 'lines', '-p', '0'], `${lines.join('\n')}\n`);

    const consumed = await kcat(h.bootstrap, ['-C', '-t', 'lines', '-p', '0', '-o', 'beginning', '-e', '-q', ...FAST_CONSUMER]);
    assert.deepEqual(consumed.split('\n').slice(0, -1), lines);

    const stored = await storedRecords(h, 'lines', 0);
    assert.equal(stored.length, lines.length);
    stored.forEach((record, i) => {
      assert.equal(record.offset, i);
      assert.equal(record.value, lines[i]);
    });
  });

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    test(`-z ${codec}: batches are stored compressed as sent and read back intact`, async (t) => {
      const h = await startKafka(t);
      const topic = `kcat-${codec}`;
      await h.broker.createTopic(topic, { partitions: 1 });
      const lines = Array.from({ length: 2000 }, (_, i) => `${codec} line ${i} ${'compressible '.repeat(6)}`);
      await kcat(h.bootstrap, ['-P', '-t', topic, '-p', '0', '-z', codec, '-K', ':'], `${lines.map((l, i) => `k${i}:${l}`).join('\n')}\n`);

      const stored = await storedRecords(h, topic, 0);
      assert.deepEqual(
        stored.map((r) => r.value),
        lines,
      );
      assert.deepEqual(
        stored.map((r) => r.key),
        lines.map((_, i) => `k${i}`),
      );
      assert.ok(
        stored.every((r) => r.compression === codec),
        `every batch is ${codec}`,
      );

      const consumed = await kcat(h.bootstrap, ['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%o %k %s\\n', ...FAST_CONSUMER]);
      assert.deepEqual(
        consumed.split('\n').slice(0, -1),
        lines.map((l, i) => `${i} k${i} ${l}`),
      );
    });
  }

  test('-G balanced consumers split the partitions, consume everything and commit it', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('balanced', { partitions: 4 });
    const members = [0, 1].map(() =>
      spawnKcat(h.bootstrap, ['-G', 'kcat-group', '-o', 'beginning', '-q', '-f', '%p %o %s\\n', ...FAST_CONSUMER, 'balanced']),
    );
    t.after(() => {
      for (const m of members) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    });
    await until('both kcat members hold two partitions each', () => {
      const group = h.broker.listGroups().find((g) => g.groupId === 'kcat-group');
      if (group?.state !== 'Stable') return false;
      const described = h.broker.describeGroup('kcat-group');
      return (
        described.members.length === 2 && described.members.every((m) => m.assignedPartitions.flatMap((a) => a.partitions).length === 2)
      );
    });

    const lines = Array.from({ length: 1000 }, (_, i) => `key${i}:value ${i}`);
    await kcat(h.bootstrap, ['-P', '-t', 'balanced', '-K', ':'], `${lines.join('\n')}\n`);
    const seen = () => new Set(members.flatMap((m) => m.lines).map((l) => l.split(' ').slice(2).join(' ')));
    await until('every line is consumed', () => seen().size === 1000);
    for (const m of members) assert.ok(m.lines.length > 0, 'each member consumed some');

    // Both members commit (auto commit): the group's offsets reach every partition's end.
    await until(
      'committed offsets reach the log end',
      () => {
        const group = h.broker.describeGroup('kcat-group');
        return group.offsets.length === 4 && group.offsets.every((o) => o.lag === 0);
      },
      15_000,
    );
    for (const m of members) m.child.kill('SIGTERM');
  });

  test('-L lists this broker and the topics with their partitions', async (t) => {
    const h = await startKafka(t);
    await h.broker.createTopic('listed', { partitions: 3 });
    const metadata = JSON.parse(await kcat(h.bootstrap, ['-L', '-J'])) as {
      brokers: { id: number; name: string }[];
      topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[] }[] }[];
    };
    assert.deepEqual(metadata.brokers, [{ id: 0, name: `127.0.0.1:${h.server.port}` }]);
    const listed = metadata.topics.find((topic) => topic.topic === 'listed');
    assert.deepEqual(
      listed?.partitions.map((p) => [p.partition, p.leader, p.replicas.map((r) => r.id)]),
      [
        [0, 0, [0]],
        [1, 0, [0]],
        [2, 0, [0]],
      ],
    );
  });
});
