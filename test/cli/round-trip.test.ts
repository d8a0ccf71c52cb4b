import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { defer } from '../server/cleanup.ts';
import { CLI, cleanEnv, runCli, startBroker } from './helpers.ts';

test('lines piped into produce come out of consume --from-beginning -n N, in order', async (t) => {
  const broker = await startBroker(t);
  const b = ['--broker', broker.address];
  assert.equal((await runCli(['topic', 'create', 'lines', '--partitions', '1', ...b])).code, 0);
  // Enough lines to span many stdin chunks and producer batches, plus unicode and an empty line.
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
  lines.splice(10, 0, 'héllo wörld ✓', '');
  const produced = await runCli(['produce', 'lines', ...b], { input: `${lines.join('\n')}\n` });
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(produced.stderr, `produced ${lines.length} record(s) to lines\n`);

  const consumed = await runCli(['consume', 'lines', '--from-beginning', '-n', String(lines.length), ...b]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split('\n'), [...lines, '']);
});

test('keys: produce --key-separator, consume --print-key; records of one key share a partition', async (t) => {
  const broker = await startBroker(t);
  const b = ['--broker', broker.address];
  await runCli(['topic', 'create', 'keyed', '--partitions', '3', ...b]);
  const input = 'user-1:login\nuser-2:login\nuser-1:click\nno separator here\nuser-1:logout\n';
  const produced = await runCli(['produce', 'keyed', '--key-separator', ':', '-q', ...b], { input });
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(produced.stderr, '');

  const consumed = await runCli(['consume', 'keyed', '--from-beginning', '-n', '5', '--print-key', ...b]);
  assert.equal(consumed.code, 0, consumed.stderr);
  const rows = consumed.stdout.trimEnd().split('\n');
  assert.deepEqual(
    [...rows].sort(),
    ['null\tno separator here', 'user-1\tclick', 'user-1\tlogin', 'user-1\tlogout', 'user-2\tlogin'].sort(),
  );
  // Across partitions order is not global, but one key's records keep their order.
  assert.deepEqual(
    rows.filter((r) => r.startsWith('user-1')),
    ['user-1\tlogin', 'user-1\tclick', 'user-1\tlogout'],
  );
});

test('produce to a missing topic with auto-create off exits 1 with the error code', async (t) => {
  const broker = await startBroker(t, { args: ['--auto-create-topics', 'false'] });
  const result = await runCli(['produce', 'missing', '--broker', broker.address], { input: 'a\n' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: UNKNOWN_TOPIC_OR_PARTITION: /m);
});

test('consume of a missing topic exits 1 at once instead of waiting', async (t) => {
  const broker = await startBroker(t);
  const result = await runCli(['consume', 'nowhere', '-n', '1', '--broker', broker.address]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: UNKNOWN_TOPIC_OR_PARTITION: /);
});

test('consume --timeout-ms with -n exits 1 when fewer records arrive', async (t) => {
  const broker = await startBroker(t);
  const b = ['--broker', broker.address];
  await runCli(['topic', 'create', 'sparse', ...b]);
  await runCli(['produce', 'sparse', ...b], { input: 'only\n' });
  const result = await runCli(['consume', 'sparse', '--from-beginning', '-n', '3', '--timeout-ms', '1500', ...b]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, 'only\n');
  assert.match(result.stderr, /^error: TIMEOUT: received 1 of 3 record\(s\)/);
});

test('consume without -n runs until SIGINT, then commits what it printed and exits 0', async (t) => {
  const broker = await startBroker(t, { args: ['--group-initial-rebalance-delay-ms', '0'] });
  const b = ['--broker', broker.address];
  await runCli(['topic', 'create', 'stream', ...b]);
  await runCli(['produce', 'stream', ...b], { input: 'r1\nr2\nr3\n' });
  const child = spawn(process.execPath, [CLI, 'consume', 'stream', '--group', 'tail', '--from-beginning', ...b], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  defer(t, () => child.exitCode === null && child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  while (stdout.split('\n').length < 4) await once(child.stdout, 'data');
  child.kill('SIGINT');
  assert.deepEqual(await exited, [0, null]);
  assert.equal(stdout, 'r1\nr2\nr3\n');
  const describe = await runCli(['group', 'describe', 'tail', '--json', ...b]);
  const offsets = (JSON.parse(describe.stdout) as { offsets: { committedOffset: number; lag: number }[] }).offsets;
  assert.deepEqual(
    offsets.map((o) => [o.committedOffset, o.lag]),
    [[3, 0]],
  );
});

test('produce --acks 0 and 1 exit 0 once everything is sent', async (t) => {
  const broker = await startBroker(t);
  const b = ['--broker', broker.address];
  await runCli(['topic', 'create', 'acks', ...b]);
  assert.equal((await runCli(['produce', 'acks', '--acks', '1', '-q', ...b], { input: 'a\nb\n' })).code, 0);
  assert.equal((await runCli(['produce', 'acks', '--acks', '0', '-q', ...b], { input: 'c\n' })).code, 0);
  const consumed = await runCli(['consume', 'acks', '--from-beginning', '-n', '3', ...b]);
  assert.equal(consumed.stdout, 'a\nb\nc\n');
});
