import { DEFAULT_RULES } from './default-rules.ts';
import type { AlertRuleConfig } from './rule-config.ts';

/**
 * The built-in rules as a Prometheus rule file, for deployments that alert from an external
 * Prometheus (deploy/prometheus/alerts.yml). The expressions are the same text: Ferry's rule
 * language is a PromQL subset, so Prometheus evaluates them as written (checked by `promtool
 * check rules` in the tests). Regenerate: `node src/observability/alerts/prometheus-rules.ts >
 * deploy/prometheus/alerts.yml`; a test fails when the file and this output differ.
 */
export function prometheusRulesYaml(rules: readonly AlertRuleConfig[] = DEFAULT_RULES): string {
  const lines = [
    '# Ferry default alert rules for Prometheus. Generated from src/observability/alerts/default-rules.ts',
    '# by `node src/observability/alerts/prometheus-rules.ts > deploy/prometheus/alerts.yml`; do not edit.',
    '# Check: promtool check rules alerts.yml',
    'groups:',
    '  - name: ferry',
    '    rules:',
  ];
  for (const rule of rules) {
    lines.push(`      - alert: ${rule.name}`, `        expr: ${quote(rule.expr)}`);
    if (rule.for !== undefined && rule.for !== '0s') lines.push(`        for: ${rule.for}`);
    lines.push('        labels:', `          severity: ${rule.severity ?? 'warning'}`);
    for (const [name, value] of Object.entries(rule.labels ?? {})) lines.push(`          ${name}: ${quote(value)}`);
    const annotations = Object.entries({ summary: rule.summary, description: rule.description }).filter(([, v]) => v);
    if (annotations.length > 0) {
      lines.push('        annotations:');
      for (const [name, value] of annotations) lines.push(`          ${name}: ${quote(value!)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A YAML double-quoted scalar: JSON's string escapes are a subset of YAML's. */
function quote(text: string): string {
  return JSON.stringify(text);
}

if (import.meta.main) process.stdout.write(prometheusRulesYaml());
