// Shared pieces of the console's pages: page header, error and empty states, status pills,
// confirmation dialog and toasts. All text goes in as text nodes.

import { ApiError } from './api';
import { Child, h } from './dom';

export function pageHeader(title: string, subtitle?: Child, actions?: Child): HTMLElement {
  return h(
    'header',
    { class: 'page-header' },
    h('div', null, h('h1', null, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    actions ? h('div', { class: 'actions' }, actions) : null,
  );
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  if (e instanceof Error) return e.message;
  return String(e);
}

// A visible, announced error box (role=alert); never swallow an API error.
export function errorBox(e: unknown, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    h('strong', null, 'Something went wrong: '),
    h('span', { class: 'error-message' }, errorText(e)),
    retry ? h('button', { class: 'link', type: 'button', onclick: () => retry() }, 'Retry') : null,
  );
}

export function emptyState(title: string, detail?: Child): HTMLElement {
  return h('div', { class: 'empty' }, h('h2', null, title), detail ? h('p', null, detail) : null);
}

export function loading(what = 'Loading'): HTMLElement {
  return h('p', { class: 'loading', 'aria-live': 'polite' }, `${what}…`);
}

const PILL_TONE: Record<string, string> = {
  RUNNING: 'ok',
  SUCCEEDED: 'ok',
  TRAINING_COMPLETED: 'info',
  Completed: 'ok',
  TRAINING_IN_PROGRESS: 'busy',
  STARTING: 'busy',
  STOPPING: 'busy',
  InProgress: 'busy',
  FAILED: 'bad',
  TRAINING_FAILED: 'bad',
  ABORTED: 'bad',
  Expired: 'bad',
  Escalated: 'warn',
  STOPPED: 'muted',
  Stopped: 'muted',
};

export function pill(status: string): HTMLElement {
  return h('span', { class: `pill ${PILL_TONE[status] ?? 'muted'}` }, status);
}

// A modal confirmation (<dialog>): resolves true when confirmed.
export function confirmDialog(title: string, body: Child, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });
    const done = (ok: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    dialog.append(
      h('h2', { id: 'confirm-title' }, title),
      h('div', { class: 'confirm-body' }, body),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, 'Cancel'),
        h('button', { type: 'button', class: 'primary', onclick: () => done(true) }, confirmLabel),
      ),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function toast(message: string, tone: 'ok' | 'bad' = 'ok'): void {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', 'aria-live': 'polite', role: 'status' });
    document.body.append(region);
  }
  const t = h('div', { class: `toast ${tone}` }, message);
  region.append(t);
  window.setTimeout(() => t.remove(), 4000);
}

// A key/value summary grid.
export function facts(items: [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    items.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))),
  );
}

// A table header row; columns named in `numeric` are right-aligned like their cells.
export function tableHead(cols: string[], numeric: string[] = []): HTMLElement {
  return h(
    'thead',
    null,
    h('tr', null, cols.map((c) => h('th', { scope: 'col', class: numeric.includes(c) ? 'num' : null }, c))),
  );
}
