// The admin UI: a small router over history URLs under /engine/admin/ (the
// server answers every such path with index.html), a shell with navigation,
// and one module per page.
import { session, logout, setUnauthorizedHandler } from './api.js';
import { h, clear } from './dom.js';
import { loginPage } from './pages/login.js';
import { dashboardPage } from './pages/dashboard.js';
import { scriptsPage } from './pages/scripts.js';
import { editorPage } from './pages/editor.js';
import { routesPage } from './pages/routes.js';
import { logsPage } from './pages/logs.js';
import { streamsPage } from './pages/streams.js';

import { BASE } from './dom.js';

const ROUTES = [
  [/^\/$/, dashboardPage, 'Dashboard'],
  [/^\/scripts$/, scriptsPage, 'Scripts'],
  [/^\/scripts\/new$/, (ctx) => editorPage(ctx, null), 'New script'],
  [/^\/scripts\/([^/]+)$/, (ctx, name) => editorPage(ctx, decodeURIComponent(name)), 'Script'],
  [/^\/routes$/, routesPage, 'Routes'],
  [/^\/streams$/, streamsPage, 'Streams'],
  [/^\/logs$/, logsPage, 'Logs'],
];

const NAV = [['/', 'Dashboard'], ['/scripts', 'Scripts'], ['/routes', 'Routes'], ['/streams', 'Streams'], ['/logs', 'Logs']];

let dispose = null;
let rendered = false;
// A page with unsaved work sets this; navigation asks before leaving.
export const guard = { dirty: () => false };

export function navigate(path, { replace = false, force = false, state = null } = {}) {
  if (!force && guard.dirty() && !window.confirm('Leave this page? Your unsaved changes will be lost.')) return;
  guard.dirty = () => false;
  history[replace ? 'replaceState' : 'pushState'](state, '', BASE + path);
  render();
}

function currentPath() {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return p === '' ? '/' : p;
}

function render() {
  if (dispose) dispose();
  dispose = null;
  const root = document.getElementById('app');
  const path = currentPath();
  const ctx = { navigate, guard };
  if (!session() || path === '/login') {
    if (path !== '/login') {
      history.replaceState(null, '', `${BASE}/login?next=${encodeURIComponent(path + location.search)}`);
    }
    clear(root, loginPage(ctx));
    document.title = 'Log in · aiwebengine';
    return;
  }
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(root, shell(path), main);
  const route = ROUTES.find(([re]) => re.test(path));
  if (!route) {
    document.title = 'Not found · aiwebengine';
    main.append(h('h1', null, 'Not found'), h('p', null, `There is no admin page at ${path}. `,
      h('a', { href: `${BASE}/` }, 'Go to the dashboard')));
    return;
  }
  const [re, page, title] = route;
  document.title = `${title} · aiwebengine`;
  const params = path.match(re).slice(1);
  const result = page({ ...ctx, main, title: (t) => { document.title = `${t} · aiwebengine`; } }, ...params);
  dispose = typeof result === 'function' ? result : null;
  // After a navigation, keyboard and screen-reader users start at the content.
  if (rendered) main.focus({ preventScroll: true });
  rendered = true;
}

function shell(path) {
  const s = session();
  const section = '/' + (path.split('/')[1] || '');
  return h('header', { class: 'topbar' },
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('a', { class: 'brand', href: `${BASE}/` }, 'aiwebengine'),
    h('nav', { 'aria-label': 'Main' },
      h('ul', null, NAV.map(([href, label]) => h('li', null,
        h('a', { href: BASE + href, 'aria-current': section === href ? 'page' : null }, label))))),
    h('div', { class: 'who' },
      h('span', { class: 'email', title: 'Logged in as' }, (s && s.user && s.user.email) || ''),
      h('button', { type: 'button', class: 'link', onclick: () => { logout(); navigate('/login', { force: true }); } }, 'Log out')));
}

// Same-origin links under BASE are handled here, without a page load.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
  if (url.pathname === location.pathname && url.hash) return;
  e.preventDefault();
  navigate(url.pathname.slice(BASE.length) + url.search || '/');
});

window.addEventListener('popstate', () => render());
window.addEventListener('beforeunload', (e) => {
  if (guard.dirty()) e.preventDefault();
});

setUnauthorizedHandler(() => {
  const path = currentPath();
  if (path === '/login') return;
  guard.dirty = () => false;
  history.replaceState(null, '', `${BASE}/login?next=${encodeURIComponent(path)}&expired=1`);
  render();
});

render();
