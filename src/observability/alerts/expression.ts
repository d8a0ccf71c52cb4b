/**
 * The syntax tree of Ferry's alert expressions: a small PromQL subset (selectors with label
 * matchers, range selectors, rate/increase/delta/deriv/*_over_time, histogram_quantile,
 * sum/max/min/avg/count by|without, + - * / between two expressions) ending in one comparison
 * against a number. `pos` is the 0-based character offset, for error messages.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled once at parse time for `=~` and `!~` (anchored, as in PromQL). */
  regex?: RegExp;
}

export type ArithmeticOp = '+' | '-' | '*' | '/';
export type CompareOp = '>' | '<' | '>=' | '<=' | '==' | '!=';
export type AggregateOp = 'sum' | 'max' | 'min' | 'avg' | 'count';

/** Functions over a range vector (`rate(x[5m])`), one result per series. */
export const RANGE_FUNCTIONS = ['rate', 'increase', 'delta', 'deriv', 'avg_over_time', 'max_over_time', 'min_over_time'] as const;
export type RangeFunction = (typeof RANGE_FUNCTIONS)[number];
export const AGGREGATE_OPS: readonly AggregateOp[] = ['sum', 'max', 'min', 'avg', 'count'];

export type Expr = NumberLiteral | Selector | RangeCall | QuantileCall | Aggregate | Binary;

export interface NumberLiteral {
  kind: 'number';
  value: number;
  pos: number;
}

export interface Selector {
  kind: 'selector';
  metric: string;
  matchers: LabelMatcher[];
  /** Set for a range selector `x[5m]`, which only a range function may take. */
  rangeMs?: number;
  pos: number;
}

export interface RangeCall {
  kind: 'range-call';
  fn: RangeFunction;
  arg: Selector & { rangeMs: number };
  pos: number;
}

export interface QuantileCall {
  kind: 'histogram-quantile';
  quantile: number;
  arg: Expr;
  pos: number;
}

export interface Aggregate {
  kind: 'aggregate';
  op: AggregateOp;
  /** `by (a, b)` keeps only those labels; `without (a)` drops them; null drops every label. */
  grouping: { mode: 'by' | 'without'; labels: string[] } | null;
  arg: Expr;
  pos: number;
}

export interface Binary {
  kind: 'binary';
  op: ArithmeticOp;
  left: Expr;
  right: Expr;
  pos: number;
}

/** A whole rule expression: `<expr> <op> <number>`. */
export interface Condition {
  expr: Expr;
  op: CompareOp;
  threshold: number;
}

/** Every metric name an expression reads, so the sampler keeps only those series. */
export function metricNames(expr: Expr, into: Set<string> = new Set()): Set<string> {
  switch (expr.kind) {
    case 'number':
      break;
    case 'selector':
      into.add(expr.metric);
      break;
    case 'range-call':
      into.add(expr.arg.metric);
      break;
    case 'histogram-quantile':
    case 'aggregate':
      metricNames(expr.arg, into);
      break;
    case 'binary':
      metricNames(expr.left, into);
      metricNames(expr.right, into);
      break;
  }
  return into;
}

/** The longest range any selector in the expression looks back, so rings keep enough samples. */
export function longestRangeMs(expr: Expr): number {
  switch (expr.kind) {
    case 'number':
      return 0;
    case 'selector':
      return expr.rangeMs ?? 0;
    case 'range-call':
      return expr.arg.rangeMs;
    case 'histogram-quantile':
    case 'aggregate':
      return longestRangeMs(expr.arg);
    case 'binary':
      return Math.max(longestRangeMs(expr.left), longestRangeMs(expr.right));
  }
}
