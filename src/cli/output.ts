/** Human-readable tables and `--json` output for list and describe commands. */

export type Cell = string | number | boolean | null;

/**
 * Columns padded to their widest cell, two spaces apart; numbers right-aligned. A header row in
 * capitals, like `kafka-topics --describe` and `docker ps`.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => row[i]?.length ?? 0)));
  const isNumeric = headers.map(
    (_, i) => rows.some((row) => typeof row[i] === 'number') && rows.every((row) => typeof row[i] === 'number' || row[i] === null),
  );
  const line = (cells: readonly string[], numeric: readonly boolean[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers, isNumeric), ...text.map((row) => line(row, isNumeric))].join('\n');
}

/** `key: value` lines with the keys aligned. */
export function formatFields(fields: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(...fields.map(([key]) => key.length));
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${value === null ? '-' : String(value)}`).join('\n');
}

/** JSON for scripts: Buffers as base64, so the output is always valid JSON. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isSerializedBuffer(v) ? Buffer.from(v.data).toString('base64') : v), 2);
}

function isSerializedBuffer(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  );
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
