import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from './helpers.ts';
import { describeSub, lines, ok, setupTopic, useQueueBroker } from './queue-harness.ts';

const h = useQueueBroker();

describe('ferry sub and ferry dlq against a real broker', () => {
  test('sub create, list, describe and delete', async () => {
    await setupTopic(h, 'orders', [], 2);
    assert.equal(
      await ok(h, ['sub', 'create', 'orders', 'billing', '--mode', 'key_shared', '--ack-timeout', '1m', '--max-deliveries', '3']),
      'subscription billing on orders (key_shared)\n',
    );
    await h.client.admin().createSubscription('orders', 'audit', { mode: 'failover', startAt: 'latest' });
    const table = lines(await ok(h, ['sub', 'list', 'orders']));
    assert.match(table[0]!, /^TOPIC\s+SUBSCRIPTION\s+MODE\s+CONSUMERS$/);
    assert.match(table[1]!, /^orders\s+audit\s+failover\s+0$/);
    assert.match(table[2]!, /^orders\s+billing\s+key_shared\s+0$/);

    const producer = h.client.producer();
    await producer.send({ topic: 'orders', messages: [{ value: 'o1' }, { value: 'o2' }, { value: 'o3' }] });
    await producer.close();
    const description = await describeSub(h, 'orders', 'billing');
    assert.equal(description.backlog, 3);
    assert.equal(description.options.ackTimeoutMs, 60_000);
    assert.equal(description.options.maxDeliveries, 3);
    const text = await ok(h, ['sub', 'describe', 'orders', 'billing']);
    assert.match(text, /^backlog:\s+3$/m);
    assert.match(text, /^in flight:\s+0$/m);
    assert.match(text, /^redeliveries:\s+0$/m);
    assert.match(text, /^oldest unacked age:\s+\d+(\.\d)? m?s$/m);
    assert.match(text, /^dead-letter topic:\s+orders\.billing\.dlq$/m);
    assert.match(text, /PARTITION\s+ACK-FLOOR\s+HIGH-WATERMARK\s+BACKLOG\s+IN-FLIGHT\s+AWAITING-REDELIVERY/);

    assert.equal(await ok(h, ['sub', 'delete', 'orders', 'billing']), 'deleted subscription billing on orders\n');
    assert.deepEqual(
      (await h.client.admin().listSubscriptions('orders')).map((s) => s.name),
      ['audit'],
    );
    const missing = await runCli(['sub', 'describe', 'orders', 'billing', ...h.b]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: SUBSCRIPTION_NOT_FOUND: /);
    const noTopic = await runCli(['sub', 'list', 'no-such-topic', '--json', ...h.b]);
    assert.equal(noTopic.code, 1);
    assert.match(noTopic.stderr, /^error: UNKNOWN_TOPIC_OR_PARTITION: /);
  });

  test('dlq replay moves dead letters back; consume gets them again', async () => {
    await setupTopic(h, 'flaky', ['poison']);
    await h.client.admin().createSubscription('flaky', 's', { mode: 'shared', maxDeliveries: 1 });
    // Printed without an ack: it returns to the queue with one delivery, the most allowed.
    assert.deepEqual(lines(await ok(h, ['consume', 'flaky', '--subscription', 's', '--ack', 'manual', '-n', '1'])), ['poison']);
    // The next consumer's dispatch dead-letters it instead of delivering it.
    const none = await runCli(['consume', 'flaky', '--subscription', 's', '-n', '1', '--timeout-ms', '500', ...h.b]);
    assert.equal(none.code, 1);
    assert.equal((await describeSub(h, 'flaky', 's')).deadLettered, 1);

    assert.equal(await ok(h, ['dlq', 'replay', 'flaky', 's', '--max', '10']), 'replayed 1 record(s) from flaky.s.dlq to flaky\n');
    assert.deepEqual(lines(await ok(h, ['consume', 'flaky', '--subscription', 's', '-n', '1'])), ['poison']);
    assert.deepEqual(JSON.parse(await ok(h, ['dlq', 'replay', 'flaky', 's', '--json'])), { deadLetterTopic: 'flaky.s.dlq', replayed: 0 });
  });

  test('topic create --config and topic alter set the queue policy through ferry.queue.* keys (native admin)', async () => {
    await ok(h, [
      'topic',
      'create',
      'limited',
      '--partitions',
      '1',
      '--config',
      'ferry.queue.backlog.max.records=2',
      'ferry.queue.ttl.ms=600000',
    ]);
    assert.deepEqual(await h.client.admin().describeTopicQueuePolicy('limited'), {
      ttlMs: 600000,
      limits: { overflow: 'reject_publish', maxRecords: 2 },
    });
    await ok(h, ['topic', 'alter', 'limited', '--config', 'ferry.queue.retention=until_acked', '--delete-config', 'ferry.queue.ttl.ms']);
    assert.deepEqual(await h.client.admin().describeTopicQueuePolicy('limited'), {
      limits: { overflow: 'reject_publish', maxRecords: 2 },
      retention: 'until_acked',
    });
    const bad = await runCli(['topic', 'alter', 'limited', '--config', 'ferry.queue.ttl.action=explode', ...h.b]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: INVALID_CONFIG: topic config ferry\.queue\.ttl\.action: "explode" is not one of drop, dead_letter/);
  });

  test('usage errors exit 2 before connecting', async () => {
    const cases: [string[], RegExp][] = [
      [['consume', 'x', '--ack', 'manual'], /--ack need --subscription/],
      [['consume', 'x', '--subscription', 's', '--mode', 'round_robin'], /Allowed choices are shared, key_shared, exclusive, failover/],
      [['consume', 'x', '--subscription', 's', '--group', 'g'], /cannot be used with/],
      [['produce', 'x', '--delay', '5 minutes'], /expected a duration such as 500ms, 30s/],
      [['produce', 'x', '--delay', '1s', '--deliver-at', 'tomorrow'], /expected an ISO-8601 time/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, '--broker', '127.0.0.1:1'], { input: 'a\n' });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
