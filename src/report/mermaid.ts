/**
 * Mermaid xycharts, which GitHub renders in comments, summaries and Markdown files. Only our own
 * words and numbers go inside a block: titles, axis labels and categories are built, never copied
 * from a config or a service, so nothing a pull request controls reaches Mermaid's parser.
 */

/** Line colours of the chart, in order; the caption names them. */
export const PALETTE: readonly { hex: string; name: string }[] = [
  { hex: '#2563eb', name: 'blue' },
  { hex: '#ea580c', name: 'orange' },
  { hex: '#16a34a', name: 'green' },
  { hex: '#9333ea', name: 'purple' },
  { hex: '#dc2626', name: 'red' },
  { hex: '#0891b2', name: 'teal' },
  { hex: '#ca8a04', name: 'yellow' },
  { hex: '#db2777', name: 'pink' },
];

/** A number Mermaid reads: at most one decimal, never exponent notation at these magnitudes. */
export function chartNumber(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export interface XyChart {
  title: string;
  xLabel: string;
  categories: readonly string[];
  yLabel: string;
  /** one colour per line, in order (xychart has no legend: a caption names them) */
  lines: readonly { color: string; values: readonly number[] }[];
}

export function xyChartBlock(chart: XyChart): string {
  return [
    '```mermaid',
    '---',
    'config:',
    '  themeVariables:',
    '    xyChart:',
    `      plotColorPalette: "${chart.lines.map((l) => l.color).join(', ')}"`,
    '---',
    'xychart-beta',
    `  title "${chart.title}"`,
    `  x-axis "${chart.xLabel}" [${chart.categories.map((c) => `"${c}"`).join(', ')}]`,
    `  y-axis "${chart.yLabel}"`,
    ...chart.lines.map((l) => `  line [${l.values.map(chartNumber).join(', ')}]`),
    '```',
  ].join('\n');
}

/**
 * A chart of labelled lines in PALETTE's colours, at most one per colour, and the caption that
 * names them ("Lines in order: 1. items (blue), …"); the labels must be escaped already, and they
 * stay outside the block. `drawn`: how many lines fit.
 */
export function paletteChart(
  chart: Omit<XyChart, 'lines'>,
  lines: readonly { label: string; values: readonly number[] }[],
): { block: string; legend: string; drawn: number } {
  const drawn = lines.slice(0, PALETTE.length);
  const colour = (i: number) => PALETTE[i] as (typeof PALETTE)[number];
  return {
    block: xyChartBlock({
      ...chart,
      lines: drawn.map((l, i) => ({ color: colour(i).hex, values: l.values })),
    }),
    legend: `Lines in order: ${drawn.map((l, i) => `${i + 1}. ${l.label} (${colour(i).name})`).join(', ')}.`,
    drawn: drawn.length,
  };
}
