import { formatValue } from '../template.ts';
import type { AlertNotification } from './types.ts';

/**
 * Alertmanager's webhook body (version 4), so receivers written for Alertmanager — chat bridges,
 * incident tools — take Ferry's alerts unchanged. Ferry has no grouping beyond the rule, so the
 * group is the rule: groupLabels = { alertname }.
 */
export interface AlertmanagerPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

/** Alertmanager's "no end time" value. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function alertmanagerPayload(notification: AlertNotification): AlertmanagerPayload {
  const alerts = notification.alerts.map((a) => ({
    status: a.status,
    labels: a.labels,
    annotations: { ...nonEmpty(a.annotations), value: formatValue(a.value) },
    startsAt: a.firedAt ?? a.activeAt,
    endsAt: a.resolvedAt ?? ZERO_TIME,
    generatorURL: '',
    fingerprint: a.fingerprint,
  }));
  return {
    version: '4',
    groupKey: `{}:{alertname="${notification.rule}"}`,
    truncatedAlerts: 0,
    status: notification.status,
    receiver: notification.receiver,
    groupLabels: { alertname: notification.rule },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: '',
    alerts,
  };
}

function nonEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
}

/** The pairs every map in the list shares. */
function common(maps: readonly Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  const [first, ...rest] = maps;
  return Object.fromEntries(Object.entries(first!).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

/** One line per alert, for email bodies and logs. */
export function plainText(notification: AlertNotification): string {
  const lines = [`${notification.status.toUpperCase()}: ${notification.rule} (${notification.severity})`, ''];
  for (const a of notification.alerts) {
    const labels = Object.entries(a.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    lines.push(`[${a.status}] ${a.annotations.summary || a.rule}`);
    if (a.annotations.description) lines.push(`  ${a.annotations.description}`);
    lines.push(`  value: ${formatValue(a.value)}`, `  labels: ${labels}`, `  since: ${a.firedAt ?? a.activeAt}`);
    if (a.resolvedAt) lines.push(`  resolved: ${a.resolvedAt}`);
    lines.push('');
  }
  return lines.join('\n');
}
