import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { silentLogger } from '../../../src/common/logger.ts';
import { resolveConfig } from '../../../src/server/config.ts';
import { flagEntries } from '../../../src/server/config-sources.ts';
import { startFerry } from '../../../src/server/server.ts';
import { defer } from '../../server/cleanup.ts';
import type { Json } from './admin-helpers.ts';

/** Polls until `check` holds; the test's own timeout bounds it (no timed assertion). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 25));
}

test('startFerry serves the admin API on its HTTP port: topics, peek, a kafkajs consumer group with its lag, configured bounds', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-admin-'));
  defer(t, () => rm(dataDir, { recursive: true, force: true }));
  const config = resolveConfig({
    flags: flagEntries({ dataDir, nativePort: '0', httpPort: '0', kafkaPort: '0', httpMaxPeekRecords: '50' }),
  });
  const ferry = await startFerry(config, { logger: silentLogger });
  defer(t, () => ferry.close());
  const base = `http://127.0.0.1:${ferry.httpPort}`;
  const getJson = async (path: string): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: await response.json() };
  };

  const created = await fetch(`${base}/api/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'payments', partitions: 1 }),
  });
  assert.equal(created.status, 201);

  const kafka = new Kafka({ clientId: 'admin-e2e', brokers: [`127.0.0.1:${ferry.kafkaPort}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  defer(t, () => producer.disconnect());
  await producer.send({ topic: 'payments', messages: [{ key: 'a', value: 'one' }, { value: 'two' }, { value: 'three' }] });

  const peek = await getJson('/api/topics/payments/partitions/0/records');
  assert.equal(peek.status, 200);
  assert.deepEqual(
    peek.body.records.map((r: { value: string }) => r.value),
    ['one', 'two', 'three'],
  );
  assert.equal(peek.body.records[0].key, 'a');

  const consumer = kafka.consumer({ groupId: 'billing' });
  await consumer.connect();
  defer(t, () => consumer.disconnect());
  await consumer.subscribe({ topic: 'payments', fromBeginning: true });
  let seen = 0;
  await consumer.run({
    eachMessage: async () => {
      seen++;
    },
  });
  await until(async () => {
    const group = await getJson('/api/groups/billing');
    return group.status === 200 && group.body.offsets.some((o: { committedOffset: number }) => o.committedOffset === 3);
  });
  assert.equal(seen, 3);
  const group = await getJson('/api/groups/billing');
  assert.equal(group.body.state, 'Stable');
  assert.equal(group.body.members.length, 1);
  assert.deepEqual(group.body.members[0].assignedPartitions, [{ topic: 'payments', partitions: [0] }]);
  assert.equal(group.body.totalLag, 0);
  assert.equal(group.body.offsets[0].memberId, group.body.members[0].memberId);
  const groups = await getJson('/api/groups');
  assert.ok(groups.body.groups.some((g: { groupId: string; state: string }) => g.groupId === 'billing' && g.state === 'Stable'));

  // A member is still in the group: it cannot be deleted.
  const busy = await fetch(`${base}/api/groups/billing`, { method: 'DELETE' });
  assert.equal(busy.status, 409);
  assert.equal(((await busy.json()) as Json).error.code, 'NON_EMPTY_GROUP');

  // The configured bound (http.maxPeekRecords 50) is the one in force and in the document.
  const tooMany = await getJson('/api/topics/payments/partitions/0/records?limit=51');
  assert.equal(tooMany.status, 400);
  const document = await getJson('/api/openapi.json');
  const limit = document.body.paths['/api/topics/{topic}/partitions/{partition}/records'].get.parameters.find(
    (p: { name: string }) => p.name === 'limit',
  );
  assert.equal(limit.schema.maximum, 50);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});
