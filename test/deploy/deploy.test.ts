import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/common/logger.ts';
import { resolveConfig } from '../../src/server/config.ts';
import { flagEntries } from '../../src/server/config-sources.ts';
import { startFerry } from '../../src/server/server.ts';
import { promtool, promtoolAvailability } from '../protocols/http/promtool.ts';
import { defer } from '../server/cleanup.ts';

const DEPLOY = new URL('../../deploy/', import.meta.url);
const { skipReason } = promtoolAvailability();

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Metric names a PromQL expression reads (our families and prom-client's defaults). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:ferry|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

/** Metric families the broker exposes: every `# TYPE` line, with a histogram's series names. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

test('the Grafana dashboard parses, covers throughput, lag, latency and storage, and names only exported metrics', async (t) => {
  const dashboard = JSON.parse(await readFile(new URL('grafana/dashboard.json', DEPLOY), 'utf8')) as { title: string; panels: Panel[] };
  const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
  for (const needed of ['Throughput', 'Lag', 'Latency', 'Storage']) assert.ok(rows.includes(needed), `a ${needed} row`);
  const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((target) => target.expr);
  assert.ok(exprs.length >= 20);

  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-deploy-'));
  defer(t, () => rm(dataDir, { recursive: true, force: true }));
  const ferry = await startFerry(resolveConfig({ flags: flagEntries({ dataDir, nativePort: '0', httpPort: '0', kafkaPort: '0' }) }), {
    logger: silentLogger,
  });
  defer(t, () => ferry.close());
  const exported = exportedNames(await (await fetch(`http://127.0.0.1:${ferry.httpPort}/metrics`)).text());
  const named = new Set(exprs.flatMap(metricNames));
  const missing = [...named].filter((name) => !exported.has(name));
  assert.deepEqual(missing, [], 'every metric the dashboard names is exported');
  for (const name of [
    'ferry_partition_records_in_total',
    'ferry_group_lag',
    'ferry_end_to_end_latency_seconds_bucket',
    'ferry_partition_size_bytes',
  ]) {
    assert.ok(named.has(name), `the dashboard shows ${name}`);
  }
});

test('promtool check config accepts deploy/prometheus/prometheus.yml', { skip: skipReason }, async (t) => {
  // Checked in a copy, so the rule file it names is there even before alerts.yml is written.
  const dir = await mkdtemp(join(tmpdir(), 'ferry-prometheus-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await copyFile(new URL('prometheus/prometheus.yml', DEPLOY), join(dir, 'prometheus.yml'));
  try {
    await copyFile(new URL('prometheus/alerts.yml', DEPLOY), join(dir, 'alerts.yml'));
  } catch {
    await writeFile(join(dir, 'alerts.yml'), 'groups: []\n');
  }
  const result = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
  assert.equal(result.code, 0, result.output);
});
