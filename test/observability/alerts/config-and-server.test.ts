import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../../src/client/index.ts';
import { silentLogger } from '../../../src/common/logger.ts';
import type { AlertNotification, AlertsSnapshot } from '../../../src/observability/alerts/index.ts';
import { DEFAULT_FERRY_CONFIG } from '../../../src/server/config.ts';
import { loadConfig } from '../../../src/server/config-sources.ts';
import { startFerry } from '../../../src/server/server.ts';
import { defer } from '../../server/cleanup.ts';
import { startHttpReceiver } from './http-receiver.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-alerts-config-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('alerts defaults: on, default rules on, no user rules or notifiers', () => {
  const a = DEFAULT_FERRY_CONFIG.alerts;
  assert.equal(a.enabled, true);
  assert.equal(a.defaultRules, true);
  assert.equal(a.evaluationIntervalMs, 15_000);
  assert.deepEqual(a.rules, []);
  assert.deepEqual(a.notifiers, {});
});

test('rules and notifiers nest in a JSON config file; bad ones stop the load naming the rule, field and position', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'ferry.json');
  const rules = [{ name: 'Lag', expr: 'ferry_group_lag > 10', for: '1m', notifiers: ['hook'] }];
  const notifiers = { hook: { type: 'webhook', url: 'http://127.0.0.1:9/x' } };
  await writeFile(file, JSON.stringify({ alerts: { rules, notifiers, evaluationIntervalMs: 500 } }));
  const config = await loadConfig({ configPath: file });
  assert.deepEqual(config.alerts.rules, rules);
  assert.deepEqual(config.alerts.notifiers, notifiers);
  assert.equal(config.alerts.evaluationIntervalMs, 500);

  const properties = join(dir, 'ferry.properties');
  await writeFile(properties, `alerts.rules=${JSON.stringify(rules)}\nalerts.notifiers=${JSON.stringify(notifiers)}\n`);
  assert.deepEqual((await loadConfig({ configPath: properties })).alerts.rules, rules);

  const bad = async (alerts: unknown, pattern: RegExp) => {
    await writeFile(file, JSON.stringify({ alerts }));
    await assert.rejects(loadConfig({ configPath: file }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.match(error.message, pattern);
      assert.ok(error.message.includes(file), `names the file: ${error.message}`);
      return true;
    });
  };
  await bad({ rules: [{ name: 'X', expr: 'rate(x) > 1' }] }, /alerts\.rules\[0\]\.expr: expression error at position 7: expected a range/);
  await bad({ rules: [{ name: 'X', expr: 'x > 1', for: 'soon' }] }, /alerts\.rules\[0\]\.for: expected a duration/);
  await bad({ rules: [{ name: 'X', expr: 'x > 1', severity: 'page' }] }, /severity: expected one of info, warning, critical/);
  await bad({ rules: [{ name: 'X', expr: 'x > 1', description: '{{ .Value }}' }] }, /unknown template field/);
  await bad({ rules: [{ name: 'X', expr: 'x > 1', when: 'now' }] }, /unknown field when/);
  await bad({ rules: [{ name: 'X', expr: 'x > 1', notifiers: ['nope'] }] }, /no notifier named nope/);
  await bad({ notifiers: { n: { type: 'pager' } } }, /alerts\.notifiers\.n\.type: expected webhook, email or command/);
  await bad({ notifiers: { n: { type: 'webhook', url: 'ftp://x' } } }, /url: expected an http/);
  await bad({ notifiers: { n: { type: 'email', host: 'h', from: 'a@b' } } }, /to: expected/);
  await bad({ defaultNotifiers: 'ghost' }, /alerts\.defaultNotifiers: no notifier named ghost/);
});

test('a running broker evaluates rules over its own metrics, notifies a webhook and serves GET /api/alerts', async (t) => {
  const receiver = await startHttpReceiver();
  defer(t, () => receiver.close());
  const dataDir = await tempDir(t);
  const file = join(dataDir, '..', `${dataDir.split('/').pop()}.json`);
  defer(t, () => rm(file, { force: true }));
  await writeFile(
    file,
    JSON.stringify({
      dataDir,
      nativePort: 0,
      httpPort: 0,
      kafkaPort: -1,
      alerts: {
        evaluationIntervalMs: 100,
        defaultNotifiers: 'hook',
        notifiers: { hook: { type: 'webhook', url: `${receiver.url}/alerts`, format: 'alertmanager' } },
        rules: [
          {
            name: 'NativeClientConnected',
            expr: 'ferry_connections{protocol="native"} > 0',
            severity: 'info',
            description: '{{ $value }} native connection(s)',
          },
        ],
      },
    }),
  );
  const ferry = await startFerry(await loadConfig({ configPath: file }), { logger: silentLogger });
  defer(t, () => ferry.close());
  const client = await connect(`127.0.0.1:${ferry.nativePort}`);
  defer(t, () => client.close());
  await client.admin().listTopics();
  await receiver.waitFor(1);
  const firing = receiver.received[0]!.body as {
    status: string;
    alerts: { labels: Record<string, string>; annotations: Record<string, string> }[];
  };
  assert.equal(firing.status, 'firing');
  assert.equal(firing.alerts[0]!.labels.alertname, 'NativeClientConnected');
  assert.equal(firing.alerts[0]!.labels.protocol, 'native');
  assert.match(firing.alerts[0]!.annotations.description!, /^\d+ native connection\(s\)$/);

  const response = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/alerts`);
  assert.equal(response.status, 200);
  const snapshot = (await response.json()) as AlertsSnapshot;
  const names = snapshot.rules.map((r) => r.name);
  assert.ok(names.includes('FerryDiskNearlyFull') && names.includes('FerryPartitionOffline'), 'the default rules run too');
  assert.equal(snapshot.rules.find((r) => r.name === 'NativeClientConnected')!.state, 'firing');
  assert.equal(snapshot.rules.find((r) => r.name === 'FerryPartitionOffline')!.state, 'inactive');

  await client.close();
  await receiver.waitFor(2);
  const resolved = receiver.received[1]!.body as AlertNotification;
  assert.equal(resolved.status, 'resolved');
});
