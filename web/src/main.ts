// The console's entry: session, history routing with role-aware navigation, and the shell.

import './styles.css';
import { setUnauthenticatedHandler } from './api';
import { h, mount } from './dom';
import { loginPage } from './pages/login';
import { reviewPage } from './pages/review';
import { parametersPage } from './pages/parameters';
import { modelsPage, modelDetailPage } from './pages/models';
import { executionsPage, executionDetailPage } from './pages/executions';
import { datasetPage } from './pages/dataset';
import { notificationsPage } from './pages/notifications';
import { canReview, isOperator, logout, restore, session, Session } from './session';

// A page renders into `root` and returns a cleanup (timers, key handlers, streams).
export type Page = (root: HTMLElement, params: string[]) => (() => void) | void;

interface RouteDef {
  pattern: RegExp;
  page: Page;
  allowed: (s: Session | null) => boolean;
  nav?: string; // path of the nav entry it belongs to
}

const ROUTES: RouteDef[] = [
  { pattern: /^\/review$/, page: reviewPage, allowed: canReview, nav: '/review' },
  { pattern: /^\/parameters$/, page: parametersPage, allowed: isOperator, nav: '/parameters' },
  { pattern: /^\/models$/, page: modelsPage, allowed: isOperator, nav: '/models' },
  { pattern: /^\/models\/([^/]+)$/, page: modelDetailPage, allowed: isOperator, nav: '/models' },
  { pattern: /^\/executions$/, page: executionsPage, allowed: isOperator, nav: '/executions' },
  {
    pattern: /^\/executions\/([^/]+)$/,
    page: executionDetailPage,
    allowed: isOperator,
    nav: '/executions',
  },
  { pattern: /^\/dataset$/, page: datasetPage, allowed: isOperator, nav: '/dataset' },
  {
    pattern: /^\/notifications$/,
    page: notificationsPage,
    allowed: isOperator,
    nav: '/notifications',
  },
];

const NAV: { path: string; label: string; allowed: (s: Session | null) => boolean }[] = [
  { path: '/review', label: 'Review', allowed: canReview },
  { path: '/models', label: 'Models', allowed: isOperator },
  { path: '/executions', label: 'Executions', allowed: isOperator },
  { path: '/dataset', label: 'Dataset', allowed: isOperator },
  { path: '/parameters', label: 'Parameters', allowed: isOperator },
  { path: '/notifications', label: 'Notifications', allowed: isOperator },
];

const app = document.getElementById('app') as HTMLElement;
let cleanup: (() => void) | void = undefined;
// Where to go after signing in (the page a signed-out visitor or an ended session asked for).
let afterLogin: string | null = null;

function home(s: Session | null): string {
  if (isOperator(s)) return '/models';
  if (canReview(s)) return '/review';
  return '/login';
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function shell(s: Session, active: string | undefined): { main: HTMLElement; root: HTMLElement } {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const root = h(
    'div',
    { class: 'shell' },
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: home(s) }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'loupe'),
      h(
        'nav',
        { 'aria-label': 'Main' },
        h(
          'ul',
          null,
          NAV.filter((n) => n.allowed(s)).map((n) =>
            h(
              'li',
              null,
              h(
                'a',
                { href: n.path, 'aria-current': n.path === active ? 'page' : null },
                n.label,
              ),
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'user' },
        h('span', { class: 'who' }, h('span', { class: 'user-name' }, s.User), h('span', { class: 'role' }, s.Role)),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            onclick: async () => {
              await logout().catch(() => undefined);
              navigate('/login', true);
            },
          },
          'Sign out',
        ),
      ),
    ),
    main,
  );
  return { main, root };
}

function render(): void {
  if (cleanup) cleanup();
  cleanup = undefined;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const s = session();
  if (path === '/login' || !s) {
    if (path !== '/login') {
      afterLogin = path + location.search;
      history.replaceState(null, '', '/login');
    }
    mount(app);
    cleanup = loginPage(app, [], () => {
      const wanted = afterLogin;
      afterLogin = null;
      const route = wanted ? ROUTES.find((r) => r.pattern.test(wanted.split('?')[0])) : undefined;
      navigate(wanted && route?.allowed(session()) ? wanted : home(session()), true);
    });
    return;
  }
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) {
    navigate(home(s), true);
    return;
  }
  const { main, root } = shell(s, route.nav);
  mount(app, root);
  if (!route.allowed(s)) {
    mount(
      main,
      h('div', { class: 'empty' }, h('h1', null, 'Not available'), h('p', null, `Your role (${s.Role}) cannot open this page.`)),
    );
    return;
  }
  const params = (path.match(route.pattern) ?? []).slice(1).map(decodeURIComponent);
  cleanup = route.page(main, params);
}

// Same-origin links navigate in-app.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('/v1/') || a.target) return;
  e.preventDefault();
  navigate(href);
});
window.addEventListener('popstate', render);
setUnauthenticatedHandler(() => {
  if (location.pathname !== '/login') {
    afterLogin = location.pathname + location.search;
    navigate('/login', true);
  }
});

restore().then(() => {
  if (location.pathname === '/' || location.pathname === '/index.html') {
    history.replaceState(null, '', home(session()));
  }
  render();
});
