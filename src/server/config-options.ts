/**
 * One configuration option: how it is parsed, its default, and the one line that documents it.
 * The flag, environment variable and file key are derived from the section and field names
 * (see `config.ts`), so a new option is one entry in one table.
 */

/** What a source hands over before parsing: flags, env and properties files give strings; a JSON
 *  file may give numbers and booleans too. */
export type RawValue = string | number | boolean;

export interface OptionSpec<V> {
  /** Shown in docs and `--help` as the value's shape: `<int>`, `always|interval|none`, ... */
  readonly valueHint: string;
  readonly defaultValue: V;
  readonly description: string;
  /** Parses a raw value; returns the value or a sentence saying what was expected. */
  parse(raw: RawValue): { value: V } | { expected: string };
  /** A JSON file may nest an array or object under this key (alert rules); it arrives as JSON text. */
  readonly acceptsJson?: boolean;
}

/** The value type an option table produces, field by field. */
export type ValuesOf<T> = { -readonly [K in keyof T]: T[K] extends OptionSpec<infer V> ? V : never };

const INTEGER = /^-?\d+$/;

/** A safe integer in [min, max]. Strings may use `_` between digits (`1_048_576`). */
export function integer(defaultValue: number, description: string, min: number, max: number = Number.MAX_SAFE_INTEGER): OptionSpec<number> {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return {
    valueHint: '<int>',
    defaultValue,
    description,
    parse(raw) {
      let value: number;
      if (typeof raw === 'number') value = raw;
      else if (typeof raw === 'string' && INTEGER.test(raw.trim().replaceAll('_', ''))) value = Number(raw.trim().replaceAll('_', ''));
      else return { expected };
      if (!Number.isSafeInteger(value) || value < min || value > max) return { expected };
      return { value };
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[], defaultValue: NoInfer<V>, description: string): OptionSpec<V> {
  const expected = `one of ${values.join(', ')}`;
  return {
    valueHint: values.join('|'),
    defaultValue,
    description,
    parse(raw) {
      const text = typeof raw === 'string' ? raw.trim() : raw;
      const match = values.find((v) => v === text);
      return match === undefined ? { expected } : { value: match };
    },
  };
}

export function text(defaultValue: string, description: string, valueHint = '<text>'): OptionSpec<string> {
  return {
    valueHint,
    defaultValue,
    description,
    parse(raw) {
      if (typeof raw !== 'string' || raw.trim() === '') return { expected: 'a non-empty string' };
      return { value: raw.trim() };
    },
  };
}

/** `auto` or an integer in [min, max]. */
export function autoOrInteger(description: string, min: number, max: number): OptionSpec<'auto' | number> {
  const number = integer(0, description, min, max);
  return {
    valueHint: `auto|<int>`,
    defaultValue: 'auto',
    description,
    parse(raw) {
      if (raw === 'auto' || (typeof raw === 'string' && raw.trim() === 'auto')) return { value: 'auto' };
      const parsed = number.parse(raw);
      return 'expected' in parsed ? { expected: `auto or ${parsed.expected}` } : parsed;
    },
  };
}

/** A string that may be empty: empty means "derive it" (documented per option). */
export function optionalText(description: string, valueHint = '<text>'): OptionSpec<string> {
  return {
    valueHint,
    defaultValue: '',
    description,
    parse(raw) {
      if (typeof raw !== 'string') return { expected: 'a string' };
      return { value: raw.trim() };
    },
  };
}

export function boolean(defaultValue: boolean, description: string): OptionSpec<boolean> {
  return {
    valueHint: 'true|false',
    defaultValue,
    description,
    parse(raw) {
      if (raw === true || raw === 'true') return { value: true };
      if (raw === false || raw === 'false') return { value: false };
      return { expected: 'true or false' };
    },
  };
}

/** A finite number in [min, max], fractions allowed (`0.2`, `1.5`). */
export function decimal(defaultValue: number, description: string, min: number, max: number): OptionSpec<number> {
  const expected = `a number from ${min} to ${max}`;
  return {
    valueHint: '<number>',
    defaultValue,
    description,
    parse(raw) {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : Number.NaN;
      if (!Number.isFinite(value) || value < min || value > max) return { expected };
      return { value };
    },
  };
}

/** A string `isValue` accepts; `valueHint` shows its shape (`always|none|interval:<ms>`). */
export function matching<V extends string>(
  defaultValue: V,
  description: string,
  valueHint: string,
  isValue: (text: string) => text is V,
): OptionSpec<V> {
  const expected = `a value of the form ${valueHint}`;
  return {
    valueHint,
    defaultValue,
    description,
    parse(raw) {
      const text = typeof raw === 'string' ? raw.trim() : '';
      return isValue(text) ? { value: text } : { expected };
    },
  };
}

/** `nativePort` -> `native-port`; `maxInFlightBytesPerConnection` -> `max-in-flight-bytes-per-connection`. */
export function kebabCase(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `nativePort` -> `NATIVE_PORT`. */
export function screamingSnakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** Edit distance, for "did you mean" on unknown keys. Inputs are short key names. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * A structured value (a list of alert rules, a map of notifiers): nested as-is in a JSON config
 * file, JSON text in a properties file. `check` throws with a message naming the bad field.
 */
export function json<V>(defaultValue: V, description: string, check: (value: unknown) => V): OptionSpec<V> {
  return {
    valueHint: '<json>',
    defaultValue,
    description,
    acceptsJson: true,
    parse(raw) {
      // Text from a file or env; anything else was handed over already parsed (the defaults, tests).
      let value: unknown = raw;
      if (typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch (error) {
          return { expected: `valid JSON (${(error as Error).message})` };
        }
      }
      try {
        return { value: check(value) };
      } catch (error) {
        return { expected: (error as Error).message };
      }
    },
  };
}
