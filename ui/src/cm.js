// CodeMirror 6 set up for script editing. The editor lives in a shadow root:
// there CodeMirror installs its styles as constructed style sheets, which
// the CSP (`style-src 'self'`, no inline <style>) allows.
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, highlightSpecialChars, rectangularSelection, Decoration, WidgetType } from '@codemirror/view';
import { EditorState, StateField, StateEffect, Transaction } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { search, searchKeymap, highlightSelectionMatches } from '@codemirror/search';
import { javascript } from '@codemirror/lang-javascript';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput,
  foldGutter, foldKeymap } from '@codemirror/language';
import { closeBrackets, closeBracketsKeymap, autocompletion, completionKeymap } from '@codemirror/autocomplete';
import { lintGutter, setDiagnostics } from '@codemirror/lint';

class ErrorWidget extends WidgetType {
  constructor(text) { super(); this.text = text; }
  eq(other) { return other.text === this.text; }
  toDOM() {
    const el = document.createElement('div');
    el.className = 'cm-load-error';
    el.setAttribute('role', 'alert');
    el.textContent = this.text;
    return el;
  }
}

const setError = StateEffect.define();
// A block widget under the failing line with the server's message.
const errorField = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setError)) {
        deco = e.value ? Decoration.set([Decoration.widget({ widget: new ErrorWidget(e.value.text), block: true, side: 1 })
          .range(e.value.pos)]) : Decoration.none;
      }
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '14px', backgroundColor: '#fff' },
  '&.cm-focused': { outline: '2px solid #1f4e8c', outlineOffset: '-2px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace', lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: '#f6f7f9', borderRight: '1px solid #dde1e6', color: '#6b7280' },
  '.cm-load-error': { background: '#fdecec', color: '#8a1414', borderLeft: '4px solid #c62828',
    padding: '4px 10px', margin: '2px 0', fontFamily: 'system-ui, sans-serif', fontSize: '13px', whiteSpace: 'pre-wrap' },
  '.cm-panels': { fontFamily: 'system-ui, sans-serif' },
  '.cm-panel.cm-search input, .cm-panel.cm-search button': { fontSize: '13px' },
});

// Typing over a selection that spans highlighted lines lets Chrome's own
// editing insert a <span style=...>, which the CSP blocks (a console error).
// Such input is applied here instead, through the input handlers (so
// auto-closing brackets still wrap the selection).
const typeOverSelection = EditorView.domEventHandlers({
  beforeinput(e, view) {
    const { main } = view.state.selection;
    if (e.inputType !== 'insertText' || !e.data || main.empty || view.composing) return false;
    e.preventDefault();
    const insert = () => view.state.update(view.state.replaceSelection(e.data), { userEvent: 'input.type', scrollIntoView: true });
    const handled = view.state.facet(EditorView.inputHandler).some((f) => f(view, main.from, main.to, e.data, insert));
    if (!handled) view.dispatch(insert());
    return true;
  },
});

export function createEditor(host, { doc, onSave, onChange }) {
  const shadow = host.attachShadow({ mode: 'open' });
  const save = () => { onSave(); return true; };
  const view = new EditorView({
    root: shadow,
    parent: shadow,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(), foldGutter(), lintGutter(), highlightActiveLineGutter(), highlightSpecialChars(),
        history(), drawSelection(), EditorState.allowMultipleSelections.of(true), indentOnInput(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }), bracketMatching(), closeBrackets(),
        autocompletion(), rectangularSelection(), highlightActiveLine(), highlightSelectionMatches(),
        search({ top: true }), javascript(), errorField, theme, typeOverSelection,
        EditorView.contentAttributes.of({ 'aria-label': 'Script source' }),
        keymap.of([{ key: 'Mod-s', run: save, preventDefault: true }, ...closeBracketsKeymap, ...defaultKeymap,
          ...searchKeymap, ...historyKeymap, ...foldKeymap, ...completionKeymap, indentWithTab]),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(); }),
      ],
    }),
  });
  return {
    view,
    getValue: () => view.state.doc.toString(),
    // Loading a version is not an edit: Ctrl+Z must not undo it.
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text },
        annotations: Transaction.addToHistory.of(false) });
    },
    // line and column are 1-based, as the server reports them; either may be null.
    showError(message, line, column, note) {
      const d = view.state.doc;
      const where = line ? ` (line ${line}${column ? `, column ${column}` : ''})` : '';
      const ln = d.line(Math.min(Math.max(line || 1, 1), d.lines));
      const from = Math.min(ln.from + Math.max((column || 1) - 1, 0), ln.to);
      const to = from < ln.to ? ln.to : from;
      view.dispatch(setDiagnostics(view.state, [{ from, to, severity: 'error', message: message + where }]));
      view.dispatch({ effects: [setError.of({ pos: ln.to, text: `${message}${where}. ${note}` }),
        EditorView.scrollIntoView(from, { y: 'center' })] });
    },
    clearError() {
      view.dispatch(setDiagnostics(view.state, []));
      view.dispatch({ effects: setError.of(null) });
    },
    focus: () => view.focus(),
  };
}
