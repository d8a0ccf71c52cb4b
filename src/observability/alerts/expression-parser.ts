import { parseDuration } from './duration.ts';
import {
  AGGREGATE_OPS,
  type AggregateOp,
  type ArithmeticOp,
  type CompareOp,
  type Condition,
  type Expr,
  type LabelMatcher,
  type MatchOp,
  RANGE_FUNCTIONS,
  type RangeFunction,
  type Selector,
} from './expression.ts';
import { expressionError, type Token, tokenize } from './expression-lexer.ts';

/**
 * A recursive-descent parser for the PromQL subset in expression.ts. Grammar, loosest first:
 *
 *   condition  := additive compare NUMBER
 *   additive   := multiplicative (('+' | '-') multiplicative)*
 *   multiplicative := unary (('*' | '/') unary)*
 *   unary      := '-' unary | primary
 *   primary    := NUMBER | '(' additive ')' | aggregate | call | selector
 *   aggregate  := AGG grouping? '(' additive ')' grouping?
 *   grouping   := ('by' | 'without') '(' (IDENT (',' IDENT)*)? ')'
 *   call       := RANGE_FN '(' selector '[' DURATION ']' ')' | 'histogram_quantile' '(' NUMBER ',' additive ')'
 *   selector   := IDENT ('{' (matcher (',' matcher)*)? '}')?
 *
 * Errors are INVALID_CONFIG FerryErrors naming the 1-based position and what was expected.
 */

const COMPARE_OPS: readonly string[] = ['>', '<', '>=', '<=', '==', '!='];
const MATCH_OPS: readonly string[] = ['=', '!=', '=~', '!~'];
/** Nesting bound: an expression is a config line, not a program; this keeps recursion shallow. */
const MAX_DEPTH = 32;

/** Parses a whole rule expression, which must end in a comparison against a number. */
export function parseCondition(source: string): Condition {
  const parser = new Parser(source);
  const expr = parser.additive(0);
  const op = parser.peek();
  if (op.kind !== 'op' || !COMPARE_OPS.includes(op.text)) {
    throw expressionError(source, op.pos, `expected a comparison (${COMPARE_OPS.join(' ')}) against a number, got ${describe(op)}`);
  }
  parser.next();
  const threshold = parser.signedNumber();
  parser.expectEnd();
  return { expr, op: op.text as CompareOp, threshold };
}

/** Parses an expression without a comparison (used by tests and the Prometheus rule export). */
export function parseExpression(source: string): Expr {
  const parser = new Parser(source);
  const expr = parser.additive(0);
  parser.expectEnd();
  return expr;
}

function describe(token: Token): string {
  return token.kind === 'eof' ? 'the end of the expression' : JSON.stringify(token.text);
}

class Parser {
  private readonly source: string;
  private readonly tokens: Token[];
  private index = 0;

  constructor(source: string) {
    this.source = source;
    this.tokens = tokenize(source);
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  fail(token: Token, expected: string): never {
    throw expressionError(this.source, token.pos, `expected ${expected}, got ${describe(token)}`);
  }

  expect(kind: Token['kind'], text?: string): Token {
    const token = this.next();
    if (token.kind !== kind || (text !== undefined && token.text !== text)) this.fail(token, text ? JSON.stringify(text) : `a ${kind}`);
    return token;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'eof') this.fail(token, 'the end of the expression');
  }

  signedNumber(): number {
    let sign = 1;
    if (this.peek().kind === 'op' && this.peek().text === '-') {
      this.next();
      sign = -1;
    }
    const token = this.next();
    if (token.kind !== 'number') this.fail(token, 'a number');
    return sign * Number(token.text);
  }

  additive(depth: number): Expr {
    let left = this.multiplicative(depth);
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || (token.text !== '+' && token.text !== '-')) return left;
      this.next();
      left = { kind: 'binary', op: token.text as ArithmeticOp, left, right: this.multiplicative(depth), pos: token.pos };
    }
  }

  multiplicative(depth: number): Expr {
    let left = this.unary(depth);
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || (token.text !== '*' && token.text !== '/')) return left;
      this.next();
      left = { kind: 'binary', op: token.text as ArithmeticOp, left, right: this.unary(depth), pos: token.pos };
    }
  }

  unary(depth: number): Expr {
    const token = this.peek();
    if (depth > MAX_DEPTH) throw expressionError(this.source, token.pos, `nested deeper than ${MAX_DEPTH} levels`);
    if (token.kind === 'op' && token.text === '-') {
      this.next();
      const operand = this.unary(depth + 1);
      return { kind: 'binary', op: '*', left: { kind: 'number', value: -1, pos: token.pos }, right: operand, pos: token.pos };
    }
    return this.primary(depth + 1);
  }

  primary(depth: number): Expr {
    const token = this.peek();
    if (token.kind === 'number') {
      this.next();
      return { kind: 'number', value: Number(token.text), pos: token.pos };
    }
    if (token.kind === 'punct' && token.text === '(') {
      this.next();
      const inner = this.additive(depth);
      this.expect('punct', ')');
      return inner;
    }
    if (token.kind !== 'ident') this.fail(token, 'a number, a metric name, a function or "("');
    const nextToken = this.peek(1);
    if (AGGREGATE_OPS.includes(token.text as AggregateOp)) {
      const isAggregate = (nextToken.kind === 'punct' && nextToken.text === '(') || nextToken.text === 'by' || nextToken.text === 'without';
      if (isAggregate) return this.aggregate(depth);
    }
    if (nextToken.kind === 'punct' && nextToken.text === '(') return this.call(depth);
    const selector = this.selector();
    if (this.peek().kind === 'punct' && this.peek().text === '[') {
      throw expressionError(
        this.source,
        this.peek().pos,
        `a range selector (${selector.metric}[...]) must be the argument of a function such as rate()`,
      );
    }
    return selector;
  }

  aggregate(depth: number): Expr {
    const opToken = this.next();
    let grouping = this.grouping();
    this.expect('punct', '(');
    const arg = this.additive(depth);
    this.expect('punct', ')');
    const after = this.grouping();
    if (after) {
      if (grouping) throw expressionError(this.source, opToken.pos, 'grouping given twice');
      grouping = after;
    }
    return { kind: 'aggregate', op: opToken.text as AggregateOp, grouping, arg, pos: opToken.pos };
  }

  grouping(): { mode: 'by' | 'without'; labels: string[] } | null {
    const token = this.peek();
    if (token.kind !== 'ident' || (token.text !== 'by' && token.text !== 'without')) return null;
    this.next();
    this.expect('punct', '(');
    const labels: string[] = [];
    while (!(this.peek().kind === 'punct' && this.peek().text === ')')) {
      labels.push(this.expect('ident').text);
      if (this.peek().kind === 'punct' && this.peek().text === ',') this.next();
      else break;
    }
    this.expect('punct', ')');
    return { mode: token.text as 'by' | 'without', labels };
  }

  call(depth: number): Expr {
    const name = this.next();
    this.expect('punct', '(');
    if (name.text === 'histogram_quantile') {
      const quantileToken = this.peek();
      const quantile = this.signedNumber();
      if (!(quantile >= 0 && quantile <= 1)) throw expressionError(this.source, quantileToken.pos, 'the quantile must be from 0 to 1');
      this.expect('punct', ',');
      const arg = this.additive(depth);
      this.expect('punct', ')');
      return { kind: 'histogram-quantile', quantile, arg, pos: name.pos };
    }
    if (!RANGE_FUNCTIONS.includes(name.text as RangeFunction)) {
      throw expressionError(
        this.source,
        name.pos,
        `unknown function ${name.text} (known: ${[...RANGE_FUNCTIONS, 'histogram_quantile', ...AGGREGATE_OPS].join(', ')})`,
      );
    }
    const selector = this.selector();
    const open = this.peek();
    if (!(open.kind === 'punct' && open.text === '['))
      this.fail(open, `a range such as [5m] after ${selector.metric} (${name.text} takes a range vector)`);
    this.next();
    const durationToken = this.next();
    const rangeMs = durationToken.kind === 'duration' ? parseDuration(durationToken.text) : undefined;
    if (rangeMs === undefined || rangeMs <= 0) this.fail(durationToken, 'a positive duration such as 5m');
    this.expect('punct', ']');
    this.expect('punct', ')');
    return { kind: 'range-call', fn: name.text as RangeFunction, arg: { ...selector, rangeMs }, pos: name.pos };
  }

  selector(): Selector {
    const name = this.expect('ident');
    const matchers: LabelMatcher[] = [];
    if (this.peek().kind === 'punct' && this.peek().text === '{') {
      this.next();
      while (!(this.peek().kind === 'punct' && this.peek().text === '}')) {
        matchers.push(this.matcher());
        if (this.peek().kind === 'punct' && this.peek().text === ',') this.next();
        else break;
      }
      this.expect('punct', '}');
    }
    return { kind: 'selector', metric: name.text, matchers, pos: name.pos };
  }

  matcher(): LabelMatcher {
    const label = this.expect('ident');
    const op = this.next();
    if (op.kind !== 'op' || !MATCH_OPS.includes(op.text)) this.fail(op, `a label matcher operator (${MATCH_OPS.join(' ')})`);
    const value = this.next();
    if (value.kind !== 'string') this.fail(value, 'a quoted label value');
    const matcher: LabelMatcher = { name: label.text, op: op.text as MatchOp, value: value.text };
    if (matcher.op === '=~' || matcher.op === '!~') {
      try {
        matcher.regex = new RegExp(`^(?:${value.text})$`);
      } catch (error) {
        throw expressionError(this.source, value.pos, `bad regular expression: ${(error as Error).message}`);
      }
    }
    return matcher;
  }
}
