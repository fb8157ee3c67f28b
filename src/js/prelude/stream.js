
(function (native) {
  'use strict';
  const live = new Map();
  const close = (it) => {
    if (typeof it.return !== 'function') return;
    try { Promise.resolve(it.return()).catch(() => {}); } catch (e) { /* already closing */ }
  };
  const describe = (v) => v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
  return {
    open(sid, iterable) { live.set(sid, iterable[Symbol.asyncIterator]()); },
    pull(sid) {
      const it = live.get(sid);
      if (!it) return;
      const gone = (e) => { if (live.get(sid) === it) { live.delete(sid); native.fail(sid, e); } };
      const step = () => {
        let p;
        try { p = Promise.resolve(it.next()); } catch (e) { gone(e); return; }
        p.then((r) => {
          if (live.get(sid) !== it) return;
          if (r === null || typeof r !== 'object') { gone(new TypeError('the body iterator\'s next() must resolve to {value, done}')); return; }
          if (r.done) { live.delete(sid); native.end(sid); return; }
          const sent = native.chunk(sid, r.value);
          if (sent === 0) step();
          else if (sent < 0) {
            close(it);
            gone(new TypeError('a streamed body must yield strings or Uint8Arrays, not ' + describe(r.value)));
          }
        }, gone);
      };
      step();
    },
    cancel(sid) {
      const it = live.get(sid);
      if (!it) return;
      live.delete(sid);
      close(it);
    },
  };
})
