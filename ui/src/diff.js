// A line diff (longest common subsequence after trimming the common head
// and tail), grouped into hunks with context lines.

const MAX_CELLS = 4_000_000;

export function diffLines(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail);
  const ys = y.slice(head, y.length - tail);
  const out = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', text: x[i], a: i + 1, b: i + 1 });
  const mid = xs.length * ys.length > MAX_CELLS ? replaceAll(xs, ys) : lcs(xs, ys);
  for (const m of mid) out.push({ ...m, a: m.a && m.a + head, b: m.b && m.b + head });
  for (let i = tail; i > 0; i--) {
    out.push({ op: ' ', text: x[x.length - i], a: x.length - i + 1, b: y.length - i + 1 });
  }
  return out;
}

function replaceAll(xs, ys) {
  return [...xs.map((t, i) => ({ op: '-', text: t, a: i + 1 })), ...ys.map((t, j) => ({ op: '+', text: t, b: j + 1 }))];
}

function lcs(xs, ys) {
  const n = xs.length, m = ys.length;
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = xs[i] === ys[j] ? t[(i + 1) * w + j + 1] + 1 : Math.max(t[(i + 1) * w + j], t[i * w + j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && xs[i] === ys[j]) { out.push({ op: ' ', text: xs[i], a: i + 1, b: j + 1 }); i++; j++; }
    else if (i < n && (j === m || t[(i + 1) * w + j] >= t[i * w + j + 1])) { out.push({ op: '-', text: xs[i], a: i + 1 }); i++; }
    else { out.push({ op: '+', text: ys[j], b: j + 1 }); j++; }
  }
  return out;
}

// Rows to show: changed lines with `context` lines around them; longer
// unchanged runs collapse into one {skip: n} row.
export function hunks(lines, context = 3) {
  const keep = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const rows = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (skipped) rows.push({ skip: skipped });
      skipped = 0;
      rows.push(l);
    } else skipped++;
  });
  if (skipped) rows.push({ skip: skipped });
  return rows;
}
