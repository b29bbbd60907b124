// The reviewer's task page (issue 6): claim the next task, look at the image and the model's
// answer, choose a label with the keyboard (1–9, 0 = none of these, Enter submits, S skips).
// Label names come from the task's Choices and are rendered as text only.

import { ApiError, blobUrl, enc, get, post } from '../api';
import { h, mount } from '../dom';
import { errorBox, errorText, pageHeader, toast } from '../ui';

interface Task {
  TaskId: string;
  HumanLoopName: string;
  Image: string;
  Choices: string[];
  ModelAnswer: { Name: string | null; Confidence: number } | null;
  ExpiresAt: string;
}

interface Stats {
  QueueLength: number;
  DoneToday: number;
  DoneTotal: number;
}

const NONE = Symbol('none');
type Choice = string | typeof NONE;
const EMPTY_POLL_MS = 3000;

export function reviewPage(root: HTMLElement): () => void {
  let disposed = false;
  let task: Task | null = null;
  let selected: Choice | undefined;
  let busy = false;
  let imageUrl = '';
  let pollTimer = 0;
  let tickTimer = 0;
  // Whether operators allow reviewers to propose a label that is not among the choices.
  let allowNewLabels = false;
  get<{ AllowNewLabels: boolean }>('/v1/review/settings')
    .then((r) => {
      allowNewLabels = r.AllowNewLabels === true;
      if (task && allowNewLabels && !body.querySelector('.new-label')) renderTask(task);
    })
    .catch(() => undefined); // without the setting, reviewers choose among the choices only

  const statsEl = h('div', { class: 'review-stats', 'aria-live': 'polite' });
  const body = h('div', { class: 'review-body' });
  const status = h('div', { class: 'sr-only', 'aria-live': 'assertive' });
  mount(
    root,
    pageHeader('Review', 'Label the image the model was unsure about.', statsEl),
    status,
    body,
  );

  async function refreshStats(): Promise<void> {
    try {
      const s = await get<Stats>('/v1/tasks/stats');
      if (disposed) return;
      mount(
        statsEl,
        stat('Done today', s.DoneToday, 'stat-done-today'),
        stat('Waiting', s.QueueLength, 'stat-queue'),
        stat('All time', s.DoneTotal, 'stat-done-total'),
      );
    } catch (e) {
      if (!disposed) mount(statsEl, h('span', { class: 'error-message' }, errorText(e)));
    }
  }

  function releaseImage(): void {
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    imageUrl = '';
  }

  async function next(): Promise<void> {
    window.clearTimeout(pollTimer);
    window.clearInterval(tickTimer);
    releaseImage();
    task = null;
    selected = undefined;
    void refreshStats();
    let t: Task | null;
    try {
      t = await post<Task>('/v1/tasks/next');
    } catch (e) {
      if (disposed) return;
      mount(body, errorBox(e, () => void next()));
      return;
    }
    if (disposed) return;
    if (!t) {
      mount(
        body,
        h(
          'div',
          { class: 'empty review-empty', 'data-testid': 'queue-empty' },
          h('div', { class: 'empty-illustration', 'aria-hidden': 'true' }, '✓'),
          h('h2', null, 'All caught up'),
          h('p', null, 'No task is waiting for you. New tasks appear here automatically.'),
        ),
      );
      pollTimer = window.setTimeout(() => void next(), EMPTY_POLL_MS);
      return;
    }
    task = t;
    renderTask(t);
    try {
      const url = await blobUrl(`/v1/human-loops/${enc(t.HumanLoopName)}/image`);
      if (disposed || task !== t) {
        URL.revokeObjectURL(url);
        return;
      }
      imageUrl = url;
      const img = body.querySelector<HTMLImageElement>('img.task-image');
      if (img) img.src = url;
    } catch (e) {
      const frame = body.querySelector('.image-frame');
      if (frame) mount(frame, errorBox(e));
    }
  }

  function renderTask(t: Task): void {
    window.clearInterval(tickTimer);
    const answer = t.ModelAnswer;
    const conf = answer ? Math.max(0, Math.min(100, answer.Confidence)) : 0;
    const bar = h('span', { class: 'bar-fill' });
    bar.style.width = `${conf}%`;
    const choiceButtons = t.Choices.map((label, i) =>
      choiceButton(label, i < 9 ? String(i + 1) : '', label),
    );
    const countdown = h('span', { class: 'countdown', 'data-testid': 'lease' });
    mount(
      body,
      h(
        'div',
        { class: 'task', 'data-task-id': t.TaskId },
        h(
          'figure',
          { class: 'image-frame' },
          h('img', {
            class: 'task-image',
            src: imageUrl || null,
            alt: `Image to review (human loop ${t.HumanLoopName})`,
          }),
          h('figcaption', null, t.Image),
        ),
        h(
          'section',
          { class: 'task-panel', 'aria-label': 'Your answer' },
          h(
            'div',
            { class: 'model-answer' },
            h('div', { class: 'eyebrow' }, "Model's answer"),
            h(
              'div',
              { class: 'model-label' },
              answer && answer.Name !== null ? answer.Name : 'no label',
            ),
            h(
              'div',
              { class: 'confidence' },
              h('span', { class: 'bar', 'aria-hidden': 'true' }, bar),
              h('span', { class: 'confidence-value' }, `${conf.toFixed(1)} % confident`),
            ),
          ),
          h(
            'div',
            { class: 'choices', role: 'radiogroup', 'aria-label': 'Label' },
            choiceButtons,
            choiceButton(NONE, '0', 'None of these'),
          ),
          allowNewLabels ? newLabelForm() : null,
          h(
            'div',
            { class: 'task-actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'primary',
                id: 'submit-answer',
                onclick: () => void submit(),
              },
              'Submit ',
              h('kbd', null, 'Enter'),
            ),
            h(
              'button',
              { type: 'button', class: 'secondary', id: 'skip-task', onclick: () => void skip() },
              'Skip ',
              h('kbd', null, 'S'),
            ),
          ),
          h('p', { class: 'lease' }, 'Lease ', countdown),
          h(
            'p',
            { class: 'hint' },
            'Keys: ',
            h('kbd', null, '1'),
            '–',
            h('kbd', null, '9'),
            ' choose, ',
            h('kbd', null, '0'),
            ' none of these.',
          ),
        ),
      ),
    );
    const tick = () => {
      const left = Math.max(0, Date.parse(t.ExpiresAt) - Date.now());
      const m = Math.floor(left / 60000);
      const sec = Math.floor((left % 60000) / 1000);
      countdown.textContent =
        left > 0 ? `expires in ${m}:${String(sec).padStart(2, '0')}` : 'expired — take the next task';
      countdown.classList.toggle('urgent', left < 60000);
    };
    tick();
    tickTimer = window.setInterval(tick, 1000);
    updateSelection();
  }

  // A label that is not among the choices (only when operators allow new labels); N focuses it.
  function newLabelForm(): HTMLElement {
    const input = h('input', {
      id: 'new-label',
      maxlength: 100,
      autocomplete: 'off',
      placeholder: 'e.g. initech',
    });
    return h(
      'form',
      {
        class: 'new-label',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const label = input.value.trim();
          if (label) void submit(label);
        },
      },
      h('label', { for: 'new-label' }, 'Or a new label ', h('kbd', null, 'N')),
      h('div', { class: 'new-label-row' }, input, h('button', { type: 'submit', class: 'secondary small' }, 'Use')),
    );
  }

  function choiceButton(choice: Choice, key: string, text: string): HTMLElement {
    return h(
      'button',
      {
        type: 'button',
        role: 'radio',
        class: choice === NONE ? 'choice none' : 'choice',
        'aria-checked': 'false',
        'data-choice': choice === NONE ? '' : choice,
        onclick: () => select(choice),
      },
      key ? h('kbd', null, key) : null,
      h('span', { class: 'choice-label' }, text),
    );
  }

  function updateSelection(): void {
    const buttons = body.querySelectorAll<HTMLButtonElement>('button.choice');
    buttons.forEach((b) => {
      const isNone = b.classList.contains('none');
      const on = isNone ? selected === NONE : selected === b.dataset.choice;
      b.setAttribute('aria-checked', on ? 'true' : 'false');
    });
    const submitBtn = body.querySelector<HTMLButtonElement>('#submit-answer');
    if (submitBtn) submitBtn.disabled = selected === undefined || busy;
  }

  function select(choice: Choice): void {
    selected = choice;
    updateSelection();
    status.textContent = `Selected ${choice === NONE ? 'none of these' : choice}`;
  }

  async function submit(newLabel?: string): Promise<void> {
    if (!task || busy || (selected === undefined && newLabel === undefined)) return;
    busy = true;
    updateSelection();
    const label = newLabel ?? (selected === NONE ? null : (selected as string));
    try {
      await post(
        `/v1/tasks/${enc(task.TaskId)}/answer`,
        newLabel === undefined ? { Label: label } : { Label: newLabel, NewLabel: true },
      );
      toast(label === null ? 'Saved: none of these' : `Saved: ${label}`);
      busy = false;
      await next();
    } catch (e) {
      busy = false;
      updateSelection();
      showTaskError(e);
    }
  }

  async function skip(): Promise<void> {
    if (!task || busy) return;
    busy = true;
    try {
      await post(`/v1/tasks/${enc(task.TaskId)}/release`);
      busy = false;
      await next();
    } catch (e) {
      busy = false;
      showTaskError(e);
    }
  }

  function showTaskError(e: unknown): void {
    const panel = body.querySelector('.task-panel');
    const box = errorBox(e);
    if (e instanceof ApiError && (e.status === 409 || e.status === 410)) {
      box.append(
        h('button', { type: 'button', class: 'link', onclick: () => void next() }, 'Take the next task'),
      );
    }
    panel?.querySelector('.error-box')?.remove();
    panel?.prepend(box);
  }

  function onKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey || !task) return;
    const target = e.target as HTMLElement | null;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    if (document.querySelector('dialog[open]')) return;
    if (/^[1-9]$/.test(e.key)) {
      const i = Number(e.key) - 1;
      if (i < task.Choices.length) {
        e.preventDefault();
        select(task.Choices[i]);
      }
    } else if (e.key === '0') {
      e.preventDefault();
      select(NONE);
    } else if (e.key === 'Enter') {
      // Enter on a focused button would also click it: handle it once, here.
      e.preventDefault();
      void submit();
    } else if (e.key === 's' || e.key === 'S') {
      e.preventDefault();
      void skip();
    } else if ((e.key === 'n' || e.key === 'N') && allowNewLabels) {
      e.preventDefault();
      body.querySelector<HTMLInputElement>('#new-label')?.focus();
    }
  }

  document.addEventListener('keydown', onKey);
  void next();
  return () => {
    disposed = true;
    window.clearTimeout(pollTimer);
    window.clearInterval(tickTimer);
    document.removeEventListener('keydown', onKey);
    releaseImage();
  };
}

function stat(label: string, value: number, id: string): HTMLElement {
  return h(
    'div',
    { class: 'stat', 'data-testid': id },
    h('span', { class: 'stat-value' }, String(value)),
    h('span', { class: 'stat-label' }, label),
  );
}
