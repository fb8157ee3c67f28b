// The admin UI: a small router over history URLs under /engine/admin/ (the
// server answers every such path with index.html), a shell with navigation,
// and one module per page.
import { loadMe, logout, currentUser, isAdmin, isEditor, setUnauthorizedHandler } from './api.js';
import { BASE, h, clear } from './dom.js';
import { loginPage } from './pages/login.js';
import { dashboardPage } from './pages/dashboard.js';
import { scriptsPage } from './pages/scripts.js';
import { editorPage } from './pages/editor.js';
import { routesPage } from './pages/routes.js';
import { logsPage } from './pages/logs.js';
import { streamsPage } from './pages/streams.js';
import { usersPage } from './pages/users.js';
import { groupsPage } from './pages/groups.js';
import { permissionsPage } from './pages/permissions.js';
import { auditPage } from './pages/audit.js';
import { settingsPage } from './pages/settings.js';
import { tokensPage } from './pages/tokens.js';
import { sessionsPage } from './pages/sessions.js';
import { accountPage } from './pages/account.js';
import { assetsPage } from './pages/assets.js';
import { tlsPage } from './pages/tls.js';
import { mcpPage } from './pages/mcp.js';

const ROUTES = [
  [/^\/$/, dashboardPage, 'Dashboard'],
  [/^\/scripts$/, scriptsPage, 'Scripts'],
  [/^\/scripts\/new$/, (ctx) => editorPage(ctx, null), 'New script'],
  [/^\/scripts\/([^/]+)$/, (ctx, name) => editorPage(ctx, decodeURIComponent(name)), 'Script'],
  [/^\/routes$/, routesPage, 'Routes'],
  [/^\/streams$/, streamsPage, 'Streams'],
  [/^\/logs$/, logsPage, 'Logs'],
  [/^\/assets$/, assetsPage, 'Assets'],
  [/^\/mcp$/, mcpPage, 'MCP'],
  [/^\/users$/, usersPage, 'Users'],
  [/^\/groups$/, groupsPage, 'Groups'],
  [/^\/permissions$/, permissionsPage, 'Permissions'],
  [/^\/audit$/, auditPage, 'Audit log'],
  [/^\/settings$/, settingsPage, 'Settings'],
  [/^\/tls$/, tlsPage, 'TLS certificate'],
  [/^\/account$/, accountPage, 'Your account'],
  [/^\/tokens$/, tokensPage, 'API tokens'],
  [/^\/sessions$/, sessionsPage, 'Sessions'],
];

// Navigation groups; `who` says which role sees the group (the server
// enforces the same rules: a hidden page's calls answer 403 anyway).
const NAV = [
  ['Engine', 'editor', [['/', 'Dashboard'], ['/scripts', 'Scripts'], ['/routes', 'Routes'], ['/streams', 'Streams'], ['/logs', 'Logs'],
    ['/assets', 'Assets'], ['/mcp', 'MCP']]],
  ['Administration', 'admin', [['/users', 'Users'], ['/groups', 'Groups'], ['/permissions', 'Permissions'],
    ['/audit', 'Audit log'], ['/settings', 'Settings'], ['/tls', 'TLS certificate']]],
  ['Your account', 'any', [['/account', 'Profile'], ['/tokens', 'API tokens'], ['/sessions', 'Sessions']]],
];

let dispose = null;
let rendered = false;
// A page with unsaved work sets this; navigation asks before leaving.
// `onLogout` lets it keep a draft when the session ends under it.
export const guard = { dirty: () => false, onLogout: () => {} };

export function navigate(path, { replace = false, force = false, state = null } = {}) {
  if (!force && guard.dirty() && !window.confirm('Leave this page? Your unsaved changes will be lost.')) return;
  resetGuard();
  history[replace ? 'replaceState' : 'pushState'](state, '', BASE + path);
  render();
}

function resetGuard() {
  guard.dirty = () => false;
  guard.onLogout = () => {};
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
  if (!currentUser() || path === '/login') {
    if (currentUser()) {
      // Already logged in: go where the login would have led.
      const next = new URLSearchParams(location.search).get('next');
      if (isOAuthNext(next)) location.replace(next);
      else navigate(safeNext(next), { replace: true, force: true });
      return;
    }
    if (path !== '/login') {
      history.replaceState(null, '', `${BASE}/login?next=${encodeURIComponent(path + location.search)}`);
    }
    clear(root, loginPage({ ...ctx, done: (next) => (isOAuthNext(next) ? location.replace(next)
      : navigate(safeNext(next), { replace: true, force: true })) }));
    document.title = 'Log in · aiwebengine';
    return;
  }
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(root, h('div', { class: 'layout' }, ...shell(path), main));
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

// The OAuth authorization page sends a browser here to log in first, then
// gets it back (docs/mcp-auth.md): the one same-origin path outside the UI.
export function isOAuthNext(next) {
  return typeof next === 'string' && next.startsWith('/engine/oauth/authorize?');
}

// Only paths inside the UI: never another host, never the login page.
export function safeNext(next) {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/';
  return next;
}

function shell(path) {
  const me = currentUser();
  const section = '/' + (path.split('/')[1] || '');
  const sees = (who) => who === 'any' || (who === 'admin' ? isAdmin() : isEditor());
  const menu = h('button', { type: 'button', class: 'menu-button', 'aria-expanded': 'false', 'aria-controls': 'sidenav' }, 'Menu');
  const nav = h('nav', { id: 'sidenav', class: 'sidenav', 'aria-label': 'Main' },
    NAV.filter(([, who]) => sees(who)).map(([group, , links], i) => h('div', { class: 'nav-group' },
      h('div', { class: 'nav-title', id: `nav-group-${i}` }, group),
      h('ul', { 'aria-labelledby': `nav-group-${i}` }, links.map(([href, label]) => h('li', null,
        h('a', { href: BASE + href, 'aria-current': section === href ? 'page' : null }, label)))))));
  menu.addEventListener('click', () => {
    const open = menu.getAttribute('aria-expanded') !== 'true';
    menu.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  });
  const top = h('header', { class: 'topbar' },
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    menu,
    h('a', { class: 'brand', href: `${BASE}/` }, 'aiwebengine'),
    h('div', { class: 'who' },
      h('a', { class: 'email', href: `${BASE}/account`, title: 'Your account' }, me.email),
      h('span', { class: `role role-${me.role}` }, me.role),
      h('button', { type: 'button', class: 'link', onclick: doLogout }, 'Log out')));
  return [top, nav];
}

async function doLogout() {
  if (guard.dirty() && !window.confirm('Log out? Your unsaved changes will be lost.')) return;
  try {
    await logout();
  } catch { /* the session is gone either way */ }
  resetGuard();
  history.pushState(null, '', `${BASE}/login?out=1`);
  render();
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

// A call answered 401: the session ended (expired, revoked, logged out
// elsewhere). Back to the login page, then back here.
setUnauthorizedHandler(() => {
  const path = currentPath();
  if (path === '/login') return;
  guard.onLogout();
  resetGuard();
  history.replaceState(null, '', `${BASE}/login?next=${encodeURIComponent(path + location.search)}&expired=1`);
  render();
});

async function boot() {
  try {
    await loadMe();
  } catch (e) {
    const root = document.getElementById('app');
    clear(root, h('div', { class: 'login-wrap' }, h('div', { class: 'login-card' },
      h('h1', null, 'aiwebengine admin'),
      h('div', { class: 'notice notice-error', role: 'alert' }, `Could not load the admin UI: ${e.message}`),
      h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, 'Try again'))));
    return;
  }
  render();
}

boot();
