/** Why a long-running client command (`consume`) stopped before its count. */
export type StopReason = 'signal' | 'idle' | 'stdout-closed';

export interface StopWatch {
  /** Resolves with the first reason to stop; never rejects. */
  readonly stopped: Promise<StopReason>;
  /** (Re)starts the idle timer after progress; no-op without a timeout. */
  armIdle(): void;
  /** Removes the signal and stdout listeners and the timer. */
  dispose(): void;
}

/**
 * Watches SIGINT/SIGTERM, a closed stdout (EPIPE, `| head`) and, with `idleTimeoutMs`, a stretch
 * without progress. Commands race their next read against `stopped`, so they stop between
 * records and can settle what they printed before closing.
 */
export function watchForStop(idleTimeoutMs: number | undefined): StopWatch {
  let stop: (reason: StopReason) => void = () => {};
  const stopped = new Promise<StopReason>((resolve) => {
    stop = resolve;
  });
  const onSignal = () => stop('signal');
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stop('stdout-closed');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stdout.on('error', onStdoutError);
  let idleTimer: NodeJS.Timeout | null = null;
  return {
    stopped,
    armIdle() {
      if (idleTimeoutMs === undefined) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => stop('idle'), idleTimeoutMs);
    },
    dispose() {
      if (idleTimer) clearTimeout(idleTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdout.off('error', onStdoutError);
    },
  };
}
