// The script page's "Tests" tab: runs the script's `*.test.js` companion
// (foo.js → foo.test.js) on the server against a throwaway engine holding
// the current scripts (POST /engine/api/scripts/{name}/test), and shows
// each test's result and the summary.
import { api, scriptPath } from '../api.js';
import { h, clear, notice, hideNotice } from '../dom.js';

export function companionName(name) {
  if (name.endsWith('.test.js')) return name;
  return `${name.endsWith('.js') ? name.slice(0, -3) : name}.test.js`;
}

function failureView(t) {
  const rows = [['Message', t.message], ['Expected', t.expected], ['Actual', t.actual], ['Where', t.location]]
    .filter(([, v]) => v !== null && v !== undefined && v !== '');
  return h('dl', { class: 'test-failure' }, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, h('code', null, v))]));
}

export function testsPanel(name) {
  const file = companionName(name);
  const msg = h('div', { class: 'notice', hidden: true });
  const summary = h('p', { class: 'test-summary', role: 'status', 'aria-live': 'polite' });
  const list = h('ol', { class: 'test-results' });
  const runBtn = h('button', { type: 'button', class: 'primary', onclick: () => run() }, 'Run tests');
  const el = h('div', { class: 'tests-panel' },
    h('p', { class: 'muted small' }, `Runs ${file} against a throwaway engine with the saved scripts (fresh data; this server's data is not touched). Save changes first.`),
    runBtn, msg, summary, list);

  async function run() {
    runBtn.disabled = true;
    hideNotice(msg);
    summary.textContent = 'Running…';
    clear(list);
    try {
      const r = await api('POST', `${scriptPath(name)}/test`);
      if (r.load_error) notice(msg, 'error', r.load_error);
      list.append(...r.tests.map((t) => h('li', { class: t.ok ? 'test-pass' : 'test-fail' },
        h('span', { class: 'test-mark', 'aria-hidden': 'true' }, t.ok ? '✓' : '✗'), ' ',
        h('span', { class: 'test-verdict' }, t.ok ? 'ok' : 'not ok'), ' – ',
        h('span', { class: 'test-name' }, t.name),
        t.ok ? null : failureView(t))));
      summary.textContent = r.summary;
    } catch (e) {
      summary.textContent = '';
      notice(msg, 'error', e.message);
    } finally {
      runBtn.disabled = false;
    }
  }

  return { el };
}
