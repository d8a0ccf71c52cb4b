import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../../src/common/errors.ts';
import { parseDuration, formatDuration } from '../../../src/observability/alerts/duration.ts';
import { metricNames, longestRangeMs } from '../../../src/observability/alerts/expression.ts';
import { parseCondition, parseExpression } from '../../../src/observability/alerts/expression-parser.ts';

test('parses a gauge threshold with label matchers', () => {
  const c = parseCondition('ferry_group_lag{group="billing", topic=~"orders.*"} > 1000');
  assert.equal(c.op, '>');
  assert.equal(c.threshold, 1000);
  assert.equal(c.expr.kind, 'selector');
  if (c.expr.kind !== 'selector') return;
  assert.equal(c.expr.metric, 'ferry_group_lag');
  assert.deepEqual(
    c.expr.matchers.map((m) => [m.name, m.op, m.value]),
    [
      ['group', '=', 'billing'],
      ['topic', '=~', 'orders.*'],
    ],
  );
  assert.ok(c.expr.matchers[1]!.regex?.test('orders-eu'));
  assert.equal(c.expr.matchers[1]!.regex?.test('xorders'), false, 'regex matchers are anchored');
});

test('parses rate over a window, aggregation by labels and arithmetic with precedence', () => {
  const c = parseCondition('sum by (topic) (rate(ferry_partition_records_in_total[5m])) * 60 + 1 >= 2.5e3');
  assert.equal(c.threshold, 2500);
  assert.equal(c.op, '>=');
  const e = c.expr;
  assert.equal(e.kind, 'binary');
  if (e.kind !== 'binary') return;
  assert.equal(e.op, '+');
  assert.equal(e.left.kind, 'binary');
  if (e.left.kind !== 'binary') return;
  assert.equal(e.left.op, '*');
  assert.equal(e.left.left.kind, 'aggregate');
  assert.deepEqual(metricNames(e), new Set(['ferry_partition_records_in_total']));
  assert.equal(longestRangeMs(e), 300_000);
});

test('parses histogram_quantile over a rate of buckets, grouping after the argument, and negative thresholds', () => {
  const c = parseCondition('histogram_quantile(0.99, sum(rate(ferry_end_to_end_latency_seconds_bucket{topic!="x"}[1h30m])) by (le)) < -1');
  assert.equal(c.threshold, -1);
  assert.equal(c.expr.kind, 'histogram-quantile');
  if (c.expr.kind !== 'histogram-quantile') return;
  assert.equal(c.expr.quantile, 0.99);
  assert.equal(c.expr.arg.kind, 'aggregate');
  if (c.expr.arg.kind !== 'aggregate') return;
  assert.deepEqual(c.expr.arg.grouping, { mode: 'by', labels: ['le'] });
  assert.equal(longestRangeMs(c.expr), 5_400_000);
});

test('every comparison operator and a division of two gauges', () => {
  for (const op of ['>', '<', '>=', '<=', '==', '!=']) {
    assert.equal(parseCondition(`a / b ${op} 0.1`).op, op);
  }
  const e = parseExpression('max without (partition) (deriv(x[10m])) - min(y)');
  assert.equal(e.kind, 'binary');
});

function assertError(source: string, position: number, pattern: RegExp): void {
  assert.throws(
    () => parseCondition(source),
    (error: unknown) => {
      assert.ok(error instanceof FerryError, 'a FerryError');
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.equal(error.details?.position, position, `position in: ${error.message}`);
      assert.match(error.message, pattern);
      assert.match(error.message, new RegExp(`position ${position}`));
      return true;
    },
  );
}

test('bad input: clear errors that name the position', () => {
  assertError('ferry_group_lag', 16, /expected a comparison/);
  assertError('ferry_group_lag > ', 19, /expected a number, got the end/);
  assertError('rate(x) > 1', 7, /range such as \[5m\]/);
  assertError('x[5m] > 1', 2, /range selector/);
  assertError('rate(x[0s]) > 1', 8, /positive duration/);
  assertError('rate(x[5q]) > 1', 8, /positive duration|unexpected|expected/);
  assertError('frobnicate(x[5m]) > 1', 1, /unknown function frobnicate/);
  assertError('x{a="b} > 1', 5, /unterminated string/);
  assertError('x{a=b} > 1', 5, /quoted label value/);
  assertError('x{a=~"("} > 1', 6, /bad regular expression/);
  assertError('x{a=="b"} > 1', 4, /label matcher operator/);
  assertError('(x > 1', 4, /expected "\)"/);
  assertError('x > 1 extra', 7, /end of the expression/);
  assertError('x # 1', 3, /unexpected character "#"/);
  assertError('histogram_quantile(1.5, x) > 1', 20, /quantile must be from 0 to 1/);
  assertError(`${'('.repeat(40)}x${')'.repeat(40)} > 1`, 34, /nested deeper/);
});

test('overlong expressions are refused before parsing', () => {
  assert.throws(() => parseCondition(`${'x + '.repeat(2000)}x > 1`), /longer than 4096/);
});

test('durations read and print as Prometheus writes them', () => {
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('0s'), 0);
  assert.equal(parseDuration('5'), undefined);
  assert.equal(parseDuration('m5'), undefined);
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(0), '0s');
});
