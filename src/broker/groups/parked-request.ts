import { ErrorCode, FerryError } from '../../common/errors.ts';

/**
 * A JoinGroup or SyncGroup answered later (Kafka keeps these in a purgatory). It settles exactly
 * once: by the rebalance, by an error, or by its connection closing (`signal`), in which case the
 * caller's `onAbort` lets the group forget it was waiting.
 */
export class ParkedRequest<T> {
  readonly promise: Promise<T>;
  private readonly resolveFn: (value: T) => void;
  private readonly rejectFn: (error: FerryError) => void;
  private readonly signal: AbortSignal | undefined;
  private readonly abortListener: (() => void) | undefined;
  private isDone = false;

  constructor(signal: AbortSignal | undefined, onAbort: () => void) {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.promise = promise;
    this.resolveFn = resolve;
    this.rejectFn = reject;
    this.signal = signal;
    if (signal !== undefined) {
      this.abortListener = () => {
        if (this.isDone) return;
        this.reject(new FerryError(ErrorCode.CONNECTION_CLOSED, 'request aborted: the connection closed'));
        onAbort();
      };
      signal.addEventListener('abort', this.abortListener, { once: true });
    }
  }

  get isSettled(): boolean {
    return this.isDone;
  }

  resolve(value: T): void {
    if (this.finish()) this.resolveFn(value);
  }

  reject(error: FerryError): void {
    if (this.finish()) this.rejectFn(error);
  }

  private finish(): boolean {
    if (this.isDone) return false;
    this.isDone = true;
    if (this.abortListener !== undefined) this.signal?.removeEventListener('abort', this.abortListener);
    return true;
  }
}

/** Checked before a request parks: a request whose connection is already gone does nothing. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new FerryError(ErrorCode.CONNECTION_CLOSED, 'request aborted: the connection closed');
}
