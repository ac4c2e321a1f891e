"""`zwgk audit OUT`: findings to OUT/findings.parquet and .csv, and a self-contained OUT/audit.html.

The page needs no network: inline CSS and plain JS. Every document is shown with its extracted
figures highlighted (<mark>, value and unit in the title) and each finding's evidence linked both
ways (finding row -> span, span -> finding). All document text goes through html.escape: markup
in a document is shown as text, never run. JS adds sorting (click a column header; `?sort=N&dir=desc`
sorts on load) and marks the page `data-ready` when done.
"""
from __future__ import annotations

import html
import json
import os
from collections import defaultdict
from pathlib import Path

from .checks import has, iter_texts, run_checks

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
CHECK_NAMES = {"totals_vs_parts": "合计与分项", "report_identity": "年报勾稽关系", "restated_claims": "前后不一致",
               "yoy_jumps": "同比异常", "shared_paragraphs": "段落雷同", "plan_vs_report": "计划与报告"}


def write_audit(out, max_docs: int = 2000) -> dict:
    """Run the checks on the output folder `out` and write the findings and the page."""
    out = Path(out)
    findings, coverage = run_checks(out)
    _write_frame(findings, out / "findings.parquet")
    _write_frame(coverage, out / "coverage.parquet")
    for df, name in ((findings, "findings.csv"), (coverage, "coverage.csv")):
        tmp = out / f".{name}.tmp"
        df.to_csv(tmp, index=False, encoding="utf-8-sig")
        tmp.replace(out / name)
    tmp = out / ".audit.html.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for chunk in render(out, findings, coverage, max_docs):
            f.write(chunk)
    tmp.replace(out / "audit.html")
    counts = findings["severity"].value_counts().to_dict()
    return {"findings": len(findings), **{k: int(counts.get(k, 0)) for k in SEVERITY_RANK},
            "plan_items": len(coverage), "written": [str(out / n) for n in
                                                      ("findings.parquet", "findings.csv", "audit.html")]}


def _write_frame(df, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None), tmp)
    os.replace(tmp, path)


# --- the page -------------------------------------------------------------------------------
def esc(s) -> str:
    return html.escape(str(s) if has(s) else "", quote=True)


def render(out: Path, findings, coverage, max_docs: int):
    """The page, in chunks: head, findings table, coverage table, then one section per document."""
    from .checks import read_table
    docs = read_table(out, "documents", ["doc_id", "source", "title", "issuer", "period_year", "doc_type"])
    meta = {d.doc_id: d for d in docs.itertuples()}
    q = read_table(out, "quantities", ["doc_id", "value", "unit", "approx", "is_total", "subject", "start", "end"])
    marks = defaultdict(list)
    for r in q.itertuples():
        marks[r.doc_id].append(r)
    evidence = defaultdict(list)   # doc_id -> [(start, end, finding_id, number)]
    rows = sorted(findings.itertuples(), key=lambda f: SEVERITY_RANK.get(f.severity, 9))   # errors first
    for n, f in enumerate(rows, 1):
        for e in json.loads(f.evidence):
            evidence[e["doc_id"]].append((e["start"], e["end"], f.finding_id, n))
    yield _head(len(docs), findings)
    yield _findings_table(rows, meta)
    yield _coverage_table(coverage, meta)
    yield '<h2 id="documents">文件 Documents</h2>\n'
    flagged = set(findings["doc_id"]) | set(evidence)
    shown = 0
    for first_pass in (True, False):
        for doc_id, text in iter_texts(out):
            if (doc_id in flagged) != first_pass or shown >= max_docs:
                continue
            shown += 1
            yield _document(meta.get(doc_id), doc_id, text or "", marks.get(doc_id, []), evidence.get(doc_id, []))
    if shown < len(docs):
        yield f'<p class="note">只显示前{shown}个文件（共{len(docs)}个）。</p>'
    yield f"<script>{_JS}</script>\n</body></html>\n"


def _doc_label(d, doc_id: str) -> str:
    if d is None:
        return doc_id
    return d.title if isinstance(d.title, str) and d.title else d.source


def _head(n_docs: int, findings) -> str:
    c = findings["severity"].value_counts()
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>zwgk audit</title><style>{_CSS}</style></head><body>\n'
            f'<h1>数字核查 Audit of claimed figures</h1>\n'
            f'<p class="summary">{n_docs}个文件，{len(findings)}条发现：'
            f'<span class="sev error">错误 {int(c.get("error", 0))}</span> '
            f'<span class="sev warning">警告 {int(c.get("warning", 0))}</span> '
            f'<span class="sev info">提示 {int(c.get("info", 0))}</span> · '
            f'<a href="#coverage">计划与报告对照</a> · <a href="#documents">文件</a></p>\n')


def _findings_table(rows, meta) -> str:
    out = ['<h2 id="findings-h">发现 Findings</h2>\n<table id="findings" class="sortable"><thead><tr>'
           '<th data-type="num">#</th><th data-type="num">级别</th><th>检查</th><th>文件</th>'
           '<th>说明</th><th>证据</th></tr></thead><tbody>\n']
    for n, f in enumerate(rows, 1):
        ev = json.loads(f.evidence)
        links = " ".join(f'<a href="#s-{esc(e["doc_id"])}-{e["start"]}-{e["end"]}" title="{esc(e["text"][:200])}">'
                         f'{esc(_short(e["text"]))}</a>' for e in ev[:8])
        more = f" …(+{len(ev) - 8})" if len(ev) > 8 else ""
        out.append(f'<tr id="f-{esc(f.finding_id)}" class="{esc(f.severity)}">'
                   f'<td data-sort="{n}">{n}</td>'
                   f'<td data-sort="{SEVERITY_RANK.get(f.severity, 9)}"><span class="sev {esc(f.severity)}">'
                   f'{esc(f.severity)}</span></td>'
                   f'<td>{esc(CHECK_NAMES.get(f.check, f.check))}</td>'
                   f'<td><a href="#doc-{esc(f.doc_id)}">{esc(_doc_label(meta.get(f.doc_id), f.doc_id))}</a></td>'
                   f'<td>{esc(f.message)}</td><td class="ev">{links}{more}</td></tr>\n')
    out.append("</tbody></table>\n")
    return "".join(out)


def _short(s: str, n: int = 18) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n] + "…"


def _coverage_table(coverage, meta) -> str:
    out = ['<h2 id="coverage">计划与报告对照 Plan vs report</h2>\n']
    if coverage.empty:
        return out[0] + '<p class="note">没有同一单位、同一年度的计划（要点/方案/计划）与报告（报告/总结）可对照。</p>\n'
    out.append('<table id="coverage-table" class="sortable"><thead><tr><th>计划</th><th>报告</th><th>单位</th>'
               '<th data-type="num">年度</th><th>编号</th><th>计划事项</th><th>时限</th><th data-type="num">相似度</th>'
               '<th>状态</th><th>报告内容</th></tr></thead><tbody>\n')
    for c in coverage.itertuples():
        report = (f'<a href="#s-{esc(c.report_doc_id)}-{int(c.report_start)}-{int(c.report_end)}">{esc(_short(c.report_excerpt, 40))}</a>'
                  if has(c.report_start) else "")
        out.append(f'<tr class="{esc(c.status).replace(" ", "-")}"><td>{esc(_doc_label(meta.get(c.plan_doc_id), c.plan_doc_id))}</td>'
                   f'<td>{esc(_doc_label(meta.get(c.report_doc_id), c.report_doc_id))}</td><td>{esc(c.entity)}</td>'
                   f'<td>{esc(c.year)}</td><td>{esc(c.path)}</td><td>{esc(c.heading)}</td><td>{esc(c.deadline)}</td>'
                   f'<td>{c.score:.2f}</td><td>{esc(c.status)}</td><td>{report}</td></tr>\n')
    out.append("</tbody></table>\n")
    return "".join(out)


def _document(d, doc_id: str, text: str, quantities: list, evidence: list) -> str:
    """The text cut at every span boundary; each piece is escaped and wrapped in the marks over it."""
    spans = [(int(q.start), int(q.end), "q", q) for q in quantities]
    spans += [(s, e, "ev", (fid, n)) for s, e, fid, n in evidence]
    cuts = sorted({0, len(text)} | {p for s, e, _, _ in spans for p in (s, e) if 0 <= p <= len(text)})
    starts, ends = defaultdict(list), defaultdict(list)
    for sp in spans:
        starts[sp[0]].append(sp)
        ends[sp[1]].append(sp)
    active, parts = [], []
    for a, b in zip(cuts, cuts[1:]):
        active = [sp for sp in active if sp[1] > a] + starts.get(a, [])
        anchors = "".join(f'<span id="s-{esc(doc_id)}-{s}-{e}"></span>'
                          for s, e in sorted({(s, e) for s, e, kind, _ in starts.get(a, []) if kind == "ev"}))
        piece = esc(text[a:b])
        if active:
            qs = [x for _, _, kind, x in active if kind == "q"]
            fids = sorted({x[0] for _, _, kind, x in active if kind == "ev"})
            cls = " ".join(c for c, on in (("q", qs), ("ev", fids)) if on)
            title = "; ".join(_mark_title(x) for x in qs)
            piece = (f'<mark class="{cls}" title="{esc(title)}" data-f="{esc(" ".join(fids))}">{piece}</mark>')
        parts.append(anchors + piece)
        refs = sorted({x for s, e, kind, x in ends.get(b, []) if kind == "ev"}, key=lambda x: x[1])
        parts += [f'<sup><a class="fref" href="#f-{esc(fid)}">[{n}]</a></sup>' for fid, n in refs]
    label = _doc_label(d, doc_id)
    year = getattr(d, "period_year", None)
    year = f"{int(year)}年" if has(year) else None
    sub = " · ".join(esc(x) for x in (getattr(d, "issuer", None), year, getattr(d, "doc_type", None),
                                       getattr(d, "source", None)) if has(x) and x)
    return (f'<section class="doc" id="doc-{esc(doc_id)}"><h3>{esc(label)}</h3><p class="meta">{sub} · '
            f'<code>{esc(doc_id)}</code></p><div class="text">{"".join(parts)}</div></section>\n')


def _mark_title(q) -> str:
    bits = [f"{q.value:g} {q.unit}"]
    if isinstance(q.approx, str) and q.approx:
        bits.append(f"约（{q.approx}）")
    if bool(q.is_total):
        bits.append("合计")
    if isinstance(q.subject, str) and q.subject:
        bits.append(q.subject)
    return " · ".join(bits)


_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em auto;max-width:70em;
padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin-bottom:.2em}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #ddd;padding:.3em .5em;
vertical-align:top;text-align:left}th{background:#f3f3f3;cursor:pointer;user-select:none;position:sticky;top:0}
th.asc::after{content:" ▲"}th.desc::after{content:" ▼"}
.sev{padding:0 .4em;border-radius:.3em;font-size:.85em;color:#fff;white-space:nowrap}
.sev.error{background:#c62828}.sev.warning{background:#ef6c00}.sev.info{background:#546e7a}
tr.flash,mark.flash{outline:3px solid #1565c0}
.doc{border-top:1px solid #ccc;margin-top:1.5em}.meta{color:#666;font-size:.85em;margin-top:0}
.text{white-space:pre-wrap;word-break:break-all;font-size:.95em}
mark.q{background:#fff59d;cursor:help}mark.ev{background:#fde7ea}mark.q.ev{background:#ffab91}
mark.ev{cursor:pointer}sup a{text-decoration:none;color:#c62828}.note{color:#666}
td.ev a{margin-right:.5em}tr.no-outcome td,tr.deadline-passed td{background:#fff3e0}
"""

_JS = r"""
(function () {
  function key(td, type) {
    var v = td.getAttribute('data-sort');
    if (v === null) v = td.textContent.trim();
    if (type === 'num') { var n = parseFloat(v); return isNaN(n) ? Infinity : n; }
    return v;
  }
  function sortTable(table, col, dir) {
    var th = table.tHead.rows[0].cells[col], type = th.getAttribute('data-type') || 'text';
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col], type), y = key(b.cells[col], type);
      var c = type === 'num' ? x - y : String(x).localeCompare(String(y), 'zh');
      return dir === 'desc' ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.classList.remove('asc', 'desc'); });
    th.classList.add(dir);
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.addEventListener('click', function () {
        sortTable(table, i, th.classList.contains('asc') ? 'desc' : 'asc');
      });
    });
  });
  var params = new URLSearchParams(location.search), col = parseInt(params.get('sort'), 10);
  var findings = document.getElementById('findings');
  if (col >= 0 && col < findings.tHead.rows[0].cells.length)
    sortTable(findings, col, params.get('dir') === 'desc' ? 'desc' : 'asc');
  function flash(el) {
    if (!el) return;
    el.classList.add('flash');
    setTimeout(function () { el.classList.remove('flash'); }, 1500);
  }
  document.addEventListener('click', function (e) {
    var m = e.target.closest && e.target.closest('mark.ev');
    if (m) {
      var row = document.getElementById('f-' + m.getAttribute('data-f').split(' ')[0]);
      if (row) { row.scrollIntoView({block: 'center'}); flash(row); }
    }
  });
  var counts = {};
  Array.prototype.forEach.call(document.querySelectorAll('#findings tbody tr'), function (r) {
    var a = r.cells[3].querySelector('a'); if (a) counts[a.getAttribute('href')] = (counts[a.getAttribute('href')] || 0) + 1;
  });
  Object.keys(counts).forEach(function (href) {
    var sec = document.getElementById(href.slice(1)), h = sec && sec.querySelector('h3');
    if (h) { var b = document.createElement('span'); b.className = 'sev warning badge';
             b.textContent = counts[href] + ' 条发现'; h.appendChild(document.createTextNode(' ')); h.appendChild(b); }
  });
  document.body.setAttribute('data-ready', String(document.querySelectorAll('#findings tbody tr').length));
})();
"""
