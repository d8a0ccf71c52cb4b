import type { Logger } from '../../common/logger.ts';
import type { AlertNotification, Notifier } from './notifiers/types.ts';

/**
 * Delivers notifications without holding up evaluation: one ordered chain per notifier (so a
 * rule's `resolved` never overtakes its `firing`), and at most `maxPending` deliveries queued or
 * in flight across all of them; beyond that new ones are dropped with a warning rather than
 * letting a dead receiver grow memory.
 */
export class Dispatcher {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly maxPending: number;
  private readonly logger: Logger;
  private pending = 0;
  sent = 0;
  failed = 0;
  dropped = 0;

  constructor(options: { maxPending: number; logger: Logger }) {
    this.maxPending = options.maxPending;
    this.logger = options.logger;
  }

  get pendingCount(): number {
    return this.pending;
  }

  enqueue(notifier: Notifier, notification: AlertNotification): void {
    if (this.pending >= this.maxPending) {
      this.dropped++;
      this.logger.warn(
        { notifier: notifier.name, rule: notification.rule, maxPending: this.maxPending },
        'alert notification dropped: too many pending',
      );
      return;
    }
    this.pending++;
    const previous = this.chains.get(notifier.name) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        await notifier.send(notification);
        this.sent++;
        this.logger.info(
          { notifier: notifier.name, rule: notification.rule, status: notification.status, alerts: notification.alerts.length },
          'alert notification sent',
        );
      } catch (error) {
        this.failed++;
        this.logger.warn({ notifier: notifier.name, rule: notification.rule, err: (error as Error).message }, 'alert notification failed');
      } finally {
        this.pending--;
      }
    });
    this.chains.set(notifier.name, next);
  }

  /** Resolves when everything queued so far is delivered or has failed. */
  async idle(): Promise<void> {
    await Promise.all(this.chains.values());
  }
}
