// Small inline-SVG charts drawn by the console itself: a line chart of F1 per model version over
// time and a confusion-matrix heat map. Text is SVG <text> nodes (never markup).

import { s } from './dom';

export interface Point {
  x: number; // time, ms
  y: number; // 0..1
  label: string;
  highlight?: boolean;
}

export function f1Chart(points: Point[], threshold?: number): SVGSVGElement {
  const W = 640;
  const H = 220;
  const L = 44;
  const R = 16;
  const T = 16;
  const B = 36;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    role: 'img',
    'aria-label': `F1 per model version: ${points.map((p) => `${p.label} ${(p.y * 100).toFixed(1)}%`).join(', ')}`,
  });
  const xs = points.map((p) => p.x);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const px = (x: number) => (maxX === minX ? L + (W - L - R) / 2 : L + ((x - minX) / (maxX - minX)) * (W - L - R));
  const py = (y: number) => T + (1 - y) * (H - T - B);
  for (const g of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(
      s('line', { x1: L, x2: W - R, y1: py(g), y2: py(g), class: 'grid' }),
      s('text', { x: L - 6, y: py(g) + 4, class: 'axis', 'text-anchor': 'end' }, `${g * 100}%`),
    );
  }
  if (threshold !== undefined) {
    svg.append(
      s('line', { x1: L, x2: W - R, y1: py(threshold), y2: py(threshold), class: 'threshold' }),
      s('text', { x: W - R, y: py(threshold) - 4, class: 'axis', 'text-anchor': 'end' }, `gate ${(threshold * 100).toFixed(0)}%`),
    );
  }
  if (points.length > 1) {
    svg.append(
      s('polyline', {
        points: points.map((p) => `${px(p.x)},${py(p.y)}`).join(' '),
        class: 'series',
      }),
    );
  }
  for (const p of points) {
    svg.append(
      s(
        'g',
        { class: p.highlight ? 'point current' : 'point' },
        s('circle', { cx: px(p.x), cy: py(p.y), r: p.highlight ? 6 : 4 }, s('title', null, `${p.label}: F1 ${(p.y * 100).toFixed(1)}%`)),
        s('text', { x: px(p.x), y: H - B + 18, class: 'axis', 'text-anchor': 'middle' }, p.label),
      ),
    );
  }
  return svg;
}

// rows = truth (labels…, "_none"), columns = answer (labels…, "no answer").
export function confusionHeatmap(labels: string[], counts: number[][]): SVGSVGElement {
  const rows = [...labels, '_none'];
  const cols = [...labels, 'no answer'];
  const cell = 44;
  const left = 110;
  const top = 96;
  const W = left + cols.length * cell + 48; // room for the last rotated column name
  const H = top + rows.length * cell + 28;
  const max = Math.max(1, ...counts.flat());
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    class: 'heatmap',
    role: 'img',
    'aria-label': 'Confusion matrix: rows are the true label, columns the answer',
  });
  svg.append(
    s('text', { x: left, y: 14, class: 'axis strong' }, 'answer →'),
    s('text', { x: 4, y: top - 8, class: 'axis strong' }, 'truth ↓'),
  );
  cols.forEach((c, j) => {
    const x = left + j * cell + cell / 2;
    svg.append(
      s('text', { x, y: top - 8, class: 'axis', transform: `rotate(-40 ${x} ${top - 8})` }, truncate(c)),
    );
  });
  rows.forEach((r, i) => {
    svg.append(
      s('text', { x: left - 6, y: top + i * cell + cell / 2 + 4, class: 'axis', 'text-anchor': 'end' }, truncate(r)),
    );
    cols.forEach((_, j) => {
      const v = counts[i]?.[j] ?? 0;
      const a = v / max;
      const diag = i === j;
      const rect = s('rect', {
        x: left + j * cell,
        y: top + i * cell,
        width: cell - 2,
        height: cell - 2,
        rx: 4,
        class: diag ? 'cell diag' : 'cell off',
        'fill-opacity': (0.08 + 0.92 * a).toFixed(3),
      });
      rect.append(s('title', null, `truth ${r}, answer ${cols[j]}: ${v}`));
      svg.append(
        rect,
        s(
          'text',
          {
            x: left + j * cell + (cell - 2) / 2,
            y: top + i * cell + cell / 2 + 3,
            class: a > 0.55 ? 'count inverse' : 'count',
            'text-anchor': 'middle',
          },
          String(v),
        ),
      );
    });
  });
  return svg;
}

function truncate(t: string, n = 14): string {
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
