// Executions (operator): list with filters, and one execution with its state machine drawn as a
// diagram (current state highlighted), its input/output and its history.

import { enc, get } from '../api';
import { AslDefinition, stateMachineDiagram } from '../asl';
import { formatTime, h, mount } from '../dom';
import { emptyState, errorBox, facts, loading, pageHeader, pill } from '../ui';

interface Execution {
  id: string;
  state_machine: string;
  revision: number;
  name: string;
  status: string;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  current_state: string | null;
  start_time: string;
  stop_time: string | null;
}

interface HistoryEvent {
  id: number;
  type: string;
  time: string;
  state: string | null;
  details: unknown;
}

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED'];

export function executionsPage(root: HTMLElement): () => void {
  let disposed = false;
  const params = new URLSearchParams(location.search);
  const machine = h('select', { id: 'filter-machine', name: 'state_machine' }, h('option', { value: '' }, 'All state machines'));
  const status = h(
    'select',
    { id: 'filter-status', name: 'status' },
    STATUSES.map((st) => h('option', { value: st }, st || 'Any status')),
  );
  const limit = h('select', { id: 'filter-limit', name: 'limit' }, ['25', '50', '100', '500'].map((n) => h('option', { value: n }, n)));
  status.value = params.get('status') ?? '';
  limit.value = params.get('limit') ?? '50';
  const list = h('div', null, loading('Loading executions'));
  const machines = h('div', { class: 'machine-list' });
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void load();
      },
      onchange: () => void load(),
    },
    h('label', { for: 'filter-machine' }, 'State machine'),
    machine,
    h('label', { for: 'filter-status' }, 'Status'),
    status,
    h('label', { for: 'filter-limit' }, 'Show'),
    limit,
  );
  mount(root, pageHeader('Executions', 'Workflow runs: training polls, detections, reviews, parameter changes.'), form, list, machines);

  async function loadMachines(): Promise<void> {
    try {
      const r = await get<{ state_machines: { name: string; revision: number; comment?: string }[] }>(
        '/v1/state-machines',
      );
      if (disposed) return;
      const want = params.get('state_machine') ?? '';
      for (const m of r.state_machines) machine.append(h('option', { value: m.name }, m.name));
      machine.value = want;
      mount(
        machines,
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'State machines'),
          r.state_machines.length
            ? h(
                'ul',
                { class: 'plain' },
                r.state_machines.map((m) =>
                  h('li', null, h('strong', null, m.name), ` rev ${m.revision}`, m.comment ? h('span', { class: 'muted' }, ` — ${String(m.comment)}`) : null),
                ),
              )
            : h('p', { class: 'muted' }, 'No state machines are installed.'),
        ),
      );
    } catch (e) {
      if (!disposed) mount(machines, errorBox(e));
    }
  }

  async function load(): Promise<void> {
    if (disposed) return; // the page was left (e.g. signed out) while the machines loaded
    const q = new URLSearchParams();
    if (machine.value) q.set('state_machine', machine.value);
    if (status.value) q.set('status', status.value);
    q.set('limit', limit.value);
    history.replaceState(null, '', `/executions?${q}`);
    try {
      const r = await get<{ executions: Execution[] }>(`/v1/executions?${q}`);
      if (disposed) return;
      if (!r.executions.length) {
        mount(list, emptyState('No executions', 'Executions start on events: uploads, parameter changes, training polls, completed reviews.'));
        return;
      }
      mount(
        list,
        h(
          'div',
          { class: 'table-wrap card flush' },
          h(
            'table',
            { class: 'table', id: 'executions' },
            h('thead', null, h('tr', null, ['Execution', 'State machine', 'Status', 'Current state', 'Started', 'Stopped'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              null,
              r.executions.map((e) =>
                h(
                  'tr',
                  { 'data-execution': e.id },
                  h('td', null, h('a', { href: `/executions/${enc(e.id)}` }, e.name)),
                  h('td', null, e.state_machine),
                  h('td', null, pill(e.status)),
                  h('td', null, e.current_state ?? '—'),
                  h('td', null, formatTime(e.start_time)),
                  h('td', null, formatTime(e.stop_time)),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      if (!disposed) mount(list, errorBox(e, () => void load()));
    }
  }

  void loadMachines().then(() => load());
  return () => {
    disposed = true;
  };
}

export function executionDetailPage(root: HTMLElement, params: string[]): () => void {
  const id = params[0];
  let disposed = false;
  let timer = 0;
  const content = h('div', null, loading('Loading execution'));
  mount(root, h('p', { class: 'crumbs' }, h('a', { href: '/executions' }, 'Executions'), ' / ', id), content);

  async function load(): Promise<void> {
    try {
      const e = await get<Execution>(`/v1/executions/${enc(id)}`);
      const [hist, machine] = await Promise.all([
        get<{ events: HistoryEvent[] }>(`/v1/executions/${enc(id)}/history?limit=1000`),
        get<{ name: string; revision: number; definition: AslDefinition }>(`/v1/state-machines/${enc(e.state_machine)}`),
      ]);
      if (disposed) return;
      const visited = new Set(hist.events.map((x) => x.state).filter((x): x is string => !!x));
      const lastState = [...hist.events].reverse().find((x) => x.state)?.state ?? null;
      mount(
        content,
        pageHeader(e.name, h('span', null, e.state_machine, ' · ', pill(e.status))),
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Diagram'),
          machine.revision !== e.revision
            ? h('p', { class: 'muted small' }, `This execution runs revision ${e.revision}; the diagram shows the latest, ${machine.revision}.`)
            : null,
          h(
            'div',
            { class: 'diagram-wrap', 'data-testid': 'diagram' },
            stateMachineDiagram(machine.definition, {
              current: e.current_state,
              visited,
              failed: e.status === 'FAILED' ? lastState : null,
            }),
          ),
          h('p', { class: 'legend' }, h('span', { class: 'key current' }), 'current ', h('span', { class: 'key visited' }), 'visited ', h('span', { class: 'key failed' }), 'failed'),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Details'),
          facts([
            ['Status', pill(e.status)],
            ['Current state', e.current_state ?? '—'],
            ['Started', formatTime(e.start_time)],
            ['Stopped', formatTime(e.stop_time)],
            ['Error', e.error ? `${e.error}${e.cause ? `: ${e.cause}` : ''}` : '—'],
          ]),
          h('h3', null, 'Input'),
          h('pre', { class: 'json' }, JSON.stringify(e.input, null, 2)),
          e.output !== null && e.output !== undefined
            ? [h('h3', null, 'Output'), h('pre', { class: 'json' }, JSON.stringify(e.output, null, 2))]
            : null,
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'History'),
          h(
            'ol',
            { class: 'timeline', id: 'history' },
            hist.events.map((x) =>
              h(
                'li',
                { class: /Failed|Aborted|TimedOut/.test(x.type) ? 'bad' : '' },
                h('span', { class: 'when' }, formatTime(x.time)),
                ' ',
                h('strong', null, x.type),
                x.state ? h('span', null, ` · ${x.state}`) : null,
                x.details && Object.keys(x.details as object).length
                  ? h('details', null, h('summary', null, 'details'), h('pre', { class: 'json' }, JSON.stringify(x.details, null, 2)))
                  : null,
              ),
            ),
          ),
        ),
      );
      if (e.status === 'RUNNING') timer = window.setTimeout(() => void load(), 3000);
    } catch (err) {
      if (!disposed) mount(content, errorBox(err, () => void load()));
    }
  }

  void load();
  return () => {
    disposed = true;
    window.clearTimeout(timer);
  };
}
