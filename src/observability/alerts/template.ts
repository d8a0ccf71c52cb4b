import { ErrorCode, FerryError } from '../../common/errors.ts';
import type { Labels } from './sample-store.ts';

/**
 * Description templates: `{{ $labels.topic }}` and `{{ $value }}`, the two Prometheus template
 * fields that alert text uses almost always. Anything else inside `{{ }}` is a config error at
 * load, so a typo never reaches an on-call page as raw braces.
 */

const FIELD = /\{\{\s*(.*?)\s*\}\}/g;
const LABEL_REF = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/;

/** Throws INVALID_CONFIG naming the first field that is not `$value` or `$labels.<name>`. */
export function checkTemplate(template: string, where: string): void {
  for (const match of template.matchAll(FIELD)) {
    const field = match[1]!;
    if (field !== '$value' && !LABEL_REF.test(field)) {
      throw new FerryError(
        ErrorCode.INVALID_CONFIG,
        `${where}: unknown template field {{ ${field} }} (use {{ $value }} or {{ $labels.<name> }})`,
        {
          key: where,
        },
      );
    }
  }
}

export function renderTemplate(template: string, labels: Labels, value: number): string {
  return template.replace(FIELD, (_whole, field: string) => {
    if (field === '$value') return formatValue(value);
    const label = LABEL_REF.exec(field);
    return label ? (labels[label[1]!] ?? '') : '';
  });
}

/** Up to 4 significant digits: 0.123456 -> 0.1235, 1234567 -> 1234567. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}
