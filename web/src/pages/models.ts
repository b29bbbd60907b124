// Models (operator): versions with status and F1, a chart of F1 per version over time, live
// training progress, and one version's evaluation (per-label metrics, confusion heat map) with
// deploy / rollback behind a confirmation.

import { ApiError, enc, get, post } from '../api';
import { confusionHeatmap, f1Chart } from '../charts';
import { formatTime, h, mount, percent } from '../dom';
import { confirmDialog, emptyState, errorBox, facts, loading, pageHeader, pill, tableHead, toast } from '../ui';

interface Version {
  version: string;
  status: string;
  status_message: string;
  created_at: string;
  updated_at: string;
  summary: {
    labels?: string[];
    metrics?: { macro_f1?: number; top1_accuracy?: number; ece?: number };
    trained_at?: string;
    backbone?: string;
    training?: { train_images?: number; test_images?: number; seconds?: number };
  };
  serving: { production: boolean; units: number; completed: number; in_flight: number } | null;
  history?: { from: string | null; to: string; at: string; reason: string; actor: string }[];
}

interface Production {
  version: string | null;
  history: { from: string | null; to: string | null; at: string; reason: string; actor: string }[];
}

interface Training {
  Active: {
    Version: string;
    Phase: string;
    Epoch?: number;
    Epochs?: number;
    Step?: number;
    Steps?: number;
    Loss?: number;
    StartedAt?: string;
  } | null;
}

interface Evaluation {
  Labels: string[];
  MacroF1: number;
  Top1Accuracy: number;
  ExpectedCalibrationError: number;
  MinConfidence: number;
  TestImages: number;
  NoneImages: number;
  PerLabel: {
    Name: string;
    Support: number;
    Precision: number;
    Recall: number;
    F1: number;
    AssumedThreshold: number;
  }[];
  ConfusionMatrix: { Counts: number[][] };
}

function f1Of(v: Version): number | undefined {
  return v.summary?.metrics?.macro_f1;
}

// Live training progress; polls every 2 s while a training is active, every 10 s otherwise.
// `onChange` runs when a training starts or ends (the version list changes then).
function trainingCard(onChange: () => void): { el: HTMLElement; stop: () => void } {
  const el = h('section', { class: 'card training', 'aria-live': 'polite', hidden: true });
  let timer = 0;
  let stopped = false;
  let active: string | null = null;
  async function poll(): Promise<void> {
    let delay = 10000;
    try {
      const t = await get<Training>('/v1/training');
      if (stopped) return;
      const now = t.Active ? t.Active.Version : null;
      if (now !== active) {
        if (active !== null || now !== null) onChange();
        active = now;
      }
      if (t.Active) {
        delay = 2000;
        const a = t.Active;
        const frac =
          a.Steps && a.Step !== undefined
            ? a.Step / a.Steps
            : a.Epochs && a.Epoch !== undefined
              ? a.Epoch / a.Epochs
              : 0;
        const fill = h('span', { class: 'bar-fill' });
        fill.style.width = `${Math.round(frac * 100)}%`;
        el.hidden = false;
        mount(
          el,
          h('h2', null, `Training ${a.Version}`),
          h(
            'div',
            {
              class: 'bar big',
              role: 'progressbar',
              'aria-valuemin': 0,
              'aria-valuemax': 100,
              'aria-valuenow': Math.round(frac * 100),
            },
            fill,
          ),
          facts([
            ['Phase', a.Phase],
            ['Epoch', a.Epochs ? `${a.Epoch ?? 0} / ${a.Epochs}` : '—'],
            ['Step', a.Steps ? `${a.Step ?? 0} / ${a.Steps}` : '—'],
            ['Loss', a.Loss !== undefined && a.Loss !== null ? a.Loss.toFixed(4) : '—'],
            ['Started', formatTime(a.StartedAt)],
          ]),
        );
      } else {
        el.hidden = true;
      }
    } catch (e) {
      if (stopped) return;
      el.hidden = false;
      mount(el, h('h2', null, 'Training'), errorBox(e));
      delay = 10000;
    }
    if (!stopped) timer = window.setTimeout(() => void poll(), delay);
  }
  void poll();
  return {
    el,
    stop: () => {
      stopped = true;
      window.clearTimeout(timer);
    },
  };
}

export function modelsPage(root: HTMLElement): () => void {
  let disposed = false;
  const training = trainingCard(() => void load());
  const content = h('div', null, loading('Loading models'));
  const rollbackBtn = h(
    'button',
    { type: 'button', class: 'secondary', id: 'rollback', onclick: () => void rollback() },
    'Roll back production',
  );
  const pollBtn = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      id: 'training-poll',
      onclick: async () => {
        try {
          await post('/v1/training/poll', {});
          toast('Training poll started: it trains if enough new images arrived');
        } catch (e) {
          content.prepend(errorBox(e));
        }
      },
    },
    'Check for training now',
  );
  mount(
    root,
    pageHeader('Models', 'Versions, their quality, and which one serves production.', [pollBtn, rollbackBtn]),
    training.el,
    content,
  );

  async function rollback(): Promise<void> {
    const ok = await confirmDialog(
      'Roll back production?',
      'Production switches back (blue/green) to the version it pointed at before the current one.',
      'Roll back',
    );
    if (!ok) return;
    try {
      const v = await post<Version>('/v1/endpoints/production/rollback', {});
      toast(`Production is now ${v?.version}`);
      await load();
    } catch (e) {
      content.prepend(errorBox(e));
    }
  }

  async function load(): Promise<void> {
    try {
      const [list, prod] = await Promise.all([
        get<{ versions: Version[]; production: string | null }>('/v1/models'),
        get<Production>('/v1/endpoints/production'),
      ]);
      if (disposed) return;
      rollbackBtn.disabled = prod.history.length < 2;
      if (list.versions.length === 0) {
        mount(
          content,
          emptyState(
            'No model versions yet',
            'Versions appear here when the training workflow trains one, or after “loupe models import”.',
          ),
        );
        return;
      }
      const points = list.versions
        .filter((v) => f1Of(v) !== undefined)
        .map((v) => ({
          x: Date.parse(v.summary.trained_at ?? v.created_at),
          y: f1Of(v) as number,
          label: v.version,
          highlight: v.version === prod.version,
        }));
      const newestFirst = [...list.versions].reverse();
      mount(
        content,
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Production'),
          h(
            'p',
            { class: 'production', 'data-testid': 'production' },
            prod.version
              ? h('a', { href: `/models/${enc(prod.version)}` }, prod.version)
              : 'No version serves production yet.',
          ),
        ),
        points.length
          ? h('section', { class: 'card' }, h('h2', null, 'F1 per version'), f1Chart(points))
          : null,
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Versions'),
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table', id: 'versions' },
              tableHead(['Version', 'Status', 'F1', 'Top-1', 'Labels', 'Created', 'Serving'], ['F1', 'Top-1']),
              h(
                'tbody',
                null,
                newestFirst.map((v) =>
                  h(
                    'tr',
                    { 'data-version': v.version },
                    h(
                      'td',
                      null,
                      h('a', { href: `/models/${enc(v.version)}` }, v.version),
                      v.version === prod.version ? h('span', { class: 'badge' }, 'production') : null,
                    ),
                    h('td', null, pill(v.status)),
                    h('td', { class: 'num' }, percent(f1Of(v))),
                    h('td', { class: 'num' }, percent(v.summary?.metrics?.top1_accuracy)),
                    h('td', null, (v.summary?.labels ?? []).join(', ') || '—'),
                    h('td', null, formatTime(v.created_at)),
                    h('td', null, v.serving ? `${v.serving.units} unit(s)` : '—'),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      if (!disposed) mount(content, errorBox(e, () => void load()));
    }
  }

  void load();
  return () => {
    disposed = true;
    training.stop();
  };
}

export function modelDetailPage(root: HTMLElement, params: string[]): () => void {
  const name = params[0];
  let disposed = false;
  const content = h('div', null, loading(`Loading ${name}`));
  const deployBtn = h(
    'button',
    { type: 'button', class: 'primary', id: 'deploy', onclick: () => void deploy() },
    'Deploy to production',
  );
  mount(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '/models' }, 'Models'), ' / ', name),
    pageHeader(name, 'Model version', deployBtn),
    content,
  );

  async function deploy(): Promise<void> {
    const ok = await confirmDialog(
      `Deploy ${name}?`,
      `${name} starts with Minimum-Inference-Units units and is smoke-tested; then production switches to it and the previous version drains and stops. If anything fails, the previous version keeps serving.`,
      'Deploy',
    );
    if (!ok) return;
    deployBtn.disabled = true;
    deployBtn.textContent = 'Deploying…';
    try {
      await post(`/v1/models/${enc(name)}/deploy`, {});
      toast(`${name} serves production`);
    } catch (e) {
      content.prepend(errorBox(e));
    } finally {
      deployBtn.textContent = 'Deploy to production';
      await load();
    }
  }

  async function load(): Promise<void> {
    try {
      const [v, prod] = await Promise.all([
        get<Version>(`/v1/models/${enc(name)}`),
        get<Production>('/v1/endpoints/production'),
      ]);
      let evaluation: Evaluation | null = null;
      let evalError: unknown = null;
      try {
        evaluation = await get<Evaluation>(`/v1/models/${enc(name)}/evaluation`);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) evalError = e;
      }
      if (disposed) return;
      const isProd = prod.version === name;
      deployBtn.disabled =
        isProd || !['TRAINING_COMPLETED', 'RUNNING', 'STOPPED'].includes(v.status);
      const macro = (k: 'Precision' | 'Recall') =>
        evaluation && evaluation.PerLabel.length
          ? evaluation.PerLabel.reduce((a, m) => a + m[k], 0) / evaluation.PerLabel.length
          : undefined;
      mount(
        content,
        h(
          'div',
          { class: 'metric-cards' },
          metric('F1 (macro)', percent(evaluation?.MacroF1 ?? f1Of(v)), 'metric-f1'),
          metric('Precision', percent(macro('Precision')), 'metric-precision'),
          metric('Recall', percent(macro('Recall')), 'metric-recall'),
          metric('Top-1 accuracy', percent(evaluation?.Top1Accuracy ?? v.summary?.metrics?.top1_accuracy), 'metric-top1'),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Status'),
          facts([
            ['Status', pill(v.status)],
            ['Production', isProd ? 'yes' : 'no'],
            ['Message', v.status_message || '—'],
            ['Labels', (v.summary?.labels ?? []).join(', ') || '—'],
            ['Backbone', v.summary?.backbone ?? '—'],
            ['Trained', formatTime(v.summary?.trained_at ?? v.created_at)],
            ['Serving', v.serving ? `${v.serving.units} unit(s), ${v.serving.completed} requests` : '—'],
          ]),
        ),
        evalError ? errorBox(evalError) : null,
        evaluation
          ? [
              h(
                'section',
                { class: 'card' },
                h('h2', null, 'Per label'),
                h(
                  'p',
                  { class: 'muted small' },
                  `Test split: ${evaluation.TestImages} labelled images, ${evaluation.NoneImages} negatives; answers count at confidence ≥ ${evaluation.MinConfidence}.`,
                ),
                h(
                  'div',
                  { class: 'table-wrap' },
                  h(
                    'table',
                    { class: 'table', id: 'per-label' },
                    tableHead(
                      ['Label', 'Support', 'Precision', 'Recall', 'F1', 'Assumed threshold'],
                      ['Support', 'Precision', 'Recall', 'F1', 'Assumed threshold'],
                    ),
                    h(
                      'tbody',
                      null,
                      evaluation.PerLabel.map((m) =>
                        h(
                          'tr',
                          null,
                          h('td', null, m.Name),
                          h('td', { class: 'num' }, String(m.Support)),
                          h('td', { class: 'num' }, percent(m.Precision)),
                          h('td', { class: 'num' }, percent(m.Recall)),
                          h('td', { class: 'num' }, percent(m.F1)),
                          h('td', { class: 'num' }, m.AssumedThreshold.toFixed(1)),
                        ),
                      ),
                    ),
                  ),
                ),
              ),
              h(
                'section',
                { class: 'card' },
                h('h2', null, 'Confusion matrix'),
                h('div', { class: 'heatmap-wrap' }, confusionHeatmap(evaluation.Labels, evaluation.ConfusionMatrix.Counts)),
              ),
            ]
          : h('p', { class: 'muted' }, 'No evaluation for this version yet.'),
        v.history && v.history.length
          ? h(
              'section',
              { class: 'card' },
              h('h2', null, 'Lifecycle'),
              h(
                'ol',
                { class: 'timeline' },
                v.history.map((t) =>
                  h(
                    'li',
                    null,
                    h('span', { class: 'when' }, formatTime(t.at)),
                    ' ',
                    pill(t.to),
                    ' ',
                    h('span', { class: 'muted' }, `${t.reason}${t.actor ? ` — ${t.actor}` : ''}`),
                  ),
                ),
              ),
            )
          : null,
      );
    } catch (e) {
      if (!disposed) mount(content, errorBox(e, () => void load()));
    }
  }

  void load();
  return () => {
    disposed = true;
  };
}

function metric(label: string, value: string, id: string): HTMLElement {
  return h(
    'div',
    { class: 'metric', 'data-testid': id },
    h('span', { class: 'metric-value' }, value),
    h('span', { class: 'metric-label' }, label),
  );
}
