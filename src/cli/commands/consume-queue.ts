import type { FerryClient, QueueMessage, SubscriptionMode } from '../../client/index.ts';
import { ErrorCode, isFerryError } from '../../common/errors.ts';
import { type StopReason, watchForStop } from '../stop-watch.ts';

export type AckMode = 'auto' | 'manual';

export interface QueueConsumeOptions {
  subscription: string;
  /** Default: the existing subscription's mode, or `shared` for a new one. */
  mode: SubscriptionMode | undefined;
  ack: AckMode;
  prefetch?: number;
  startAt?: 'earliest' | 'latest';
  maxMessages?: number;
  timeoutMs?: number;
  printKey?: boolean;
  keySeparator: string;
}

export interface QueueConsumeResult {
  received: number;
  reason: StopReason | 'count' | 'end';
}

const NEWLINE = Buffer.from('\n');
const NULL_TEXT = Buffer.from('null');
/** Prefetch when `-n N` is given without `--prefetch`: take no more than will be printed, so the
 *  other consumers of the subscription are not kept waiting for records this one will return. */
const MAX_IMPLIED_PREFETCH = 1000;

/**
 * `ferry consume TOPIC --subscription S`: prints records of a queue subscription, one value per
 * line. `--ack auto` acknowledges a record once its line was handed to stdout (the write's
 * callback), so a record is never acknowledged without having been printed; a crash in between
 * prints it again (at least once). `--ack manual` acknowledges nothing: the records go back to
 * the queue when the command exits (docs/cli.md).
 */
export async function consumeSubscription(client: FerryClient, topic: string, options: QueueConsumeOptions): Promise<QueueConsumeResult> {
  const limit = options.maxMessages ?? Number.POSITIVE_INFINITY;
  const prefetch =
    options.prefetch ?? (options.maxMessages === undefined ? undefined : Math.min(options.maxMessages, MAX_IMPLIED_PREFETCH));
  const subscription = await client.subscribe({
    topic,
    subscription: options.subscription,
    mode: options.mode ?? (await existingMode(client, topic, options.subscription)) ?? 'shared',
    ...(prefetch === undefined ? {} : { prefetch }),
    ...(options.startAt === undefined ? {} : { startAt: options.startAt }),
  });
  const separator = options.printKey ? Buffer.from(options.keySeparator, 'utf8') : null;
  const acks: Promise<void>[] = [];
  let failedAcks = 0;
  const ackPrinted = (message: QueueMessage) => (error: Error | null | undefined) => {
    if (error) return; // not printed: not acknowledged, so it is delivered again
    acks.push(
      message.ack().catch(() => {
        failedAcks++;
      }),
    );
  };
  const watch = watchForStop(options.timeoutMs);
  const iterator = subscription[Symbol.asyncIterator]();
  let received = 0;
  let reason: QueueConsumeResult['reason'] = 'count';
  try {
    watch.armIdle();
    while (received < limit) {
      const next = iterator.next();
      const result = await Promise.race([next, watch.stopped]);
      if (typeof result === 'string') {
        next.catch(() => {}); // closing the subscription ends it; nothing waits for it any more
        reason = result;
        break;
      }
      if (result.done) {
        reason = 'end';
        break;
      }
      const message = result.value;
      received++;
      const line = formatLine(message, separator);
      const isFlowing = process.stdout.write(line, options.ack === 'auto' ? ackPrinted(message) : undefined);
      if (!isFlowing) {
        const stoppedBy = await Promise.race([drained(), watch.stopped]);
        if (stoppedBy !== null) {
          reason = stoppedBy;
          break;
        }
      }
      watch.armIdle();
    }
    // Writes complete in order: once this one is done, every printed line's callback has run.
    if (!process.stdout.destroyed) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    await Promise.all(acks);
  } finally {
    watch.dispose();
  }
  if (failedAcks > 0) {
    process.stderr.write(`warning: ${failedAcks} printed record(s) could not be acknowledged; they will be delivered again\n`);
  }
  return { received, reason };
}

/** The mode of an existing subscription, so `consume --subscription S` joins it whatever its mode. */
async function existingMode(client: FerryClient, topic: string, name: string): Promise<SubscriptionMode | null> {
  try {
    return (await client.admin().describeSubscription(topic, name)).mode;
  } catch (error) {
    if (isFerryError(error) && error.code === ErrorCode.SUBSCRIPTION_NOT_FOUND) return null;
    throw error;
  }
}

function drained(): Promise<null> {
  return new Promise((resolve) => process.stdout.once('drain', () => resolve(null)));
}

function formatLine(message: QueueMessage, keySeparator: Buffer | null): Buffer {
  const value = message.value ?? NULL_TEXT;
  if (keySeparator === null) return Buffer.concat([value, NEWLINE]);
  return Buffer.concat([message.key ?? NULL_TEXT, keySeparator, value, NEWLINE]);
}
