import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { silentLogger } from '../../../src/common/logger.ts';
import { AlertManager, type AlertsSnapshot, type Silence } from '../../../src/observability/alerts/index.ts';
import { alertRoutes } from '../../../src/protocols/http/alerts-routes.ts';
import { startHttpServer } from '../../../src/protocols/http/server.ts';

async function start(t: { after(fn: () => Promise<void>): void }) {
  const registry = new Registry();
  const g = new Gauge({ name: 'g', help: 'g', labelNames: ['topic'], registers: [registry] });
  const alerts = new AlertManager({
    registry,
    logger: silentLogger,
    config: { defaultRules: false, rules: [{ name: 'G', expr: 'g > 1', description: 'g of {{ $labels.topic }} is {{ $value }}' }] },
  });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger, plugins: [alertRoutes({ alerts })] });
  t.after(async () => {
    await server.close();
    await alerts.stop();
  });
  const base = `http://127.0.0.1:${server.port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };
  return { alerts, g, call };
}

test('GET /api/alerts lists rules, states and instances', async (t) => {
  const { alerts, g, call } = await start(t);
  g.set({ topic: 'orders' }, 7);
  await alerts.evaluate();
  const { status, body } = await call('GET', '/api/alerts');
  assert.equal(status, 200);
  const snapshot = body as AlertsSnapshot;
  assert.equal(snapshot.rules.length, 1);
  const rule = snapshot.rules[0]!;
  assert.equal(rule.name, 'G');
  assert.equal(rule.state, 'firing');
  assert.equal(rule.instances[0]!.labels.topic, 'orders');
  assert.equal(rule.instances[0]!.description, 'g of orders is 7');
  assert.ok(snapshot.lastEvaluationAt);
  assert.deepEqual(snapshot.silences, []);
});

test('silences are created, listed and expired through the API', async (t) => {
  const { g, alerts, call } = await start(t);
  const created = await call('POST', '/api/silences', {
    matchers: [{ name: 'topic', value: 'orders' }],
    durationMs: 60_000,
    createdBy: 'ops',
    comment: 'deploy',
  });
  assert.equal(created.status, 201);
  const silence = created.body as Silence;
  assert.deepEqual(silence.matchers, [{ name: 'topic', value: 'orders', isRegex: false, isEqual: true }]);
  g.set({ topic: 'orders' }, 7);
  await alerts.evaluate();
  const listed = (await call('GET', '/api/alerts')).body as AlertsSnapshot;
  assert.deepEqual(
    listed.silences.map((s) => s.id),
    [silence.id],
  );
  assert.equal(listed.rules[0]!.instances[0]!.silencedBy, silence.id);
  assert.equal((await call('DELETE', `/api/silences/${silence.id}`)).status, 204);
  const gone = await call('DELETE', `/api/silences/${silence.id}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.body, { error: { code: 'SILENCE_NOT_FOUND', message: `no active silence with id ${silence.id}` } });
});

test('bad silence requests get 400 with a JSON error body', async (t) => {
  const { call } = await start(t);
  const cases: [unknown, RegExp][] = [
    [{}, /matchers/],
    [{ matchers: [] }, /matchers/],
    [{ matchers: [{ name: 'a', value: 'b' }] }, /endsAt .*or durationMs/],
    [{ matchers: [{ name: 'a', value: 'b' }], endsAt: '2001-01-01T00:00:00Z' }, /in the past/],
    [{ matchers: [{ name: 'a', value: 'b' }], endsAt: 'tomorrow' }, /not an ISO time/],
    [{ matchers: [{ name: 'a', value: '(', isRegex: true }], durationMs: 1000 }, /bad regular expression/],
    [{ matchers: [{ name: 'a-b', value: 'x' }], durationMs: 1000 }, /label name/],
    [{ matchers: [{ name: 'a', value: 'x' }], durationMs: -5 }, /durationMs|>= 1/],
    ['{not json', /JSON|Unexpected|Expected/],
  ];
  for (const [body, pattern] of cases) {
    const response = await call('POST', '/api/silences', body);
    assert.equal(response.status, 400, JSON.stringify(body));
    const error = (response.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'INVALID_REQUEST', JSON.stringify(body));
    assert.match(error.message, pattern);
  }
});
