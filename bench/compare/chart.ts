/**
 * A hand-written SVG bar chart of a comparison run: one panel per workload variant, one bar per
 * system, scaled to the panel's largest value and labelled with the figure that decides the
 * workload (records/s, p99 latency, or broker RSS for scale). No dependency: a few rects and texts.
 */
import type { ResultRow } from './results.ts';
import { headlineFigure } from './table.ts';

const WIDTH = 960;
const LABEL_WIDTH = 150;
const VALUE_WIDTH = 110;
const BAR_HEIGHT = 14;
const BAR_GAP = 4;
const PANEL_TITLE = 22;
const PANEL_GAP = 14;
const COLUMNS = 2;
const PALETTE = ['#1f6feb', '#54aeff', '#d1242f', '#fb8f44', '#8250df', '#1a7f37', '#4ac26b', '#bf8700', '#6e7781'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatValue(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function renderChart(rows: readonly ResultRow[], title: string): string {
  const systems = [...new Set(rows.map((row) => row.system))];
  const color = (system: string) => PALETTE[systems.indexOf(system) % PALETTE.length]!;
  const keys = [...new Set(rows.map((row) => `${row.workload}\u0000${row.variant}`))];
  const panelWidth = (WIDTH - PANEL_GAP * (COLUMNS + 1)) / COLUMNS;
  const panelHeight = PANEL_TITLE + systems.length * (BAR_HEIGHT + BAR_GAP) + PANEL_GAP;
  const top = 40;
  const height = top + Math.ceil(keys.length / COLUMNS) * panelHeight + PANEL_GAP;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${PANEL_GAP}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  keys.forEach((key, index) => {
    const [workload, variant] = key.split('\u0000') as [ResultRow['workload'], string];
    const figure = headlineFigure(workload);
    const x = PANEL_GAP + (index % COLUMNS) * (panelWidth + PANEL_GAP);
    const y = top + Math.floor(index / COLUMNS) * panelHeight;
    const better = figure.isHigherBetter ? 'higher is better' : 'lower is better';
    parts.push(
      `<text x="${x}" y="${y + 14}" font-weight="bold">${escapeXml(`${workload} ${variant}: ${figure.label} (${better})`)}</text>`,
    );
    const values = systems.map((system) => {
      const row = rows.find((r) => r.workload === workload && r.variant === variant && r.system === system);
      return row?.median ? figure.pick(row.median) : undefined;
    });
    const max = Math.max(0, ...values.filter((value): value is number => value !== undefined));
    const barSpace = panelWidth - LABEL_WIDTH - VALUE_WIDTH;
    systems.forEach((system, i) => {
      const barY = y + PANEL_TITLE + i * (BAR_HEIGHT + BAR_GAP);
      const value = values[i];
      parts.push(`<text x="${x + LABEL_WIDTH - 6}" y="${barY + BAR_HEIGHT - 3}" text-anchor="end">${escapeXml(system)}</text>`);
      if (value === undefined) {
        parts.push(`<text x="${x + LABEL_WIDTH}" y="${barY + BAR_HEIGHT - 3}" fill="#6e7781">n/a</text>`);
        return;
      }
      const barWidth = max > 0 ? Math.max(1, (value / max) * barSpace) : 1;
      parts.push(
        `<rect x="${x + LABEL_WIDTH}" y="${barY}" width="${barWidth.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color(system)}"/>`,
      );
      parts.push(
        `<text x="${(x + LABEL_WIDTH + barWidth + 4).toFixed(1)}" y="${barY + BAR_HEIGHT - 3}">${escapeXml(formatValue(value))}</text>`,
      );
    });
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
