import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, startBroker } from './helpers.ts';

test('topic create, list, describe, alter and delete, as tables and as JSON', async (t) => {
  const broker = await startBroker(t);
  const b = ['--broker', broker.address];

  const created = await runCli(['topic', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', ...b]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'created topic orders with 3 partition(s)\n');
  await runCli(['topic', 'create', 'audit', ...b]);

  const again = await runCli(['topic', 'create', 'orders', ...b]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^error: TOPIC_ALREADY_EXISTS: /);

  const list = await runCli(['topic', 'list', ...b]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, ['TOPIC   PARTITIONS  INTERNAL', 'audit            1  no', 'orders           3  no', ''].join('\n'));
  const listJson = JSON.parse((await runCli(['topic', 'list', '--json', ...b])).stdout) as { name: string; partitionCount: number }[];
  assert.deepEqual(
    listJson.map((topic) => [topic.name, topic.partitionCount]),
    [
      ['audit', 1],
      ['orders', 3],
    ],
  );
  const internal = await runCli(['topic', 'list', '--internal', ...b]);
  assert.match(internal.stdout, /__consumer_offsets\s+\d+\s+yes/);

  await runCli(['produce', 'orders', '--partition', '1', ...b], { input: 'a\nb\n' });
  const describe = await runCli(['topic', 'describe', 'orders', ...b]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /^topic:\s+orders$/m);
  assert.match(describe.stdout, /^partitions:\s+3$/m);
  assert.match(describe.stdout, /^config:\s+retention\.ms=3600000$/m);
  assert.match(describe.stdout, /^PARTITION\s+LEADER\s+EPOCH\s+START\s+END\s+HIGH-WATERMARK\s+BYTES\s+STATUS$/m);
  assert.match(describe.stdout, /^\s+1\s+0\s+\d+\s+0\s+2\s+2\s+\d+\s+online$/m);
  const describeJson = JSON.parse((await runCli(['topic', 'describe', 'orders', '--json', ...b])).stdout) as {
    partitions: { logEndOffset: number }[];
    overrides: Record<string, string>;
  };
  assert.deepEqual(
    describeJson.partitions.map((p) => p.logEndOffset),
    [0, 2, 0],
  );
  assert.deepEqual(describeJson.overrides, { 'retention.ms': '3600000' });

  const altered = await runCli([
    'topic',
    'alter',
    'orders',
    '--partitions',
    '4',
    '--config',
    'retention.bytes=1048576',
    '--delete-config',
    'retention.ms',
    ...b,
  ]);
  assert.equal(altered.code, 0, altered.stderr);
  assert.equal(altered.stdout, 'altered topic orders: 4 partition(s)\n');
  const afterAlter = JSON.parse((await runCli(['topic', 'describe', 'orders', '--json', ...b])).stdout) as {
    partitions: unknown[];
    overrides: Record<string, string>;
  };
  assert.equal(afterAlter.partitions.length, 4);
  assert.deepEqual(afterAlter.overrides, { 'retention.bytes': '1048576' });
  const nothing = await runCli(['topic', 'alter', 'orders', ...b]);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /^error: USAGE: topic alter needs --config, --delete-config or --partitions/);

  const deleted = await runCli(['topic', 'delete', 'orders', ...b]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, 'deleted topic orders\n');
  const missing = await runCli(['topic', 'describe', 'orders', ...b]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: UNKNOWN_TOPIC_OR_PARTITION: /);
  assert.equal((await runCli(['topic', 'list', ...b])).stdout, ['TOPIC  PARTITIONS  INTERNAL', 'audit           1  no', ''].join('\n'));
});
