import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, startBroker } from '../../cli/helpers.ts';

test('ferry alerts lists the rules of a running broker; ferry alerts silence add, list and expire', async (t) => {
  const broker = await startBroker(t, { args: ['--alerts-evaluation-interval-ms', '200'] });
  const http = `http://127.0.0.1:${broker.httpPort}`;

  const list = await runCli(['alerts', '--http', http]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^RULE\s+STATE\s+SEVERITY\s+FIRING\s+PENDING\s+FOR\s+EXPR$/m);
  assert.match(list.stdout, /^FerryPartitionOffline\s+(inactive|firing)\s+critical\s+\d+\s+\d+\s+0s\s+ferry_partitions_offline > 0$/m);
  assert.match(list.stdout, /^FerryConsumerLagGrowing\s+\S+\s+warning\s+\d+\s+\d+\s+600s\s+deriv\(ferry_group_lag\[10m\]\) > 0$/m);

  const json = await runCli(['alerts', 'list', '--json', '--http', http]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { rules: unknown[] }).rules.length, 6);

  const added = await runCli([
    'alerts',
    'silence',
    'add',
    '--http',
    http,
    '-m',
    'alertname=FerryDiskNearlyFull',
    '-m',
    'topic=~"orders.*"',
    '--duration',
    '2h',
    '--comment',
    'disk swap',
    '--json',
  ]);
  assert.equal(added.code, 0, added.stderr);
  const silence = JSON.parse(added.stdout) as { id: string; matchers: unknown[] };
  assert.deepEqual(silence.matchers, [
    { name: 'alertname', value: 'FerryDiskNearlyFull', isRegex: false, isEqual: true },
    { name: 'topic', value: 'orders.*', isRegex: true, isEqual: true },
  ]);

  const silences = await runCli(['alerts', 'silence', 'list', '--http', http]);
  assert.equal(silences.code, 0, silences.stderr);
  assert.match(
    silences.stdout,
    new RegExp(`^${silence.id}\\s+\\S+\\s+alertname="FerryDiskNearlyFull",topic=~"orders\\.\\*"\\s+\\S+\\s+disk swap$`, 'm'),
  );

  const expired = await runCli(['alerts', 'silence', 'expire', silence.id, '--http', http]);
  assert.equal(expired.code, 0, expired.stderr);
  assert.equal(expired.stdout, `expired silence ${silence.id}\n`);
  const again = await runCli(['alerts', 'silence', 'expire', silence.id, '--http', http]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^error: INVALID_REQUEST: SILENCE_NOT_FOUND: no active silence with id /);

  const badMatcher = await runCli(['alerts', 'silence', 'add', '--http', http, '-m', 'no-op', '--duration', '1h']);
  assert.equal(badMatcher.code, 2);
  assert.match(badMatcher.stderr, /^error: USAGE: .*expected name=value/);
  const badDuration = await runCli(['alerts', 'silence', 'add', '--http', http, '-m', 'a=b', '--duration', 'forever']);
  assert.equal(badDuration.code, 2);
  assert.match(badDuration.stderr, /duration such as 30m/);

  await broker.stop();
  const down = await runCli(['alerts', '--http', http]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^error: CONNECTION_CLOSED: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
});
