import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { Labels } from './sample-store.ts';

/**
 * Silences mute notifications of the alert instances whose labels match, until they expire.
 * Same shape as Alertmanager's (`name`, `value`, `isRegex`, `isEqual`), so people and scripts
 * used to amtool read them the same way. They are kept in memory and, when a file is given
 * (`<dataDir>/alert-silences.json`), written there on every change so a restart keeps them.
 */

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface SilenceInput {
  matchers: SilenceMatcher[];
  /** Either endsAt (ISO time) or durationMs. */
  endsAt?: string;
  durationMs?: number;
  createdBy?: string;
  comment?: string;
}

/** Longest pattern or value a matcher may hold: regexes from API clients stay small. */
export const MAX_MATCHER_CHARS = 256;
const MAX_MATCHERS = 32;
const MAX_TEXT_CHARS = 1024;

interface CompiledSilence {
  silence: Silence;
  endsAtMs: number;
  regexes: (RegExp | null)[];
}

export interface SilencesOptions {
  maxSilences: number;
  /** Where silences persist; null keeps them in memory only. */
  filePath: string | null;
  logger: Logger;
  now: () => number;
}

export class Silences {
  private readonly options: SilencesOptions;
  private readonly byId = new Map<string, CompiledSilence>();
  private writing: Promise<void> = Promise.resolve();

  constructor(options: SilencesOptions) {
    this.options = options;
  }

  /** Reads the file if there is one; a missing file is an empty list, a corrupt one is logged and ignored. */
  async load(): Promise<void> {
    if (!this.options.filePath) return;
    let text: string;
    try {
      text = await readFile(this.options.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.options.logger.warn({ err: (error as Error).message }, 'cannot read alert silences');
      return;
    }
    try {
      const list = JSON.parse(text) as unknown;
      if (!Array.isArray(list)) throw new Error('not a list');
      for (const raw of list) {
        const silence = raw as Silence;
        const compiled = compile(checkSilence(silence, Date.parse(silence.endsAt), this.options.now()), silence);
        if (compiled.endsAtMs > this.options.now()) this.byId.set(silence.id, compiled);
      }
    } catch (error) {
      this.options.logger.warn(
        { file: this.options.filePath, err: (error as Error).message },
        'alert silences file unreadable; starting with none',
      );
    }
  }

  /** Adds a silence; throws INVALID_REQUEST for a bad one (the API answers 400 with the message). */
  add(input: SilenceInput): Silence {
    this.prune();
    if (this.byId.size >= this.options.maxSilences) {
      throw new FerryError(ErrorCode.INVALID_REQUEST, `too many active silences (alerts.maxSilences = ${this.options.maxSilences})`);
    }
    const nowMs = this.options.now();
    let endsAtMs: number;
    if (input.durationMs !== undefined) {
      if (!Number.isSafeInteger(input.durationMs) || input.durationMs <= 0) throw badSilence('durationMs must be a positive integer');
      endsAtMs = nowMs + input.durationMs;
    } else if (typeof input.endsAt === 'string') {
      endsAtMs = Date.parse(input.endsAt);
    } else {
      throw badSilence('give endsAt (an ISO time) or durationMs');
    }
    const silence: Silence = {
      id: randomUUID(),
      matchers: Array.isArray(input.matchers) ? input.matchers.map(withMatcherDefaults) : input.matchers,
      startsAt: new Date(nowMs).toISOString(),
      endsAt: Number.isNaN(endsAtMs) ? '' : new Date(endsAtMs).toISOString(),
      createdBy: input.createdBy ?? '',
      comment: input.comment ?? '',
    };
    this.byId.set(silence.id, compile(checkSilence(silence, endsAtMs, nowMs), silence));
    this.persist();
    return silence;
  }

  /** Ends a silence now; false when no active silence has that id. */
  expire(id: string): boolean {
    this.prune();
    const existed = this.byId.delete(id);
    if (existed) this.persist();
    return existed;
  }

  active(): Silence[] {
    this.prune();
    return [...this.byId.values()].map((c) => c.silence);
  }

  /** The id of an active silence matching these labels, or null. */
  silencing(labels: Labels): string | null {
    const nowMs = this.options.now();
    for (const { silence, endsAtMs, regexes } of this.byId.values()) {
      if (endsAtMs <= nowMs) continue;
      const isMatch = silence.matchers.every((m, i) => {
        const value = labels[m.name] ?? '';
        const regex = regexes[i];
        return (regex ? regex.test(value) : value === m.value) === m.isEqual;
      });
      if (isMatch) return silence.id;
    }
    return null;
  }

  /** Resolves once the last write has finished (stop waits for it). */
  flush(): Promise<void> {
    return this.writing;
  }

  private prune(): void {
    const nowMs = this.options.now();
    let changed = false;
    for (const [id, compiled] of this.byId) {
      if (compiled.endsAtMs <= nowMs) {
        this.byId.delete(id);
        changed = true;
      }
    }
    if (changed) this.persist();
  }

  /** Writes are chained so two changes never race on the file; write-then-rename keeps it whole. */
  private persist(): void {
    const path = this.options.filePath;
    if (!path) return;
    const body = JSON.stringify(
      [...this.byId.values()].map((c) => c.silence),
      null,
      2,
    );
    this.writing = this.writing.then(async () => {
      try {
        await writeFile(`${path}.tmp`, body);
        await rename(`${path}.tmp`, path);
      } catch (error) {
        this.options.logger.warn({ file: path, err: (error as Error).message }, 'cannot write alert silences');
      }
    });
  }
}

/** `isRegex` defaults to false and `isEqual` to true, as in Alertmanager's API. */
function withMatcherDefaults(matcher: SilenceMatcher): SilenceMatcher {
  if (typeof matcher !== 'object' || matcher === null) return matcher;
  return { ...matcher, isRegex: matcher.isRegex ?? false, isEqual: matcher.isEqual ?? true };
}

function badSilence(message: string): FerryError {
  return new FerryError(ErrorCode.INVALID_REQUEST, `bad silence: ${message}`);
}

function checkSilence(silence: Silence, endsAtMs: number, nowMs: number): Silence {
  if (!Array.isArray(silence.matchers) || silence.matchers.length === 0) throw badSilence('matchers must be a non-empty list');
  if (silence.matchers.length > MAX_MATCHERS) throw badSilence(`at most ${MAX_MATCHERS} matchers`);
  for (const m of silence.matchers) {
    if (typeof m !== 'object' || m === null) throw badSilence('each matcher is an object { name, value, isRegex?, isEqual? }');
    if (typeof m.name !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name)) throw badSilence('matcher name must be a label name');
    if (typeof m.value !== 'string' || m.value.length > MAX_MATCHER_CHARS)
      throw badSilence(`matcher value must be a string of at most ${MAX_MATCHER_CHARS} characters`);
    if (typeof m.isRegex !== 'boolean' || typeof m.isEqual !== 'boolean') throw badSilence('matcher isRegex and isEqual must be booleans');
  }
  if (Number.isNaN(endsAtMs)) throw badSilence('endsAt is not an ISO time');
  if (endsAtMs <= nowMs) throw badSilence('endsAt is in the past');
  if (typeof silence.createdBy !== 'string' || silence.createdBy.length > MAX_TEXT_CHARS)
    throw badSilence('createdBy must be a short string');
  if (typeof silence.comment !== 'string' || silence.comment.length > MAX_TEXT_CHARS) throw badSilence('comment must be a short string');
  return silence;
}

function compile(silence: Silence, original: Silence): CompiledSilence {
  const regexes = silence.matchers.map((m) => {
    if (!m.isRegex) return null;
    try {
      return new RegExp(`^(?:${m.value})$`);
    } catch (error) {
      throw badSilence(`matcher ${m.name}: bad regular expression: ${(error as Error).message}`);
    }
  });
  return { silence: original, endsAtMs: Date.parse(original.endsAt), regexes };
}
