import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { describeSub, lines, ok, setupTopic, useQueueBroker } from './queue-harness.ts';
import { CLI, cleanEnv, runCli } from './helpers.ts';

const h = useQueueBroker();

describe('ferry consume --subscription and produce --delay/--ttl against a real broker', () => {
  test('--ack auto acknowledges what it printed: the next run continues after it', async () => {
    await setupTopic(h, 'jobs', ['j0', 'j1', 'j2', 'j3', 'j4']);
    assert.deepEqual(lines(await ok(h, ['consume', 'jobs', '--subscription', 'workers', '-n', '3'])), ['j0', 'j1', 'j2']);
    assert.deepEqual(lines(await ok(h, ['consume', 'jobs', '--subscription', 'workers', '-n', '2'])), ['j3', 'j4']);
    const description = await describeSub(h, 'jobs', 'workers');
    assert.equal(description.backlog, 0);
    assert.equal(description.mode, 'shared');
    const none = await runCli(['consume', 'jobs', '--subscription', 'workers', '-n', '1', '--timeout-ms', '300', ...h.b]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error: TIMEOUT: received 0 of 1/);
  });

  test('--ack manual prints without acknowledging: the records come back on the next run, counted as redeliveries', async () => {
    await setupTopic(h, 'peek', ['p0', 'p1', 'p2']);
    const args = ['consume', 'peek', '--subscription', 's', '--ack', 'manual', '-n', '2'];
    assert.deepEqual(lines(await ok(h, args)), ['p0', 'p1']);
    assert.deepEqual(lines(await ok(h, [...args, '--print-key', '--prefetch', '5'])), ['null\tp0', 'null\tp1']);
    const description = await describeSub(h, 'peek', 's');
    assert.equal(description.backlog, 3);
    assert.equal(description.inFlight, 0, 'returned to the queue when the command exited');
    assert.ok(description.redeliveries >= 2, `redeliveries ${description.redeliveries}`);
  });

  test('produce --delay and --deliver-at hold records back, --ttl expires one; the others flow at once', async () => {
    await setupTopic(h, 'timed');
    await h.client.admin().createSubscription('timed', 'w', { mode: 'shared' });
    await ok(h, ['produce', 'timed', '--delay', '1h', '-q'], 'in-an-hour\n');
    await ok(h, ['produce', 'timed', '--deliver-at', new Date(Date.now() + 3_600_000).toISOString(), '-q'], 'at-a-time\n');
    await ok(h, ['produce', 'timed', '--ttl', '1ms', '-q'], 'expires\n');
    const producer = h.client.producer();
    await producer.send({ topic: 'timed', messages: [{ value: 'now' }] });
    await producer.close();
    assert.deepEqual(lines(await ok(h, ['consume', 'timed', '--subscription', 'w', '-n', '1'])), ['now']);
    const none = await runCli(['consume', 'timed', '--subscription', 'w', '-n', '1', '--timeout-ms', '300', ...h.b]);
    assert.equal(none.code, 1, 'the scheduled records are not visible yet and the expired one is never delivered');
    assert.equal((await describeSub(h, 'timed', 'w')).backlog, 0);
    await ok(h, ['produce', 'timed', '--delay', '200ms', '-q'], 'soon\n');
    assert.deepEqual(lines(await ok(h, ['consume', 'timed', '--subscription', 'w', '-n', '1', '--timeout-ms', '20000'])), ['soon']);
  });

  test('modes: a second exclusive consumer is refused while the first runs; a mode mismatch is an error', async () => {
    await setupTopic(h, 'solo');
    const first = spawn(process.execPath, [CLI, 'consume', 'solo', '--subscription', 'one', '--mode', 'exclusive', ...h.b], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(first, 'exit');
    try {
      // Ready once the broker lists it as a consumer (no fixed sleep).
      for (;;) {
        const description = await describeSub(h, 'solo', 'one').catch(() => null);
        if (description !== null && description.consumers.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Without --mode it joins in the subscription's own mode (exclusive), so it is refused too.
      const second = await runCli(['consume', 'solo', '--subscription', 'one', '-n', '1', ...h.b]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /^error: CONSUMER_BUSY: /);
      const wrongMode = await runCli(['consume', 'solo', '--subscription', 'one', '--mode', 'shared', '-n', '1', ...h.b]);
      assert.equal(wrongMode.code, 1);
      assert.match(wrongMode.stderr, /^error: INVALID_REQUEST: .*mode exclusive/);
    } finally {
      first.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, 'SIGTERM ends consume cleanly');
    }
  });
});
