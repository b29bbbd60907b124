// Parameters (operator): the seven parameters with inline editing. The server validates; its 400
// message is shown next to the field. Each parameter's history opens below it.

import { ApiError, api, enc, get } from '../api';
import { formatTime, h, jsonText, mount } from '../dom';
import { errorBox, errorText, loading, pageHeader, toast } from '../ui';

interface Param {
  name: string;
  value: unknown;
  version: number;
  updated_at: string;
  updated_by: string;
  type?: string;
  min?: number;
  max?: number;
  default?: unknown;
  unit?: string;
  description?: string;
  read_only?: boolean;
}

interface HistoryRow {
  version: number;
  old_value: unknown;
  value: unknown;
  updated_at: string;
  updated_by: string;
}

export function parametersPage(root: HTMLElement): () => void {
  let disposed = false;
  const list = h('div', { class: 'param-list' }, loading('Loading parameters'));
  mount(
    root,
    pageHeader('Parameters', 'Validated, versioned, and applied without a restart.'),
    list,
  );

  async function load(): Promise<void> {
    try {
      const r = await get<{ parameters: Param[] }>('/v1/parameters');
      if (disposed) return;
      mount(list, r.parameters.filter((p) => !p.read_only).map(row));
    } catch (e) {
      if (!disposed) mount(list, errorBox(e, () => void load()));
    }
  }

  function row(p: Param): HTMLElement {
    const id = `param-${p.name}`;
    const errorId = `${id}-error`;
    const input: HTMLInputElement | HTMLSelectElement =
      p.type === 'boolean' || p.type === 'bool'
        ? h(
            'select',
            { id, 'aria-describedby': errorId },
            h('option', { value: 'true' }, 'true'),
            h('option', { value: 'false' }, 'false'),
          )
        : h('input', { id, inputmode: 'decimal', 'aria-describedby': errorId, autocomplete: 'off' });
    input.value = jsonText(p.value);
    const error = h('p', { class: 'field-error', id: errorId, 'aria-live': 'polite' });
    const current = h('span', { class: 'current' });
    const history = h('div', { class: 'history', hidden: true });
    const meta = h('p', { class: 'meta' });
    const showMeta = (v: Param) => {
      mount(current, jsonText(v.value), v.unit ? ` ${v.unit}` : '');
      mount(meta, `v${v.version} · ${formatTime(v.updated_at)} · ${v.updated_by}`);
    };
    showMeta(p);
    const range =
      p.min !== undefined && p.max !== undefined ? `range ${p.min}–${p.max}` : (p.type ?? '');
    const historyBtn = h(
      'button',
      { type: 'button', class: 'link', 'aria-expanded': 'false', onclick: () => void toggleHistory() },
      'History',
    );
    const save = h('button', { type: 'submit', class: 'primary small' }, 'Save');

    async function toggleHistory(force = false): Promise<void> {
      const open = force || history.hidden;
      history.hidden = !open;
      historyBtn.setAttribute('aria-expanded', String(open));
      if (!open) return;
      mount(history, loading('Loading history'));
      try {
        const r = await get<{ versions: HistoryRow[] }>(`/v1/parameters/${enc(p.name)}/history`);
        mount(
          history,
          h(
            'table',
            { class: 'table compact' },
            h('caption', { class: 'sr-only' }, `History of ${p.name}`),
            h(
              'thead',
              null,
              h('tr', null, ['Version', 'Value', 'Was', 'When', 'Who'].map((c) => h('th', { scope: 'col' }, c))),
            ),
            h(
              'tbody',
              null,
              r.versions.map((v) =>
                h(
                  'tr',
                  null,
                  h('td', null, `v${v.version}`),
                  h('td', { class: 'mono' }, jsonText(v.value)),
                  h('td', { class: 'mono muted' }, v.old_value === null ? '—' : jsonText(v.old_value)),
                  h('td', null, formatTime(v.updated_at)),
                  h('td', null, v.updated_by),
                ),
              ),
            ),
          ),
        );
      } catch (e) {
        mount(history, errorBox(e));
      }
    }

    function parse(text: string): unknown {
      const t = text.trim();
      if (t === 'true') return true;
      if (t === 'false') return false;
      if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
      return t; // the server explains what it expected
    }

    const form = h(
      'form',
      {
        class: 'param',
        'data-param': p.name,
        onsubmit: async (e: Event) => {
          e.preventDefault();
          error.textContent = '';
          input.removeAttribute('aria-invalid');
          save.disabled = true;
          try {
            const v = await api<Param>('PUT', `/v1/parameters/${enc(p.name)}`, {
              value: parse(input.value),
            });
            if (v) {
              showMeta(v);
              input.value = jsonText(v.value);
              toast(`${p.name} = ${jsonText(v.value)}`);
            }
            if (!history.hidden) await toggleHistory(true);
          } catch (err) {
            input.setAttribute('aria-invalid', 'true');
            error.textContent = err instanceof ApiError ? err.message : errorText(err);
          } finally {
            save.disabled = false;
          }
        },
      },
      h(
        'div',
        { class: 'param-head' },
        h('label', { for: id, class: 'param-name' }, p.name),
        h('span', { class: 'param-now' }, 'now ', current),
      ),
      p.description ? h('p', { class: 'param-desc' }, p.description) : null,
      h(
        'div',
        { class: 'param-edit' },
        input,
        save,
        h('span', { class: 'muted small' }, range, p.default !== undefined ? ` · default ${jsonText(p.default)}` : ''),
      ),
      error,
      h('div', { class: 'param-foot' }, meta, historyBtn),
      history,
    );
    return form;
  }

  void load();
  return () => {
    disposed = true;
  };
}
