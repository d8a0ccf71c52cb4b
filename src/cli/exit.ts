import { CommanderError } from 'commander';
import { ErrorCode, isFerryError } from '../common/errors.ts';

/**
 * Exit codes of every `ferry` command, and the one error line they print:
 *   0  success
 *   1  the operation failed (broker error, connection refused, startup failure, timeout)
 *   2  usage: bad flag, bad argument, bad config (nothing was attempted)
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** A bad command line found by our own checks (commander finds the rest). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ErrorReport {
  line: string;
  exitCode: number;
}

/** `error: <code>: <message>` and the exit code for anything a command throws. */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof CommanderError) {
    const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    return { line: `error: USAGE: ${message}`, exitCode: ExitCode.usage };
  }
  if (error instanceof UsageError) return { line: `error: USAGE: ${error.message}`, exitCode: ExitCode.usage };
  if (isFerryError(error)) {
    if (error.code === ErrorCode.INVALID_CONFIG && error.details?.origin !== undefined) {
      return { line: `error: ${error.code}: ${error.message}`, exitCode: ExitCode.usage };
    }
    // Bind failures have no FerryError code of their own; the errno (EADDRINUSE) says more.
    const errno = error.details?.errno;
    const code = error.code === ErrorCode.UNKNOWN_SERVER_ERROR && typeof errno === 'string' ? errno : error.code;
    return { line: `error: ${code}: ${error.message}`, exitCode: ExitCode.failure };
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { line: `error: ${typeof errno === 'string' ? errno : 'UNKNOWN_ERROR'}: ${message}`, exitCode: ExitCode.failure };
}
