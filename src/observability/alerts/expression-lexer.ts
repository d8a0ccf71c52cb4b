import { ErrorCode, FerryError } from '../../common/errors.ts';

/**
 * Splits an alert expression into tokens. Durations (`5m`) are lexed as their own kind, since
 * `5m` would otherwise read as the number 5 followed by the name `m`.
 */

export type TokenKind = 'number' | 'duration' | 'ident' | 'string' | 'op' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

/** Rule expressions come from the config file; a bound keeps a pasted blob from being parsed. */
export const MAX_EXPRESSION_CHARS = 4096;

const OPERATORS = ['=~', '!~', '!=', '==', '>=', '<=', '>', '<', '=', '+', '-', '*', '/'];
const PUNCTUATION = new Set(['(', ')', '{', '}', '[', ']', ',']);
const IDENT_START = /[a-zA-Z_:]/;
const IDENT_PART = /[a-zA-Z0-9_:]/;
const DURATION_AT = /^(\d+(?:ms|s|m|h|d|w))+(?![a-zA-Z0-9_:])/;
const NUMBER_AT = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

export function expressionError(source: string, pos: number, message: string): FerryError {
  const excerpt = source.length > 60 ? `${source.slice(Math.max(0, pos - 20), pos + 20)}` : source;
  return new FerryError(ErrorCode.INVALID_CONFIG, `expression error at position ${pos + 1}: ${message} (in ${JSON.stringify(excerpt)})`, {
    position: pos + 1,
  });
}

export function tokenize(source: string): Token[] {
  if (source.length > MAX_EXPRESSION_CHARS) {
    throw expressionError(source.slice(0, 40), 0, `expression longer than ${MAX_EXPRESSION_CHARS} characters`);
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const rest = source.slice(i);
    const duration = DURATION_AT.exec(rest);
    if (duration && !/^\d+(?:\.|[eE])/.test(rest.slice(0, duration[0].length + 1))) {
      tokens.push({ kind: 'duration', text: duration[0], pos: i });
      i += duration[0].length;
      continue;
    }
    const number = NUMBER_AT.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0], pos: i });
      i += number[0].length;
      continue;
    }
    if (IDENT_START.test(c)) {
      let end = i + 1;
      while (end < source.length && IDENT_PART.test(source[end]!)) end++;
      tokens.push({ kind: 'ident', text: source.slice(i, end), pos: i });
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      const { value, end } = readString(source, i);
      tokens.push({ kind: 'string', text: value, pos: i });
      i = end;
      continue;
    }
    if (PUNCTUATION.has(c)) {
      tokens.push({ kind: 'punct', text: c, pos: i });
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos: i });
      i += op.length;
      continue;
    }
    throw expressionError(source, i, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'eof', text: '', pos: source.length });
  return tokens;
}

/** A quoted label value with PromQL's backslash escapes; returns the value and the index after it. */
function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start]!;
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const c = source[i]!;
    if (c === quote) return { value, end: i + 1 };
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) break;
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  throw expressionError(source, start, 'unterminated string');
}
