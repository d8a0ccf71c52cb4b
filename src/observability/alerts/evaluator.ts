import type { Aggregate, Binary, CompareOp, Condition, Expr, LabelMatcher, QuantileCall, RangeCall, Selector } from './expression.ts';
import { applyRangeFunction, bucketQuantile } from './range-functions.ts';
import { type Labels, latestValue, pointsInRange, type SampleStore } from './sample-store.ts';

/**
 * Evaluates an expression tree over the sample store at one instant. Like PromQL, a vector is a
 * set of series each with its labels (the metric name is dropped: alert labels never carry it),
 * functions and aggregations produce new series, and `a / b` between two vectors pairs the series
 * whose label sets are equal.
 */

export interface VectorSample {
  labels: Labels;
  value: number;
}

export type Value = { kind: 'scalar'; value: number } | { kind: 'vector'; samples: VectorSample[] };

export function evaluate(expr: Expr, store: SampleStore, nowMs: number): Value {
  switch (expr.kind) {
    case 'number':
      return { kind: 'scalar', value: expr.value };
    case 'selector':
      return { kind: 'vector', samples: instant(expr, store) };
    case 'range-call':
      return { kind: 'vector', samples: rangeCall(expr, store, nowMs) };
    case 'histogram-quantile':
      return { kind: 'vector', samples: histogramQuantile(expr, store, nowMs) };
    case 'aggregate':
      return { kind: 'vector', samples: aggregate(expr, store, nowMs) };
    case 'binary':
      return binary(expr, store, nowMs);
  }
}

/** The series for which the condition holds, each with the value of its left-hand side. */
export function evaluateCondition(condition: Condition, store: SampleStore, nowMs: number): VectorSample[] {
  const result = evaluate(condition.expr, store, nowMs);
  const samples = result.kind === 'scalar' ? [{ labels: {}, value: result.value }] : result.samples;
  return samples.filter((s) => compare(condition.op, s.value, condition.threshold));
}

export function compare(op: CompareOp, left: number, right: number): boolean {
  switch (op) {
    case '>':
      return left > right;
    case '<':
      return left < right;
    case '>=':
      return left >= right;
    case '<=':
      return left <= right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}

export function matches(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  for (const m of matchers) {
    const value = labels[m.name] ?? '';
    const isMatch = m.regex ? m.regex.test(value) : value === m.value;
    if ((m.op === '=' || m.op === '=~') !== isMatch) return false;
  }
  return true;
}

function instant(selector: Selector, store: SampleStore): VectorSample[] {
  return store
    .current(selector.metric)
    .filter((s) => matches(selector.matchers, s.labels))
    .map((s) => ({ labels: s.labels, value: latestValue(s) }));
}

function rangeCall(call: RangeCall, store: SampleStore, nowMs: number): VectorSample[] {
  const out: VectorSample[] = [];
  for (const series of store.current(call.arg.metric)) {
    if (!matches(call.arg.matchers, series.labels)) continue;
    const { times, values } = pointsInRange(series, nowMs - call.arg.rangeMs, nowMs);
    const value = applyRangeFunction(call.fn, times, values, call.arg.rangeMs);
    if (value !== undefined) out.push({ labels: series.labels, value });
  }
  return out;
}

function histogramQuantile(call: QuantileCall, store: SampleStore, nowMs: number): VectorSample[] {
  const input = evaluate(call.arg, store, nowMs);
  if (input.kind !== 'vector') return [];
  const groups = new Map<string, { labels: Labels; buckets: { upperBound: number; count: number }[] }>();
  for (const sample of input.samples) {
    const le = sample.labels.le;
    if (le === undefined) continue;
    const upperBound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    if (Number.isNaN(upperBound)) continue;
    const { le: _le, ...rest } = sample.labels;
    const key = labelKey(rest);
    let group = groups.get(key);
    if (!group) {
      group = { labels: rest, buckets: [] };
      groups.set(key, group);
    }
    group.buckets.push({ upperBound, count: sample.value });
  }
  const out: VectorSample[] = [];
  for (const group of groups.values()) {
    const value = bucketQuantile(call.quantile, group.buckets);
    if (!Number.isNaN(value)) out.push({ labels: group.labels, value });
  }
  return out;
}

function aggregate(node: Aggregate, store: SampleStore, nowMs: number): VectorSample[] {
  const input = evaluate(node.arg, store, nowMs);
  const samples = input.kind === 'scalar' ? [{ labels: {}, value: input.value }] : input.samples;
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const sample of samples) {
    const labels = groupLabels(sample.labels, node.grouping);
    const key = labelKey(labels);
    const group = groups.get(key);
    if (group) group.values.push(sample.value);
    else groups.set(key, { labels, values: [sample.value] });
  }
  const out: VectorSample[] = [];
  for (const { labels, values } of groups.values()) {
    let value: number;
    switch (node.op) {
      case 'sum':
        value = values.reduce((a, b) => a + b, 0);
        break;
      case 'avg':
        value = values.reduce((a, b) => a + b, 0) / values.length;
        break;
      case 'max':
        value = Math.max(...values);
        break;
      case 'min':
        value = Math.min(...values);
        break;
      case 'count':
        value = values.length;
        break;
    }
    out.push({ labels, value });
  }
  return out;
}

function groupLabels(labels: Labels, grouping: Aggregate['grouping']): Labels {
  if (!grouping) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    const isListed = grouping.labels.includes(name);
    if (isListed === (grouping.mode === 'by')) out[name] = value;
  }
  return out;
}

function binary(node: Binary, store: SampleStore, nowMs: number): Value {
  const left = evaluate(node.left, store, nowMs);
  const right = evaluate(node.right, store, nowMs);
  const apply = (a: number, b: number) => arithmetic(node.op, a, b);
  if (left.kind === 'scalar' && right.kind === 'scalar') return { kind: 'scalar', value: apply(left.value, right.value) };
  if (left.kind === 'scalar' && right.kind === 'vector') {
    return { kind: 'vector', samples: right.samples.map((s) => ({ labels: s.labels, value: apply(left.value, s.value) })) };
  }
  if (left.kind === 'vector' && right.kind === 'scalar') {
    return { kind: 'vector', samples: left.samples.map((s) => ({ labels: s.labels, value: apply(s.value, right.value) })) };
  }
  if (left.kind !== 'vector' || right.kind !== 'vector') return { kind: 'vector', samples: [] };
  const byKey = new Map(right.samples.map((s) => [labelKey(s.labels), s]));
  const samples: VectorSample[] = [];
  for (const sample of left.samples) {
    const other = byKey.get(labelKey(sample.labels));
    if (other) samples.push({ labels: sample.labels, value: apply(sample.value, other.value) });
  }
  return { kind: 'vector', samples };
}

function arithmetic(op: Binary['op'], a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
  }
}

/**
 * A stable identity for a label set. Every label set here is built in sorted name order (the
 * store sorts once per series; grouping and `le` removal keep the order), so no sort is needed.
 */
export function labelKey(labels: Labels): string {
  let key = '';
  for (const name in labels) key += `${name}\u0001${labels[name]}\u0000`;
  return key;
}
