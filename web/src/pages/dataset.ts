// Dataset (operator): images per label, negatives, untrained count, and the latest images that
// human review filed into the training set.

import { blobUrl, enc, get } from '../api';
import { formatTime, h, mount } from '../dom';
import { emptyState, errorBox, loading, pageHeader, tableHead } from '../ui';

interface Dataset {
  // Untrained: images added since the last successful training.
  Labels: { Name: string; Images: number; Untrained: number }[];
  Negatives: number;
  Untrained: number;
  Total: number;
}

interface Filing {
  HumanLoopName: string;
  Key: string;
  Label: string | null;
  Workers: string[];
  FiledAt: string;
}

export function datasetPage(root: HTMLElement): () => void {
  let disposed = false;
  const urls: string[] = [];
  const summary = h('div', null, loading('Loading dataset'));
  const filings = h('div', null, loading('Loading filings'));
  mount(root, pageHeader('Dataset', 'Training images by label (folder names under images_labeled_by_folder/).'), summary, filings);

  async function loadSummary(): Promise<void> {
    try {
      const d = await get<Dataset>('/v1/dataset');
      if (disposed) return;
      const max = Math.max(1, ...d.Labels.map((l) => l.Images));
      mount(
        summary,
        h(
          'div',
          { class: 'metric-cards' },
          card('Images', d.Total, 'dataset-total'),
          card('Labels', d.Labels.length, 'dataset-labels'),
          card('Negatives', d.Negatives, 'dataset-negatives'),
          card('Untrained (since last training)', d.Untrained, 'dataset-untrained'),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Images per label'),
          d.Labels.length
            ? h(
                'table',
                { class: 'table', id: 'labels' },
                tableHead(['Label', 'Images', 'Untrained', ''], ['Images', 'Untrained']),
                h(
                  'tbody',
                  null,
                  d.Labels.map((l) => {
                    const fill = h('span', { class: 'bar-fill' });
                    fill.style.width = `${(100 * l.Images) / max}%`;
                    return h(
                      'tr',
                      { 'data-label': l.Name },
                      h('td', null, l.Name),
                      h('td', { class: 'num' }, String(l.Images)),
                      h('td', { class: 'num' }, String(l.Untrained)),
                      h('td', { class: 'bar-cell' }, h('span', { class: 'bar', 'aria-hidden': 'true' }, fill)),
                    );
                  }),
                ),
              )
            : emptyState('No labelled images yet', 'Put images into images_labeled_by_folder/<label>/ or answer review tasks.'),
        ),
      );
    } catch (e) {
      if (!disposed) mount(summary, errorBox(e, () => void loadSummary()));
    }
  }

  async function loadFilings(): Promise<void> {
    try {
      const r = await get<{ Filings: Filing[] }>('/v1/review/filings?limit=24');
      if (disposed) return;
      const list = r.Filings ?? [];
      mount(
        filings,
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Recently labelled by reviewers'),
          list.length
            ? h(
                'ul',
                { class: 'thumbs', id: 'filings' },
                list.map((f) => {
                  const img = h('img', { alt: `${f.Label ?? 'none of these'} — ${f.Key}`, loading: 'lazy' });
                  blobUrl(`/v1/objects/${enc(f.Key, true)}`)
                    .then((u) => {
                      if (disposed) return URL.revokeObjectURL(u);
                      urls.push(u);
                      img.src = u;
                    })
                    .catch(() => img.classList.add('broken'));
                  return h(
                    'li',
                    { 'data-key': f.Key },
                    img,
                    h('span', { class: 'thumb-label' }, f.Label ?? 'none of these'),
                    h('span', { class: 'thumb-meta' }, `${f.Workers.join(', ')} · ${formatTime(f.FiledAt)}`),
                  );
                }),
              )
            : h('p', { class: 'muted' }, 'No images have been filed by review yet.'),
        ),
      );
    } catch (e) {
      if (!disposed) mount(filings, errorBox(e, () => void loadFilings()));
    }
  }

  void loadSummary();
  void loadFilings();
  return () => {
    disposed = true;
    urls.forEach((u) => URL.revokeObjectURL(u));
  };
}

function card(label: string, value: number, id: string): HTMLElement {
  return h('div', { class: 'metric', 'data-testid': id }, h('span', { class: 'metric-value' }, String(value)), h('span', { class: 'metric-label' }, label));
}
