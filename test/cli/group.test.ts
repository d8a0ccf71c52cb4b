import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, startBroker } from './helpers.ts';

test('consume --group commits what it printed; group describe shows the lag, and a second run resumes', async (t) => {
  // No initial rebalance delay: the group forms as soon as its one member joins.
  const broker = await startBroker(t, { args: ['--group-initial-rebalance-delay-ms', '0'] });
  const b = ['--broker', broker.address];
  await runCli(['topic', 'create', 'jobs', '--partitions', '2', ...b]);
  const input = `${Array.from({ length: 10 }, (_, i) => `k${i}:job-${i}`).join('\n')}\n`;
  assert.equal((await runCli(['produce', 'jobs', '--key-separator', ':', ...b], { input })).code, 0);

  const first = await runCli(['consume', 'jobs', '--group', 'workers', '--from-beginning', '-n', '4', ...b]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.trimEnd().split('\n').length, 4);

  const list = await runCli(['group', 'list', ...b]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^GROUP\s+STATE\s+PROTOCOL-TYPE\nworkers\s+Empty\s+consumer\n$/);

  const describe = await runCli(['group', 'describe', 'workers', ...b]);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /^group:\s+workers$/m);
  assert.match(describe.stdout, /^state:\s+Empty$/m);
  assert.match(describe.stdout, /^total lag:\s+6$/m);
  assert.match(describe.stdout, /^TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+MEMBER$/m);
  const json = JSON.parse((await runCli(['group', 'describe', 'workers', '--json', ...b])).stdout) as {
    offsets: { partition: number; committedOffset: number; logEndOffset: number; lag: number }[];
  };
  const totalEnd = json.offsets.reduce((sum, o) => sum + o.logEndOffset, 0);
  const totalLag = json.offsets.reduce((sum, o) => sum + o.lag, 0);
  assert.equal(totalEnd, 10);
  assert.equal(totalLag, 6);
  for (const o of json.offsets) assert.equal(o.lag, o.logEndOffset - Math.max(0, o.committedOffset));

  // The next member of the group starts after what the first one printed: no record twice.
  const second = await runCli(['consume', 'jobs', '--group', 'workers', '-n', '6', ...b]);
  assert.equal(second.code, 0, second.stderr);
  const all = [...first.stdout.trimEnd().split('\n'), ...second.stdout.trimEnd().split('\n')].sort();
  assert.deepEqual(all, Array.from({ length: 10 }, (_, i) => `job-${i}`).sort());
  assert.match((await runCli(['group', 'describe', 'workers', ...b])).stdout, /^total lag:\s+0$/m);

  const deleted = await runCli(['group', 'delete', 'workers', ...b]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal((await runCli(['group', 'list', ...b])).stdout, 'GROUP  STATE  PROTOCOL-TYPE\n');
});
