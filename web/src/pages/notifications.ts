// Notifications (operator): the message feed with live updates over server-sent events, and the
// webhook/e-mail deliveries that used up their attempts (dead letters) with redelivery.

import { get, post } from '../api';
import { formatTime, h, mount } from '../dom';
import { emptyState, errorBox, errorText, pageHeader, toast } from '../ui';

interface Message {
  Sequence: number;
  MessageId: string;
  Topic: string;
  Type: string;
  Subject: string;
  Detail: unknown;
  Time: string;
}

interface DeadLetter {
  id: number;
  message: Message;
  subscription: { id: number; topic: string; protocol: string; endpoint: string };
  attempts: number;
  last_error: string;
  dead_at: string;
}

// The message types loupe publishes (SSE events are named by type).
const TYPES = [
  'TrainingStarted',
  'TrainingSucceeded',
  'TrainingFailed',
  'GateFailed',
  'Deployed',
  'RolledBack',
  'HumanLoopCreated',
  'HumanLoopCompleted',
  'DetectionBelowThreshold',
  'ParameterChanged',
  'WorkflowFailed',
  'message',
];
const SHOWN = 100;

function tone(type: string): string {
  if (/Failed|RolledBack/.test(type)) return 'bad';
  if (/Succeeded|Deployed|Completed/.test(type)) return 'ok';
  if (/BelowThreshold|Created/.test(type)) return 'warn';
  return 'info';
}

export function notificationsPage(root: HTMLElement): () => void {
  let disposed = false;
  let source: EventSource | null = null;
  let last = 0;
  const seen = new Set<number>();
  const live = h('span', { class: 'live', 'data-state': 'connecting' }, 'connecting…');
  const feed = h('ol', { class: 'feed', id: 'feed', 'aria-live': 'polite' });
  const feedBox = h('div', null, feed);
  const dead = h('div');
  mount(
    root,
    pageHeader('Notifications', 'Everything loupe told operators and consumers.', live),
    h('div', { class: 'two-col' }, h('section', { class: 'card' }, h('h2', null, 'Feed'), feedBox), h('section', { class: 'card' }, h('h2', null, 'Dead letters'), dead)),
  );

  function item(m: Message): HTMLElement {
    const detail = m.Detail && typeof m.Detail === 'object' && Object.keys(m.Detail as object).length;
    return h(
      'li',
      { class: `feed-item ${tone(m.Type)}`, 'data-seq': m.Sequence },
      h('div', { class: 'feed-head' }, h('span', { class: 'feed-type' }, m.Type), h('span', { class: 'feed-topic' }, m.Topic), h('time', { datetime: m.Time }, formatTime(m.Time))),
      h('p', { class: 'feed-subject' }, m.Subject),
      detail ? h('details', null, h('summary', null, 'detail'), h('pre', { class: 'json' }, JSON.stringify(m.Detail, null, 2))) : null,
    );
  }

  function add(m: Message, prepend: boolean): void {
    if (seen.has(m.Sequence)) return;
    seen.add(m.Sequence);
    last = Math.max(last, m.Sequence);
    feed.querySelector('.feed-empty')?.remove();
    if (prepend) feed.prepend(item(m));
    else feed.append(item(m));
    while (feed.children.length > SHOWN) feed.lastElementChild?.remove();
  }

  async function loadFeed(): Promise<void> {
    try {
      // The API pages oldest-first after a sequence; walk to the end and keep the newest.
      let after = 0;
      let all: Message[] = [];
      for (let page = 0; page < 20; page++) {
        const r = await get<{ notifications: Message[]; next: number }>(`/v1/notifications?after=${after}&limit=1000`);
        all = all.concat(r.notifications).slice(-SHOWN);
        if (r.notifications.length < 1000 || r.next === after) break;
        after = r.next;
      }
      if (disposed) return;
      for (const m of all.reverse()) add(m, false);
      if (!feed.children.length) feed.append(h('li', { class: 'feed-empty' }, emptyState('No notifications yet', 'Training, deployments and reviews post here.')));
      connect();
    } catch (e) {
      if (!disposed) feedBox.prepend(errorBox(e, () => void loadFeed()));
    }
  }

  function connect(): void {
    source?.close();
    source = new EventSource(`/v1/notifications/stream?after=${last}`);
    source.onopen = () => {
      live.dataset.state = 'live';
      live.textContent = '● live';
    };
    source.onerror = () => {
      // EventSource reconnects by itself (with Last-Event-ID); say so meanwhile.
      live.dataset.state = 'reconnecting';
      live.textContent = 'reconnecting…';
    };
    const onEvent = (ev: MessageEvent) => {
      try {
        add(JSON.parse(ev.data) as Message, true);
      } catch (e) {
        toast(`bad event from the stream: ${errorText(e)}`, 'bad');
      }
    };
    for (const t of TYPES) source.addEventListener(t, onEvent as EventListener);
  }

  async function loadDead(): Promise<void> {
    try {
      const r = await get<{ dead_letters: DeadLetter[] }>('/v1/notifications/dead-letters?limit=100');
      if (disposed) return;
      if (!r.dead_letters.length) {
        mount(dead, h('p', { class: 'muted' }, 'No dead letters: every delivery went through.'));
        return;
      }
      mount(
        dead,
        h(
          'ul',
          { class: 'dead-letters', id: 'dead-letters' },
          r.dead_letters.map((d) => {
            const btn = h('button', { type: 'button', class: 'secondary small' }, 'Redeliver');
            btn.addEventListener('click', async () => {
              btn.disabled = true;
              try {
                await post(`/v1/notifications/dead-letters/${d.id}/redeliver`);
                toast(`Queued ${d.message.Type} for ${d.subscription.endpoint} again`);
                await loadDead();
              } catch (e) {
                btn.disabled = false;
                btn.after(errorBox(e));
              }
            });
            return h(
              'li',
              { 'data-dead-letter': d.id },
              h('div', { class: 'feed-head' }, h('span', { class: 'feed-type' }, d.message.Type), h('span', { class: 'feed-topic' }, `${d.subscription.protocol} ${d.subscription.endpoint}`)),
              h('p', null, d.message.Subject),
              h('p', { class: 'muted small' }, `${d.attempts} attempts · last error: ${d.last_error} · ${formatTime(d.dead_at)}`),
              btn,
            );
          }),
        ),
      );
    } catch (e) {
      if (!disposed) mount(dead, errorBox(e, () => void loadDead()));
    }
  }

  void loadFeed();
  void loadDead();
  return () => {
    disposed = true;
    source?.close();
  };
}
