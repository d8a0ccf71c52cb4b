import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { Counter, Gauge, Registry } from 'prom-client';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { AlertManager, type AlertsConfig } from '../../../src/observability/alerts/index.ts';
import type { AlertNotification } from '../../../src/observability/alerts/notifiers/types.ts';
import type { AlertmanagerPayload } from '../../../src/observability/alerts/notifiers/payload.ts';
import { startHttpReceiver } from './http-receiver.ts';
import { startSmtpSink } from './smtp-sink.ts';

/** A clock the test moves by hand: evaluation is driven by `evaluate()`, never by timers. */
function clock(startMs = Date.parse('2026-11-23T12:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms) => (nowMs += ms) };
}

function manager(t: TestContext, registry: Registry, config: Partial<AlertsConfig>, now: () => number, dataDir?: string): AlertManager {
  const alerts = new AlertManager({ registry, config: { defaultRules: false, ...config }, logger: new RecordingLogger(), now, dataDir });
  t.after(() => alerts.stop());
  return alerts;
}

function ruleState(alerts: AlertManager, name: string): string {
  return alerts.snapshot().rules.find((r) => r.name === name)!.state;
}

test('a rule goes pending, firing and resolved; a real HTTP receiver and an SMTP sink get firing and resolved', async (t) => {
  const receiver = await startHttpReceiver();
  const amReceiver = await startHttpReceiver();
  const smtp = await startSmtpSink();
  t.after(() => Promise.all([receiver.close(), amReceiver.close(), smtp.close()]));
  const registry = new Registry();
  const lag = new Gauge({ name: 'ferry_group_lag', help: 'lag', labelNames: ['group', 'topic'], registers: [registry] });
  lag.set({ group: 'billing', topic: 'orders' }, 10);
  const time = clock();
  const alerts = manager(
    t,
    registry,
    {
      rules: [
        {
          name: 'LagHigh',
          expr: 'ferry_group_lag > 1000',
          for: '1m',
          severity: 'critical',
          labels: { team: 'payments' },
          summary: 'lag of {{ $labels.group }}',
          description: 'group {{ $labels.group }} is {{ $value }} records behind on {{ $labels.topic }}',
          notifiers: ['hook', 'am', 'mail'],
        },
      ],
      notifiers: {
        hook: { type: 'webhook', url: `${receiver.url}/ferry`, headers: { 'x-token': 'secret' } },
        am: { type: 'webhook', url: `${amReceiver.url}/am`, format: 'alertmanager' },
        mail: { type: 'email', host: '127.0.0.1', port: smtp.port, from: 'ferry@example.test', to: ['oncall@example.test'], maxRetries: 0 },
      },
    },
    time.now,
  );
  await alerts.start();

  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'LagHigh'), 'inactive');

  lag.set({ group: 'billing', topic: 'orders' }, 5000);
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'LagHigh'), 'pending');
  time.advance(30_000);
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'LagHigh'), 'pending', 'for: 1m not yet reached');
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 0, 'nothing is sent while pending');

  time.advance(30_000);
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'LagHigh'), 'firing');
  await Promise.all([receiver.waitFor(1), amReceiver.waitFor(1), smtp.waitFor(1)]);

  const firing = receiver.received[0]!;
  assert.equal(firing.path, '/ferry');
  assert.equal(firing.headers['x-token'], 'secret');
  const body = firing.body as AlertNotification;
  assert.equal(body.status, 'firing');
  assert.equal(body.rule, 'LagHigh');
  assert.equal(body.receiver, 'hook');
  assert.equal(body.alerts.length, 1);
  assert.deepEqual(body.alerts[0]!.labels, {
    alertname: 'LagHigh',
    group: 'billing',
    severity: 'critical',
    team: 'payments',
    topic: 'orders',
  });
  assert.equal(body.alerts[0]!.annotations.description, 'group billing is 5000 records behind on orders');
  assert.equal(body.alerts[0]!.annotations.summary, 'lag of billing');
  assert.equal(body.alerts[0]!.value, 5000);

  const am = amReceiver.received[0]!.body as AlertmanagerPayload;
  assert.equal(am.version, '4');
  assert.equal(am.status, 'firing');
  assert.equal(am.receiver, 'am');
  assert.deepEqual(am.groupLabels, { alertname: 'LagHigh' });
  assert.equal(am.commonLabels.team, 'payments');
  assert.equal(am.alerts[0]!.status, 'firing');
  assert.equal(am.alerts[0]!.endsAt, '0001-01-01T00:00:00Z');
  assert.equal(am.alerts[0]!.startsAt, new Date(time.now()).toISOString());
  assert.match(am.alerts[0]!.fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(am.alerts[0]!.annotations.description, 'group billing is 5000 records behind on orders');

  const mail = smtp.messages[0]!;
  assert.equal(mail.from, 'ferry@example.test');
  assert.deepEqual(mail.to, ['oncall@example.test']);
  assert.match(mail.data, /^Subject: \[FIRING:1\] LagHigh$/m);
  assert.match(mail.data, /group billing is 5000 records behind on orders/);

  // Still firing: de-duplicated, nothing new before the repeat interval.
  time.advance(15_000);
  await alerts.evaluate();
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 1);

  lag.set({ group: 'billing', topic: 'orders' }, 3);
  time.advance(15_000);
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'LagHigh'), 'resolved');
  await Promise.all([receiver.waitFor(2), amReceiver.waitFor(2), smtp.waitFor(2)]);
  const resolved = receiver.received[1]!.body as AlertNotification;
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.alerts[0]!.resolvedAt, new Date(time.now()).toISOString());
  const amResolved = amReceiver.received[1]!.body as AlertmanagerPayload;
  assert.equal(amResolved.status, 'resolved');
  assert.equal(amResolved.alerts[0]!.endsAt, new Date(time.now()).toISOString());
  assert.match(smtp.messages[1]!.data, /^Subject: \[RESOLVED:1\] LagHigh$/m);

  // Resolved once: no second resolved notification.
  time.advance(15_000);
  await alerts.evaluate();
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 2);
  assert.equal(smtp.messages.length, 2);
  const view = alerts.snapshot().rules[0]!;
  assert.equal(view.instances[0]!.state, 'resolved');
});

test('a condition that clears while pending goes back to inactive and sends nothing', async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const registry = new Registry();
  const g = new Gauge({ name: 'g', help: 'g', registers: [registry] });
  const time = clock();
  const alerts = manager(
    t,
    registry,
    {
      rules: [{ name: 'G', expr: 'g > 1', for: '5m' }],
      notifiers: { hook: { type: 'webhook', url: receiver.url } },
      defaultNotifiers: 'hook',
    },
    time.now,
  );
  g.set(5);
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'G'), 'pending');
  g.set(0);
  time.advance(60_000);
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'G'), 'inactive');
  assert.deepEqual(alerts.snapshot().rules[0]!.instances, []);
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 0);
});

test('each series is its own instance; a firing alert repeats only after the repeat interval', async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const registry = new Registry();
  const dead = new Counter({ name: 'dead_total', help: 'd', labelNames: ['topic'], registers: [registry] });
  dead.inc({ topic: 'a' }, 0);
  dead.inc({ topic: 'b' }, 0);
  const time = clock();
  const alerts = manager(
    t,
    registry,
    {
      repeatIntervalMs: 3_600_000,
      rules: [{ name: 'Dead', expr: 'increase(dead_total[5m]) > 0', repeatInterval: '2m' }],
      notifiers: { hook: { type: 'webhook', url: receiver.url } },
      defaultNotifiers: 'hook',
    },
    time.now,
  );
  await alerts.evaluate();
  time.advance(15_000);
  dead.inc({ topic: 'a' });
  dead.inc({ topic: 'b' });
  await alerts.evaluate();
  await receiver.waitFor(1);
  const first = receiver.received[0]!.body as AlertNotification;
  assert.deepEqual(first.alerts.map((a) => a.labels.topic).sort(), ['a', 'b'], 'both series fire, in one notification of the rule');
  assert.equal(alerts.snapshot().rules[0]!.instances.length, 2);

  for (let i = 0; i < 7; i++) {
    time.advance(15_000);
    dead.inc({ topic: 'a' });
    dead.inc({ topic: 'b' });
    await alerts.evaluate();
  }
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 1, 'no repeat within 2 minutes (105 s passed)');
  time.advance(15_000);
  dead.inc({ topic: 'a' });
  dead.inc({ topic: 'b' });
  await alerts.evaluate();
  await receiver.waitFor(2);
  const repeat = receiver.received[1]!.body as AlertNotification;
  assert.equal(repeat.status, 'firing');
  assert.equal(repeat.alerts.length, 2);
});

test('webhook retries with backoff on 5xx and gives up at once on 4xx', async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const registry = new Registry();
  const g = new Gauge({ name: 'g', help: 'g', labelNames: ['k'], registers: [registry] });
  const time = clock();
  const alerts = manager(
    t,
    registry,
    {
      rules: [{ name: 'G', expr: 'g > 1' }],
      notifiers: { hook: { type: 'webhook', url: receiver.url, maxRetries: 3, initialBackoffMs: 5, maxBackoffMs: 20 } },
      defaultNotifiers: 'hook',
    },
    time.now,
  );
  receiver.statuses.push(503, 500);
  g.set({ k: 'x' }, 2);
  await alerts.evaluate();
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 3, 'two failures, then delivered');
  assert.deepEqual(alerts.notificationStats, { sent: 1, failed: 0, dropped: 0, pending: 0 });

  receiver.statuses.push(400);
  g.set({ k: 'y' }, 2);
  time.advance(15_000);
  await alerts.evaluate();
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 4, 'a 400 is not retried');
  assert.equal(alerts.notificationStats.failed, 1);

  receiver.statuses.push(500, 500, 500, 500);
  g.set({ k: 'z' }, 2);
  time.advance(15_000);
  await alerts.evaluate();
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 8, 'first try + maxRetries 3, then it gives up');
  assert.equal(alerts.notificationStats.failed, 2);
});

test('command notifier gets the alert as JSON on stdin and the gist in env vars; a hung command is killed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-alert-cmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out.json');
  const script =
    "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>require('fs').writeFileSync(process.argv[1],JSON.stringify({stdin:JSON.parse(s),status:process.env.FERRY_ALERT_STATUS,rule:process.env.FERRY_ALERT_RULE,severity:process.env.FERRY_ALERT_SEVERITY,count:process.env.FERRY_ALERT_COUNT})))";
  const registry = new Registry();
  const g = new Gauge({ name: 'g', help: 'g', registers: [registry] });
  const h = new Gauge({ name: 'h', help: 'h', registers: [registry] });
  const time = clock();
  const alerts = manager(
    t,
    registry,
    {
      rules: [
        { name: 'G', expr: 'g > 1', severity: 'info', notifiers: ['run'] },
        { name: 'H', expr: 'h > 1', notifiers: ['hang'] },
      ],
      notifiers: {
        run: { type: 'command', command: process.execPath, args: ['-e', script, out] },
        hang: { type: 'command', command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 200 },
      },
    },
    time.now,
  );
  g.set(3);
  h.set(3);
  await alerts.evaluate();
  await alerts.notificationsIdle();
  const written = JSON.parse(await readFile(out, 'utf8')) as {
    stdin: AlertNotification;
    status: string;
    rule: string;
    severity: string;
    count: string;
  };
  assert.equal(written.status, 'firing');
  assert.equal(written.rule, 'G');
  assert.equal(written.severity, 'info');
  assert.equal(written.count, '1');
  assert.equal(written.stdin.alerts[0]!.value, 3);
  assert.equal(alerts.notificationStats.sent, 1);
  assert.equal(alerts.notificationStats.failed, 1, 'the hung command was killed at its timeout');
});

test('silences suppress notifications until they expire, survive a restart, and can be expired early', async (t) => {
  const receiver = await startHttpReceiver();
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-alert-silence-'));
  t.after(() => Promise.all([receiver.close(), rm(dataDir, { recursive: true, force: true })]));
  const registry = new Registry();
  const g = new Gauge({ name: 'g', help: 'g', labelNames: ['topic'], registers: [registry] });
  const time = clock();
  const config: Partial<AlertsConfig> = {
    rules: [{ name: 'G', expr: 'g > 1' }],
    notifiers: { hook: { type: 'webhook', url: receiver.url } },
    defaultNotifiers: 'hook',
  };
  const alerts = manager(t, registry, config, time.now, dataDir);
  await alerts.start();
  const silence = alerts.addSilence({
    matchers: [{ name: 'topic', value: 'orders|audit', isRegex: true, isEqual: true }],
    durationMs: 60_000,
    createdBy: 'test',
    comment: 'maintenance',
  });
  g.set({ topic: 'orders' }, 5);
  g.set({ topic: 'other' }, 5);
  await alerts.evaluate();
  await receiver.waitFor(1);
  await alerts.notificationsIdle();
  assert.equal(receiver.received.length, 1);
  const body = receiver.received[0]!.body as AlertNotification;
  assert.deepEqual(
    body.alerts.map((a) => a.labels.topic),
    ['other'],
    'the silenced instance is not sent',
  );
  const orders = alerts.snapshot().rules[0]!.instances.find((i) => i.labels.topic === 'orders')!;
  assert.equal(orders.state, 'firing');
  assert.equal(orders.silencedBy, silence.id);
  await alerts.stop();

  // A restart reads the silence back from the data dir.
  const saved = JSON.parse(await readFile(join(dataDir, 'alert-silences.json'), 'utf8')) as { id: string }[];
  assert.deepEqual(
    saved.map((s) => s.id),
    [silence.id],
  );
  const restarted = manager(t, registry, config, time.now, dataDir);
  await restarted.start();
  assert.deepEqual(
    restarted.snapshot().silences.map((s) => s.id),
    [silence.id],
  );
  await restarted.evaluate();
  await restarted.notificationsIdle();
  const afterRestart = receiver.received.slice(1).flatMap((r) => (r.body as AlertNotification).alerts.map((a) => a.labels.topic));
  assert.ok(!afterRestart.includes('orders'), 'still silenced after the restart');

  // The silence expires: the still-firing instance is sent.
  time.advance(61_000);
  const before = receiver.received.length;
  await restarted.evaluate();
  await receiver.waitFor(before + 1);
  const topics = receiver.received.slice(before).flatMap((r) => (r.body as AlertNotification).alerts.map((a) => a.labels.topic));
  assert.ok(topics.includes('orders'), `orders is sent once the silence expires (got ${topics.join(',')})`);
  assert.deepEqual(restarted.snapshot().silences, []);

  // Expired early through the manager: false for an unknown id.
  const second = restarted.addSilence({
    matchers: [{ name: 'alertname', value: 'G', isRegex: false, isEqual: true }],
    durationMs: 3_600_000,
  });
  assert.equal(restarted.expireSilence(second.id), true);
  assert.equal(restarted.expireSilence(second.id), false);
  assert.throws(() => restarted.addSilence({ matchers: [], durationMs: 1000 }), /matchers must be a non-empty list/);
  assert.throws(
    () => restarted.addSilence({ matchers: [{ name: 'a', value: 'b', isRegex: false, isEqual: true }], endsAt: '2000-01-01T00:00:00Z' }),
    /endsAt is in the past/,
  );
  assert.throws(
    () => restarted.addSilence({ matchers: [{ name: 'a', value: '(', isRegex: true, isEqual: true }], durationMs: 1000 }),
    /bad regular expression/,
  );
  // Stop before the data dir is removed (after-hooks run in the order they were added).
  await restarted.stop();
});

test('default rules are on unless turned off; a user rule of the same name replaces one; unknown notifiers are refused', async (t) => {
  const registry = new Registry();
  const time = clock();
  const withDefaults = new AlertManager({ registry, logger: new RecordingLogger(), now: time.now });
  t.after(() => withDefaults.stop());
  const names = withDefaults.snapshot().rules.map((r) => r.name);
  assert.deepEqual(names, [
    'FerryDiskNearlyFull',
    'FerryConsumerLagGrowing',
    'FerryDeadLetters',
    'FerryEndToEndLatencyHigh',
    'FerryEventLoopLagHigh',
    'FerryPartitionOffline',
  ]);
  const offline = new Gauge({ name: 'ferry_partitions_offline', help: 'o', registers: [registry] });
  offline.set(2);
  await withDefaults.evaluate();
  const rule = withDefaults.snapshot().rules.find((r) => r.name === 'FerryPartitionOffline')!;
  assert.equal(rule.state, 'firing');
  assert.equal(rule.instances[0]!.description, '2 partitions are offline: their producers and consumers get PARTITION_OFFLINE.');

  const tuned = new AlertManager({
    registry,
    logger: new RecordingLogger(),
    config: { rules: [{ name: 'FerryPartitionOffline', expr: 'ferry_partitions_offline > 5' }] },
  });
  const tunedRules = tuned.snapshot().rules;
  assert.equal(tunedRules.length, 6);
  assert.equal(tunedRules.find((r) => r.name === 'FerryPartitionOffline')!.expr, 'ferry_partitions_offline > 5');

  const off = new AlertManager({ registry, logger: new RecordingLogger(), config: { defaultRules: false } });
  assert.deepEqual(off.snapshot().rules, []);
  assert.throws(
    () =>
      new AlertManager({ registry, logger: new RecordingLogger(), config: { rules: [{ name: 'X', expr: 'x > 1', notifiers: ['nope'] }] } }),
    /no notifier named nope/,
  );
});

test('a metric whose collect throws is logged and skipped; the other rules still evaluate', async (t) => {
  const registry = new Registry();
  let isBroken = true;
  new Gauge({
    name: 'flaky',
    help: 'f',
    registers: [registry],
    collect() {
      if (isBroken) throw new Error('disk stat failed');
      this.set(9);
    },
  });
  const g = new Gauge({ name: 'g', help: 'g', registers: [registry] });
  g.set(5);
  const logger = new RecordingLogger();
  const alerts = new AlertManager({
    registry,
    logger,
    config: {
      defaultRules: false,
      rules: [
        { name: 'Flaky', expr: 'flaky > 1' },
        { name: 'G', expr: 'g > 1' },
      ],
    },
  });
  t.after(() => alerts.stop());
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'G'), 'firing');
  assert.equal(ruleState(alerts, 'Flaky'), 'inactive');
  assert.ok(
    logger.lines.some((l) => l.msg === 'alert sampling: collecting a metric failed' && (l.obj as { metric?: string }).metric === 'flaky'),
  );
  isBroken = false;
  await alerts.evaluate();
  assert.equal(ruleState(alerts, 'Flaky'), 'firing');
});
