import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { RecordingLogger } from '../../../src/common/logger.ts';
import { AlertManager } from '../../../src/observability/alerts/index.ts';
import { prometheusRulesYaml } from '../../../src/observability/alerts/prometheus-rules.ts';
import { promtool, promtoolAvailability } from '../../protocols/http/promtool.ts';

const RULES_FILE = new URL('../../../deploy/prometheus/alerts.yml', import.meta.url);
// CI installs promtool; there a missing binary throws here and fails the file instead of skipping.
const { skipReason } = promtoolAvailability();

test('deploy/prometheus/alerts.yml is the built-in rule set, as generated', async () => {
  assert.equal(
    await readFile(RULES_FILE, 'utf8'),
    prometheusRulesYaml(),
    'regenerate: node src/observability/alerts/prometheus-rules.ts > deploy/prometheus/alerts.yml',
  );
});

test('promtool check rules accepts deploy/prometheus/alerts.yml', { skip: skipReason }, async () => {
  const result = await promtool(['check', 'rules', RULES_FILE.pathname]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS: 6 rules found/);
});

/**
 * The same series through Prometheus (promtool test rules) and through Ferry's own evaluator:
 * both say the disk rule fires after 5 minutes under 10% free, and the offline rule at once.
 */
test('Prometheus and Ferry agree on when the disk and offline rules fire', { skip: skipReason }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-promtool-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'alerts.yml'), prometheusRulesYaml());
  const unitTest = {
    rule_files: ['alerts.yml'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          { series: 'ferry_data_volume_free_bytes', values: '50 5x10' },
          { series: 'ferry_data_volume_size_bytes', values: '100x10' },
          { series: 'ferry_partitions_offline', values: '0 2x10' },
        ],
        alert_rule_test: [
          { eval_time: '4m', alertname: 'FerryDiskNearlyFull', exp_alerts: [] },
          {
            eval_time: '7m',
            alertname: 'FerryDiskNearlyFull',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical' },
                exp_annotations: {
                  summary: 'Data volume nearly full',
                  description: 'Only 5% of the data volume is free; producers get DISK_FULL when it runs out.',
                },
              },
            ],
          },
          {
            eval_time: '1m',
            alertname: 'FerryPartitionOffline',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical' },
                exp_annotations: {
                  summary: 'Partition offline',
                  description: '2 partitions are offline: their producers and consumers get PARTITION_OFFLINE.',
                },
              },
            ],
          },
        ],
      },
    ],
  };
  // JSON is YAML: promtool reads the unit test file as written.
  await writeFile(join(dir, 'test.yml'), JSON.stringify(unitTest));
  const result = await promtool(['test', 'rules', join(dir, 'test.yml')]);
  assert.equal(result.code, 0, result.output);

  // Ferry, minute by minute on the same values.
  const registry = new Registry();
  const free = new Gauge({ name: 'ferry_data_volume_free_bytes', help: 'f', registers: [registry] });
  const size = new Gauge({ name: 'ferry_data_volume_size_bytes', help: 's', registers: [registry] });
  const offline = new Gauge({ name: 'ferry_partitions_offline', help: 'o', registers: [registry] });
  let nowMs = 0;
  const alerts = new AlertManager({ registry, logger: new RecordingLogger(), now: () => nowMs });
  const stateAt = async (minute: number, name: string) => {
    nowMs = minute * 60_000;
    free.set(minute === 0 ? 50 : 5);
    size.set(100);
    offline.set(minute === 0 ? 0 : 2);
    await alerts.evaluate();
    return alerts.snapshot().rules.find((r) => r.name === name)!;
  };
  assert.equal((await stateAt(0, 'FerryDiskNearlyFull')).state, 'inactive');
  assert.equal((await stateAt(1, 'FerryPartitionOffline')).state, 'firing');
  for (let minute = 2; minute <= 5; minute++) assert.equal((await stateAt(minute, 'FerryDiskNearlyFull')).state, 'pending');
  const disk = await stateAt(6, 'FerryDiskNearlyFull');
  assert.equal(disk.state, 'firing');
  assert.equal(disk.instances[0]!.description, 'Only 5% of the data volume is free; producers get DISK_FULL when it runs out.');
  await alerts.stop();
});
