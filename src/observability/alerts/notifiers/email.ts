import { ErrorCode } from '../../../common/errors.ts';
import { lazyModule } from '../../../common/optional-module.ts';
import type { EmailNotifierConfig } from '../rule-config.ts';
import { plainText } from './payload.ts';
import { type AlertNotification, backoffFrom, DEFAULT_NOTIFIER_TIMEOUT_MS, type Notifier, withRetries } from './types.ts';

/** Loaded only when an email notifier is configured: nodemailer is ~23 MiB of RSS otherwise idle. */
const nodemailer = lazyModule<typeof import('nodemailer')>('nodemailer', 'the email notifier', ErrorCode.INVALID_CONFIG);

/**
 * Email over SMTP through nodemailer: STARTTLS when the server offers it (`secure: true` for
 * TLS from the start, port 465), AUTH when `user` is set. Subject like Alertmanager's:
 * `[FIRING:2] RuleName`.
 */
export function emailNotifier(name: string, config: EmailNotifierConfig): Notifier {
  const backoff = backoffFrom(config);
  const timeoutMs = config.timeoutMs ?? DEFAULT_NOTIFIER_TIMEOUT_MS;
  const transport = nodemailer().createTransport({
    host: config.host,
    port: config.port ?? (config.secure ? 465 : 25),
    secure: config.secure ?? false,
    auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    name,
    async send(notification: AlertNotification) {
      const count = notification.alerts.filter((a) => a.status === notification.status).length;
      const subject = `[${notification.status.toUpperCase()}:${count}] ${notification.rule}`;
      await withRetries(
        backoff,
        async () => {
          await transport.sendMail({ from: config.from, to: config.to, subject, text: plainText(notification) });
        },
        // nodemailer marks SMTP 5xx answers with responseCode: a rejected recipient stays rejected.
        (error) => {
          const code = (error as { responseCode?: number }).responseCode;
          return code === undefined || code < 500;
        },
      );
    },
  };
}
