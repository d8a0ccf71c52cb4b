import { CONFIG_OPTIONS, type ConfigSection } from './config.ts';

/**
 * The option tables of docs/configuration.md, generated from CONFIG_OPTIONS so the docs cannot
 * drift from the code (test/server/config-docs.test.ts checks the file holds exactly this).
 * Regenerate: `node src/server/config-docs.ts`, then paste between the markers.
 */
const HEADINGS: Readonly<Record<ConfigSection, string>> = {
  server: '### Server',
  storage: '### Storage (defaults for every topic; a topic may override them with its own config)',
  broker: '### Broker',
  native: '### Native protocol limits',
  kafka: '### Kafka protocol limits',
  metrics: '### Metrics (see docs/metrics.md)',
  queues: '### Queues (subscriptions and scheduled delivery, see docs/queues.md; — : set in the config file only)',
  http: '### HTTP (admin API bounds, see docs/http-api.md)',
  alerts: '### Alerts (built-in alert rules and notifiers, see docs/alerts.md; — : set in the config file only)',
};

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

export function configurationTables(): string {
  const parts: string[] = [];
  for (const section of Object.keys(HEADINGS) as ConfigSection[]) {
    parts.push(HEADINGS[section], '', '| file key | flag | env | default | meaning |', '| --- | --- | --- | --- | --- |');
    for (const option of CONFIG_OPTIONS.filter((o) => o.section === section)) {
      const raw = option.spec.defaultValue;
      const value = `\`${typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : String(raw)}\``;
      parts.push(
        `| \`${option.key}\` | ${option.flag === null ? '—' : `\`${option.flag} ${cell(option.spec.valueHint.startsWith('<') ? option.spec.valueHint : `<${option.spec.valueHint}>`)}\``} | ${option.env === null ? '—' : `\`${option.env}\``} | ${value} | ${cell(option.spec.description)} |`,
      );
    }
    parts.push('');
  }
  return parts.join('\n');
}

if (import.meta.main) process.stdout.write(configurationTables());
