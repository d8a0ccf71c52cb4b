import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { SubscriptionDescription } from '../../src/client/index.ts';
import { type BrokerProcess, CLI, cleanEnv, runCli, startBroker } from './helpers.ts';

// One broker for the file (each test uses its own topics): starting one per test would dominate.
const cleanups: (() => unknown)[] = [];
let broker: BrokerProcess;
let b: string[];

before(async () => {
  broker = await startBroker({ after: (fn) => cleanups.push(fn) });
  b = ['--broker', broker.address];
});
after(async () => {
  for (let fn = cleanups.pop(); fn; fn = cleanups.pop()) await fn();
});

async function ok(args: string[], input?: string): Promise<string> {
  const result = await runCli([...args, ...b], input === undefined ? {} : { input });
  assert.equal(result.code, 0, `ferry ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function describeSub(topic: string, name: string): Promise<SubscriptionDescription> {
  return JSON.parse(await ok(['sub', 'describe', topic, name, '--json'])) as SubscriptionDescription;
}

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line !== '');
}

describe('queue subscriptions from the command line', () => {
  test('consume --subscription --ack auto acknowledges what it printed: the next run continues after it', async () => {
    await ok(['topic', 'create', 'jobs', '--partitions', '1']);
    await ok(['produce', 'jobs', '-q'], 'j0\nj1\nj2\nj3\nj4\n');
    assert.deepEqual(lines(await ok(['consume', 'jobs', '--subscription', 'workers', '-n', '3'])), ['j0', 'j1', 'j2']);
    assert.deepEqual(lines(await ok(['consume', 'jobs', '--subscription', 'workers', '-n', '2'])), ['j3', 'j4']);
    const description = await describeSub('jobs', 'workers');
    assert.equal(description.backlog, 0);
    assert.equal(description.mode, 'shared');
    const none = await runCli(['consume', 'jobs', '--subscription', 'workers', '-n', '1', '--timeout-ms', '300', ...b]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error: TIMEOUT: received 0 of 1/);
  });

  test('--ack manual prints without acknowledging: the records come back on the next run, counted as redeliveries', async () => {
    await ok(['topic', 'create', 'peek', '--partitions', '1']);
    await ok(['produce', 'peek', '-q'], 'p0\np1\np2\n');
    const args = ['consume', 'peek', '--subscription', 's', '--ack', 'manual', '-n', '2'];
    assert.deepEqual(lines(await ok(args)), ['p0', 'p1']);
    assert.deepEqual(lines(await ok(args)), ['p0', 'p1']);
    const description = await describeSub('peek', 's');
    assert.equal(description.backlog, 3);
    assert.ok(description.redeliveries >= 2, `redeliveries ${description.redeliveries}`);
    // --prefetch is passed through; key and value print with --print-key.
    await ok(['produce', 'peek', '--key-separator', ':', '-q'], 'k:v\n');
    const keyed = await ok(['consume', 'peek', '--subscription', 'keys', '--prefetch', '10', '-n', '4', '--print-key']);
    assert.deepEqual(lines(keyed), ['null\tp0', 'null\tp1', 'null\tp2', 'k\tv']);
  });

  test('produce --delay holds a record back, --ttl expires one; the others flow at once', async () => {
    await ok(['topic', 'create', 'timed', '--partitions', '1']);
    await ok(['sub', 'create', 'timed', 'w']);
    await ok(['produce', 'timed', '--delay', '1h', '-q'], 'in-an-hour\n');
    await ok(['produce', 'timed', '--deliver-at', new Date(Date.now() + 3_600_000).toISOString(), '-q'], 'at-a-time\n');
    await ok(['produce', 'timed', '--ttl', '1ms', '-q'], 'expires\n');
    await ok(['produce', 'timed', '-q'], 'now\n');
    assert.deepEqual(lines(await ok(['consume', 'timed', '--subscription', 'w', '-n', '1'])), ['now']);
    const none = await runCli(['consume', 'timed', '--subscription', 'w', '-n', '1', '--timeout-ms', '300', ...b]);
    assert.equal(none.code, 1, 'the scheduled records are not visible yet and the expired one is never delivered');
    await ok(['produce', 'timed', '--delay', '200ms', '-q'], 'soon\n');
    assert.deepEqual(lines(await ok(['consume', 'timed', '--subscription', 'w', '-n', '1', '--timeout-ms', '20000'])), ['soon']);
  });

  test('sub create, list, describe and delete', async () => {
    await ok(['topic', 'create', 'orders', '--partitions', '2']);
    assert.equal(
      await ok(['sub', 'create', 'orders', 'billing', '--mode', 'key_shared', '--ack-timeout', '1m', '--max-deliveries', '3']),
      'subscription billing on orders (key_shared)\n',
    );
    await ok(['sub', 'create', 'orders', 'audit', '--mode', 'failover', '--start-at', 'latest']);
    const table = lines(await ok(['sub', 'list', 'orders']));
    assert.match(table[0]!, /^TOPIC\s+SUBSCRIPTION\s+MODE\s+CONSUMERS$/);
    assert.match(table[1]!, /^orders\s+audit\s+failover\s+0$/);
    assert.match(table[2]!, /^orders\s+billing\s+key_shared\s+0$/);
    const all = JSON.parse(await ok(['sub', 'list', '--json'])) as { topic: string; name: string }[];
    assert.ok(all.some((s) => s.topic === 'orders' && s.name === 'billing'));

    await ok(['produce', 'orders', '-q'], 'o1\no2\no3\n');
    const description = await describeSub('orders', 'billing');
    assert.equal(description.backlog, 3);
    assert.equal(description.options.ackTimeoutMs, 60_000);
    assert.equal(description.options.maxDeliveries, 3);
    assert.equal(description.partitions.length, 2);
    const text = await ok(['sub', 'describe', 'orders', 'billing']);
    assert.match(text, /^backlog:\s+3$/m);
    assert.match(text, /^in flight:\s+0$/m);
    assert.match(text, /^redeliveries:\s+0$/m);
    assert.match(text, /^oldest unacked age:\s+\d+(\.\d)? m?s$/m);
    assert.match(text, /^dead-letter topic:\s+orders\.billing\.dlq$/m);
    assert.match(text, /PARTITION\s+ACK-FLOOR\s+HIGH-WATERMARK\s+BACKLOG\s+IN-FLIGHT\s+AWAITING-REDELIVERY/);

    assert.equal(await ok(['sub', 'delete', 'orders', 'billing']), 'deleted subscription billing on orders\n');
    assert.deepEqual(
      lines(await ok(['sub', 'list', 'orders']))
        .slice(1)
        .map((row) => row.split(/\s+/)[1]),
      ['audit'],
    );
    const missing = await runCli(['sub', 'describe', 'orders', 'billing', ...b]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: SUBSCRIPTION_NOT_FOUND: /);
    const noTopic = await runCli(['sub', 'list', 'no-such-topic', ...b]);
    assert.equal(noTopic.code, 1);
    assert.match(noTopic.stderr, /^error: UNKNOWN_TOPIC_OR_PARTITION: /);
  });

  test('dlq replay moves dead letters back; consume gets them again', async () => {
    await ok(['topic', 'create', 'flaky', '--partitions', '1']);
    await ok(['sub', 'create', 'flaky', 's', '--max-deliveries', '1']);
    await ok(['produce', 'flaky', '-q'], 'poison\n');
    // Printed without an ack: it returns to the queue with one delivery, the most allowed.
    assert.deepEqual(lines(await ok(['consume', 'flaky', '--subscription', 's', '--ack', 'manual', '-n', '1'])), ['poison']);
    // The next consumer's dispatch dead-letters it instead of delivering it.
    const none = await runCli(['consume', 'flaky', '--subscription', 's', '-n', '1', '--timeout-ms', '500', ...b]);
    assert.equal(none.code, 1);
    assert.equal((await describeSub('flaky', 's')).deadLettered, 1);
    assert.deepEqual(lines(await ok(['consume', 'flaky.s.dlq', '--from-beginning', '-n', '1'])), ['poison']);

    assert.equal(await ok(['dlq', 'replay', 'flaky', 's', '--max', '10']), 'replayed 1 record(s) from flaky.s.dlq to flaky\n');
    assert.deepEqual(lines(await ok(['consume', 'flaky', '--subscription', 's', '-n', '1'])), ['poison']);
    assert.deepEqual(JSON.parse(await ok(['dlq', 'replay', 'flaky', 's', '--json'])), { deadLetterTopic: 'flaky.s.dlq', replayed: 0 });
  });

  test('modes: a second exclusive consumer is refused while the first runs; a mode mismatch is an error', async () => {
    await ok(['topic', 'create', 'solo', '--partitions', '1']);
    const first = spawn(process.execPath, [CLI, 'consume', 'solo', '--subscription', 'one', '--mode', 'exclusive', ...b], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(first, 'exit');
    try {
      let consumers = 0;
      while (consumers === 0) {
        const listed = await runCli(['sub', 'describe', 'solo', 'one', '--json', ...b]);
        if (listed.code === 0) consumers = (JSON.parse(listed.stdout) as SubscriptionDescription).consumers.length;
        if (consumers === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const second = await runCli(['consume', 'solo', '--subscription', 'one', '--mode', 'exclusive', '-n', '1', ...b]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /^error: CONSUMER_BUSY: /);
      const wrongMode = await runCli(['consume', 'solo', '--subscription', 'one', '--mode', 'shared', '-n', '1', ...b]);
      assert.equal(wrongMode.code, 1);
      assert.match(wrongMode.stderr, /^error: INVALID_REQUEST: .*mode exclusive/);
    } finally {
      first.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, 'SIGTERM ends consume cleanly');
    }
  });

  test('usage errors exit 2 before connecting', async () => {
    const cases: [string[], RegExp][] = [
      [['consume', 'x', '--ack', 'manual'], /--ack need --subscription/],
      [['consume', 'x', '--subscription', 's', '--mode', 'round_robin'], /Allowed choices are shared, key_shared, exclusive, failover/],
      [['consume', 'x', '--subscription', 's', '--group', 'g'], /cannot be used with/],
      [['produce', 'x', '--delay', '5 minutes'], /expected a duration such as 500ms, 30s/],
      [['produce', 'x', '--deliver-at', 'tomorrow'], /expected an ISO-8601 time/],
      [['produce', 'x', '--delay', '1s', '--deliver-at', '2030-01-01T00:00:00Z'], /cannot be used with/],
      [['dlq', 'replay', 'x', 's', '--max', '0'], /expected an integer >= 1/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, '--broker', '127.0.0.1:1'], { input: 'a\n' });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
