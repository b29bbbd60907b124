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

// Edges that close a loop (to a state still on the depth-first path from StartAt), e.g. a poll
// that waits and checks again. Drawn separately; the rest is a DAG.
export function backEdges(def: AslDefinition, edges: Edge[]): Set<Edge> {
  const back = new Set<Edge>();
  const state = new Map<string, 1 | 2>(); // 1 on the path, 2 done
  const visit = (n: string) => {
    state.set(n, 1);
    for (const e of edges) {
      if (e.from !== n || !def.States[e.to]) continue;
      const st = state.get(e.to);
      if (st === 1) back.add(e);
      else if (st === undefined) visit(e.to);
    }
    state.set(n, 2);
  };
  if (def.States?.[def.StartAt]) visit(def.StartAt);
  for (const n of Object.keys(def.States ?? {})) if (!state.has(n)) visit(n);
  return back;
}

// Layers by longest path from StartAt over forward edges (so every forward arrow points down),
// ordered within a layer by the mean position of their predecessors (fewer crossings).
export function layers(def: AslDefinition, edges: Edge[], back: Set<Edge>): string[][] {
  const names = Object.keys(def.States ?? {});
  const forward = edges.filter((e) => !back.has(e) && def.States[e.to] && e.from !== e.to);
  const indegree = new Map(names.map((n) => [n, 0]));
  for (const e of forward) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const layer = new Map<string, number>();
  const queue = names.filter((n) => indegree.get(n) === 0);
  // StartAt first among the roots.
  queue.sort((a, b) => (a === def.StartAt ? -1 : b === def.StartAt ? 1 : 0));
  for (const n of queue) layer.set(n, 0);
  while (queue.length) {
    const n = queue.shift() as string;
    for (const e of forward) {
      if (e.from !== n) continue;
      layer.set(e.to, Math.max(layer.get(e.to) ?? 0, (layer.get(n) ?? 0) + 1));
      indegree.set(e.to, (indegree.get(e.to) as number) - 1);
      if (indegree.get(e.to) === 0) queue.push(e.to);
    }
  }
  const out: string[][] = [];
  for (const n of names) (out[layer.get(n) ?? 0] ??= []).push(n);
  const rows = out.filter((r) => r && r.length);
  const index = new Map<string, number>();
  rows.forEach((row, li) => {
    if (li > 0) {
      const score = (n: string) => {
        const preds = forward.filter((e) => e.to === n && index.has(e.from)).map((e) => index.get(e.from) as number);
        return preds.length ? preds.reduce((a, b) => a + b, 0) / preds.length : Number.MAX_SAFE_INTEGER;
      };
      const scores = new Map(row.map((n) => [n, score(n)]));
      row.sort((a, b) => (scores.get(a) as number) - (scores.get(b) as number));
    }
    row.forEach((n, i) => index.set(n, i - (row.length - 1) / 2));
  });
  return rows;
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
  const back = backEdges(def, edges);
  const rows = layers(def, edges, back);
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const W = PAD * 2 + widest * BW + (widest - 1) * GX + 170; // room for loops on the right
  const H = PAD * 2 + rows.length * BH + (rows.length - 1) * GY + 20;
  const pos = new Map<string, { x: number; y: number; layer: number }>();
  rows.forEach((row, li) => {
    const rowW = row.length * BW + (row.length - 1) * GX;
    const x0 = PAD + (W - 170 - PAD * 2 - rowW) / 2;
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
  let loops = 0;
  let long = 0;
  const gutter = Math.max(...[...pos.values()].map((p) => p.x + BW));
  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    let d: string;
    let lx: number;
    let ly: number;
    if (!back.has(e) && b.layer > a.layer + 1) {
      // Skips layers: run down a lane right of the boxes it passes, then into the target's top.
      long += 1;
      const between = [...pos.values()].filter((p) => p.layer > a.layer && p.layer < b.layer);
      const lane = Math.max(a.x + BW, ...between.map((p) => p.x + BW)) + 14 + 10 * long;
      const x1 = a.x + BW;
      const y1 = a.y + BH / 2;
      const x2 = b.x + BW / 2 + 20;
      const y2 = b.y;
      d = `M${x1},${y1} L${lane - 8},${y1} Q${lane},${y1} ${lane},${y1 + 8} L${lane},${y2 - 24} C${lane},${y2 - 8} ${x2},${y2 - 16} ${x2},${y2 - 2}`;
      lx = lane + 4;
      ly = (y1 + y2) / 2;
    } else if (!back.has(e) && b.layer > a.layer) {
      const x1 = a.x + BW / 2;
      const y1 = a.y + BH;
      const x2 = b.x + BW / 2;
      const y2 = b.y;
      const my = (y1 + y2) / 2;
      d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2 - 2}`;
      // Labels sit near the target so the branches of one Choice do not overlap.
      lx = x1 + (x2 - x1) * 0.72;
      ly = y1 + (y2 - y1) * 0.62;
    } else {
      // A loop: leave right, run up the gutter right of every box, enter from the right.
      loops += 1;
      const x1 = a.x + BW;
      const y1 = a.y + BH / 2;
      const x2 = b.x + BW;
      const y2 = b.y + BH / 2;
      const out = gutter + 24 + 16 * loops;
      d = `M${x1},${y1} L${out - 8},${y1} Q${out},${y1} ${out},${y1 - 8} L${out},${y2 + 8} Q${out},${y2} ${out - 8},${y2} L${x2 + 2},${y2}`;
      lx = out + 4;
      ly = (y1 + y2) / 2;
    }
    edgeLayer.append(
      s(
        'g',
        { class: `edge ${e.kind}`, 'data-from': e.from, 'data-to': e.to },
        s('path', { d, 'marker-end': `url(#arrow-${e.kind})` }),
        e.label
          ? s(
              'text',
              { x: lx, y: ly, 'text-anchor': back.has(e) || b.layer > a.layer + 1 ? 'start' : 'middle', class: 'edge-label' },
              clip(e.label, 26),
            )
          : null,
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
