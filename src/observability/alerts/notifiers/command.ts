import { spawn } from 'node:child_process';
import type { CommandNotifierConfig } from '../rule-config.ts';
import { type AlertNotification, DEFAULT_NOTIFIER_TIMEOUT_MS, type Notifier } from './types.ts';

/** Output kept from a failing command for the log line; the rest is discarded. */
const MAX_STDERR_BYTES = 4096;

/**
 * Runs a program (no shell) with the notification as JSON on stdin and the gist in environment
 * variables (FERRY_ALERT_STATUS, FERRY_ALERT_RULE, FERRY_ALERT_SEVERITY, FERRY_ALERT_COUNT,
 * FERRY_ALERT_RECEIVER), for paging tools that are easiest to reach from a script. A non-zero
 * exit or running past timeoutMs (the child is killed) is a failed delivery; not retried, since
 * a script may have side effects.
 */
export function commandNotifier(name: string, config: CommandNotifierConfig): Notifier {
  const timeoutMs = config.timeoutMs ?? DEFAULT_NOTIFIER_TIMEOUT_MS;
  return {
    name,
    send(notification: AlertNotification) {
      return new Promise<void>((resolve, reject) => {
        const child = spawn(config.command, config.args ?? [], {
          stdio: ['pipe', 'ignore', 'pipe'],
          env: {
            ...process.env,
            FERRY_ALERT_STATUS: notification.status,
            FERRY_ALERT_RULE: notification.rule,
            FERRY_ALERT_SEVERITY: notification.severity,
            FERRY_ALERT_COUNT: String(notification.alerts.length),
            FERRY_ALERT_RECEIVER: notification.receiver,
          },
        });
        let stderr = '';
        let isTimedOut = false;
        const timer = setTimeout(() => {
          isTimedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs);
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.slice(0, MAX_STDERR_BYTES - stderr.length);
        });
        // A command that exits without reading stdin gives EPIPE: its exit code is what counts.
        child.stdin.on('error', () => {});
        child.stdin.end(JSON.stringify(notification));
        child.on('error', (error) => {
          clearTimeout(timer);
          reject(new Error(`command ${config.command}: ${error.message}`));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (isTimedOut) reject(new Error(`command ${config.command} killed after ${timeoutMs} ms`));
          else if (code === 0) resolve();
          else reject(new Error(`command ${config.command} exited ${code ?? signal}: ${stderr.trim()}`));
        });
      });
    },
  };
}
