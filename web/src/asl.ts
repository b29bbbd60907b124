// Draws an Amazon States Language state machine as an SVG diagram: states as boxes in layers
// (breadth-first from StartAt), transitions (Next, Choice branches, Default, Catch) as arrows;
// back edges (loops, e.g. a poll that waits and checks again) curve around the right side.

import { s } from './dom';

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next?: string; Variable?: string; [k: string]: unknown }[];
  Catch?: { ErrorEquals?: string[]; Next?: string }[];
  Comment?: string;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
}

export interface Edge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
  label: string;
}

export function edgesOf(def: AslDefinition): Edge[] {
  const edges: Edge[] = [];
  for (const [name, st] of Object.entries(def.States ?? {})) {
    if (st.Next) edges.push({ from: name, to: st.Next, kind: 'next', label: '' });
    (st.Choices ?? []).forEach((c, i) => {
      if (c.Next) edges.push({ from: name, to: c.Next, kind: 'choice', label: choiceLabel(c, i) });
    });
    if (st.Default) edges.push({ from: name, to: st.Default, kind: 'default', label: 'default' });
    for (const c of st.Catch ?? []) {
      if (c.Next) {
        edges.push({ from: name, to: c.Next, kind: 'catch', label: `catch ${(c.ErrorEquals ?? []).join(', ')}` });
      }
    }
  }
  return edges;
}

function choiceLabel(c: Record<string, unknown>, i: number): string {
  const variable = typeof c.Variable === 'string' ? c.Variable.replace(/^\$\.?/, '') : '';
  const op = Object.keys(c).find((k) => k !== 'Variable' && k !== 'Next');
  if (!op) return `rule ${i + 1}`;
  const value = c[op];
  const shown = typeof value === 'object' ? '…' : String(value);
  return `${variable} ${op.replace(/^(String|Numeric|Boolean|Timestamp)/, '')} ${shown}`.trim();
}

// Layer of each state: breadth-first distance from StartAt; unreachable states go last.
export function layers(def: AslDefinition, edges: Edge[]): string[][] {
  const depth = new Map<string, number>();
  const out: string[][] = [];
  const queue: string[] = [];
  if (def.States?.[def.StartAt]) {
    depth.set(def.StartAt, 0);
    queue.push(def.StartAt);
  }
  while (queue.length) {
    const n = queue.shift() as string;
    const d = depth.get(n) as number;
    (out[d] ??= []).push(n);
    for (const e of edges) {
      if (e.from === n && !depth.has(e.to) && def.States[e.to]) {
        depth.set(e.to, d + 1);
        queue.push(e.to);
      }
    }
  }
  const rest = Object.keys(def.States ?? {}).filter((n) => !depth.has(n));
  if (rest.length) out.push(rest);
  return out;
}

export interface DiagramOptions {
  current?: string | null;
  visited?: Set<string>;
  failed?: string | null;
}

export function stateMachineDiagram(def: AslDefinition, opts: DiagramOptions = {}): SVGSVGElement {
  const BW = 168;
  const BH = 44;
  const GX = 40;
  const GY = 64;
  const PAD = 24;
  const edges = edgesOf(def);
  const rows = layers(def, edges);
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const W = PAD * 2 + widest * BW + (widest - 1) * GX + 120; // room for loop-backs on the right
  const H = PAD * 2 + rows.length * BH + (rows.length - 1) * GY + 20;
  const pos = new Map<string, { x: number; y: number; layer: number }>();
  rows.forEach((row, li) => {
    const rowW = row.length * BW + (row.length - 1) * GX;
    const x0 = PAD + ((W - 120 - PAD * 2) - rowW) / 2;
    row.forEach((n, i) => pos.set(n, { x: x0 + i * (BW + GX), y: PAD + li * (BH + GY), layer: li }));
  });
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'asl',
    role: 'img',
    'aria-label': `State machine with ${Object.keys(def.States ?? {}).length} states starting at ${def.StartAt}`,
  });
  svg.append(
    s(
      'defs',
      null,
      ['next', 'choice', 'default', 'catch'].map((k) =>
        s(
          'marker',
          { id: `arrow-${k}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
          s('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead ${k}` }),
        ),
      ),
    ),
  );
  const edgeLayer = s('g', { class: 'edges' });
  const loopOffsets = new Map<string, number>();
  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    let d: string;
    let lx: number;
    let ly: number;
    if (b.layer > a.layer) {
      const x1 = a.x + BW / 2;
      const y1 = a.y + BH;
      const x2 = b.x + BW / 2;
      const y2 = b.y;
      const my = (y1 + y2) / 2;
      d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2 - 2}`;
      lx = (x1 + x2) / 2;
      ly = my - 4;
    } else {
      // Back edge or same layer: leave right, loop around, enter from the right.
      const k = (loopOffsets.get(e.from) ?? 0) + 1;
      loopOffsets.set(e.from, k);
      const x1 = a.x + BW;
      const y1 = a.y + BH / 2;
      const x2 = b.x + BW;
      const y2 = b.y + BH / 2;
      const out = Math.max(x1, x2) + 30 + 18 * k;
      d = `M${x1},${y1} C${out},${y1} ${out},${y2} ${x2 + 2},${y2}`;
      lx = out - 10;
      ly = (y1 + y2) / 2;
    }
    edgeLayer.append(
      s(
        'g',
        { class: `edge ${e.kind}`, 'data-from': e.from, 'data-to': e.to },
        s('path', { d, 'marker-end': `url(#arrow-${e.kind})` }),
        e.label ? s('text', { x: lx, y: ly, 'text-anchor': 'middle', class: 'edge-label' }, clip(e.label, 26)) : null,
      ),
    );
  }
  svg.append(edgeLayer);
  for (const [name, st] of Object.entries(def.States ?? {})) {
    const p = pos.get(name);
    if (!p) continue;
    const classes = ['state', st.Type.toLowerCase()];
    if (opts.visited?.has(name)) classes.push('visited');
    if (opts.current === name) classes.push('current');
    if (opts.failed === name) classes.push('failed');
    svg.append(
      s(
        'g',
        { class: classes.join(' '), 'data-state': name, transform: `translate(${p.x},${p.y})` },
        s('title', null, `${name} (${st.Type})${st.Comment ? ` — ${st.Comment}` : ''}`),
        s('rect', { width: BW, height: BH, rx: st.Type === 'Choice' ? 18 : 8 }),
        s('text', { x: BW / 2, y: 19, 'text-anchor': 'middle', class: 'state-name' }, clip(name, 22)),
        s('text', { x: BW / 2, y: 35, 'text-anchor': 'middle', class: 'state-type' }, st.Type + (st.End ? ' · end' : '')),
      ),
    );
  }
  return svg;
}

function clip(t: string, n: number): string {
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
