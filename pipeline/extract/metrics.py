"""Canonical metrics: reported figures mapped to named keys (政府网站发布信息条数, 本年新收申请数 …).

A figure becomes a metric when its context says what it counts. Two sources:

* prose: every figure of ``doc.quantities`` is tested against the rules of
  ``resources/metrics.json`` (in priority order, first match wins): regexes on the figure's clause
  written as ``BEFORE#AFTER`` (# is the figure), an allowed measure word, vetoes, and for some keys
  a word the sentence must contain. A few phrases report zero without a numeral (未收到…申请).
* table: the statistics tables of the 政府信息公开工作年度报告 — the national template of 2019/2021
  (第二十条 主动公开 table, 收到和处理政府信息公开申请 table with its 7 applicant columns,
  行政复议/行政诉讼 table with 15 columns) and the older 统计表 (本年度 / 历年累计) — as crawled
  pages give them: one line, every row label followed by its cells glued into one run of digits,
  e.g. ``一、本年新收政府信息公开申请数量640020470``. The run is split into the template's
  columns (`split_cells`) under the template's arithmetic (总计 = sum of the applicant columns;
  per column 新收 + 上年结转 = 办理结果总计 + 结转下年度; 总计 = sum of the outcome rows; …);
  whitespace in the source is a cell boundary. A cell is emitted only when every consistent
  split gives it the same digits; a row that no split makes consistent gives nothing. A row of
  the old 统计表 still ambiguous after that may be decided by the report's own prose figure for
  the same key (2026条 in the text picks 2026|3542 out of 20263542).

Keys, labels, units and all patterns are data (``resources/metrics.json``). Regexes run on
``doc.folded``; offsets and ``text`` are those of ``doc.text``.
"""
from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..document import Document

_RESOURCE = Path(__file__).resolve().parents[1] / "resources" / "metrics.json"


@dataclass(frozen=True, slots=True)
class Metric:
    """One reported figure under a canonical key.

    `text` is ``doc.text[start:end]``: for prose the claim (the clause up to the figure, or the
    figure and the words after it that name it), for a table cell the cell's digits.
    `quantity_start` is the start of the ``quantities`` row the prose figure comes from (None for
    table cells, derived sums and zero phrases). `row` / `column` are the template's labels of a
    table cell.
    """
    metric: str
    value: float
    unit: str
    start: int
    end: int
    text: str
    quantity_start: int | None = None
    source: str = "prose"
    row: str | None = None
    column: str | None = None


# --- resources ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _lexicon() -> dict:
    lex = json.loads(_RESOURCE.read_text(encoding="utf-8"))
    for m in lex["metrics"]:
        m["patterns_re"] = [re.compile(p) for p in m.get("patterns", [])]
        m["excludes_re"] = [re.compile(p) for p in m.get("excludes", [])]
        m["requires_re"] = [re.compile(p) for p in m.get("requires", [])]
        m["sentence_excludes_re"] = [re.compile(p) for p in m.get("sentence_excludes", [])]
        m["zero_re"] = [re.compile(p) for p in m.get("zero_patterns", [])]
        m["units_set"] = frozenset(m.get("units", []))
    lex["by_key"] = {m["key"]: m for m in lex["metrics"]}
    for t in lex["tables"]:
        t["anchor_re"] = re.compile(t["anchor"])
        t["end_re"] = re.compile(t["end"])
        between = t.get("unit_between", "")
        for r in t["rows"]:
            r["re"] = re.compile(f"(?:{r['pattern']}){between}(?=-?\\d)")
    return lex


def catalog() -> list[dict]:
    """Every metric key with its label, English name and unit, in resource order; keys of the
    per-column cells of the 申请 and 统计表 tables (``applications_new.natural_person``,
    ``active_disclosure.cumulative``) follow the base keys.

    >>> cat = {c["key"]: c for c in catalog()}
    >>> cat["applications_new"]["label"], cat["applications_new.business"]["label"]
    ('本年新收申请数', '本年新收申请数(商业企业)')
    """
    lex = _lexicon()
    out = [{"key": m["key"], "label": m["label"], "en": m["en"], "unit": m["unit"]} for m in lex["metrics"]]
    seen = {c["key"] for c in out}
    for t in lex["tables"]:
        cols = lex["columns"].get(t.get("columns", ""), [])
        keys = [r["key"] for r in t["rows"] if "key" in r] + [s["key"] for s in t.get("subtotals", [])]
        for key in keys:
            base = lex["by_key"][key]
            for col in cols:
                k = f"{key}.{col['key']}"
                if col["key"] and k not in seen:
                    seen.add(k)
                    out.append({"key": k, "label": f"{base['label']}({col['label']})",
                                "en": f"{base['en']} ({col['key'].replace('_', ' ')})", "unit": base["unit"]})
    return out


# --- splitting a run of glued digits into cells --------------------------------------------------

_CELL_RE = {
    "int": re.compile(r"0|[1-9]\d{0,8}"),
    "signed": re.compile(r"-?(?:0|[1-9]\d{0,8})"),
    "amount": re.compile(r"(?:0|[1-9]\d{0,10})(?:\.\d{1,4})?"),
}
_MAX_NODES = 200_000


def split_cells(s: str, types: list[str], breaks=(), sums=(), le=()) -> list[tuple[tuple[int, int], ...]]:
    """Every way to cut `s` into len(types) cells that is consistent with the template.

    A cell is a number of its type (int: 0 or no leading zero; signed: int with an optional minus;
    amount: up to 4 decimals). `breaks` are positions where the source had whitespace: a cut must
    fall there. `sums` are (total, parts) column indices with cell total == sum of cells parts;
    `le` are (a, b) pairs with cell a <= cell b. Returns the splits as tuples of (start, end)
    spans into `s`; [] when none is consistent (or the search gives up on an absurd input).

    >>> def cells(s, n, **kw):
    ...     return [[s[a:b] for a, b in cut] for cut in split_cells(s, ["int"] * n, **kw)]
    >>> cells("640020470", 7, sums=[(6, [0, 1, 2, 3, 4, 5])])
    [['64', '0', '0', '2', '0', '4', '70']]
    >>> cells("0000000", 7, sums=[(6, [0, 1, 2, 3, 4, 5])])
    [['0', '0', '0', '0', '0', '0', '0']]
    >>> cells("2121", 2, le=[(0, 1)])
    [['2', '121'], ['21', '21']]
    >>> cells("5000005", 7, breaks=[6], sums=[(6, [0, 1, 2, 3, 4, 5])])
    [['5', '0', '0', '0', '0', '0', '5']]
    >>> cells("1234", 7)
    []
    >>> [[ "24252.311082"[a:b] for a, b in cut] for cut in split_cells("24252.311082", ["amount"])]
    []
    """
    n = len(types)
    breaks = {b for b in breaks if 0 < b < len(s)}
    checks: dict[int, list] = {}
    for total, parts in sums:
        checks.setdefault(max([total, *parts]), []).append(("sum", total, tuple(parts)))
    for a, b in le:
        checks.setdefault(max(a, b), []).append(("le", a, b))
    out: list[tuple[tuple[int, int], ...]] = []
    spans: list[tuple[int, int]] = []
    values: list[float] = []
    nodes = 0

    def ok(k: int) -> bool:
        for kind, x, y in checks.get(k, ()):
            if kind == "sum" and abs(values[x] - sum(values[p] for p in y)) > 1e-6:
                return False
            if kind == "le" and values[x] > values[y] + 1e-9:
                return False
        return True

    def dfs(pos: int, k: int) -> bool:
        nonlocal nodes
        nodes += 1
        if nodes > _MAX_NODES:
            return False
        if k == n:
            if pos == len(s):
                out.append(tuple(spans))
            return True
        if len(s) - pos < n - k:
            return True
        nxt = min((b for b in breaks if b > pos), default=len(s))
        for m_end in _cell_ends(s, pos, nxt, types[k]):
            spans.append((pos, m_end))
            values.append(float(s[pos:m_end]))
            if ok(k) and not dfs(m_end, k + 1):
                return False
            spans.pop()
            values.pop()
        return True

    if not dfs(0, 0):
        return []
    return out


def _cell_ends(s: str, pos: int, limit: int, kind: str) -> list[int]:
    """Ends e (pos < e <= limit) such that s[pos:e] is a whole cell of `kind`."""
    rx = _CELL_RE[kind]
    ends = []
    for e in range(pos + 1, min(limit, pos + 16) + 1):
        if rx.fullmatch(s, pos, e):
            ends.append(e)
        elif e - pos > 1 and s[pos] == "0" and kind != "amount":
            break
    return ends


# --- tables --------------------------------------------------------------------------------------

@dataclass
class _Row:
    spec: dict
    keys: list[str]
    columns: list[str]
    types: list[str]
    units: list[str]
    cells: str                     # the digit run (compact text)
    pos: list[int]                 # original offset of every character of `cells`
    breaks: set[int]
    label_start: int               # original offsets of the label (for the table's extent)
    candidates: list = field(default_factory=list)

    def values(self, cand) -> tuple[float, ...]:
        return tuple(float(self.cells[a:b]) for a, b in cand)


_NONSPACE_RE = re.compile(r"\S+")


def _compact(folded: str, start: int, end: int) -> tuple[str, list[int], list[int]]:
    """The text without whitespace, the original offset of each kept character, and the
    positions (in the compact text, ascending) that had whitespace before them."""
    chars, pos, breaks = [], [], []
    n = 0
    for m in _NONSPACE_RE.finditer(folded, start, end):
        a, b = m.span()
        if n:
            breaks.append(n)
        chars.append(m.group())
        pos.extend(range(a, b))
        n += b - a
    return "".join(chars), pos, breaks


_RUN_RE = re.compile(r"[-\d.]*")
_TRAILING_MARKER_RE = re.compile(r"\d{0,2}\.$")


def _find_rows(doc: Document, lex: dict, t: dict, flat) -> tuple[list[_Row], tuple[int, int] | None]:
    """The rows of table `t` found in `flat` = (compact text, offsets, breaks) of the document:
    labels, anchors and ends are matched with all whitespace removed (办 理结果 is 办理结果)."""
    compact, pos, breaks = flat
    for anchor in t["anchor_re"].finditer(compact):
        limit = min(len(compact), anchor.start() + t.get("span", 3000))
        end = t["end_re"].search(compact, anchor.end(), limit)
        region = (anchor.start(), end.start() if end else limit)
        found = []
        claimed: list[tuple[int, int]] = []
        for spec in t["rows"]:
            for m in spec["re"].finditer(compact, *region):
                if not any(a < m.end() and m.start() < b for a, b in claimed):
                    claimed.append(m.span())
                    found.append((m.start(), m.end(), spec))
                    break
        found.sort(key=lambda f: f[0])
        rows = []
        for i, (ls, le, spec) in enumerate(found):
            stop = found[i + 1][0] if i + 1 < len(found) else region[1]
            run = _RUN_RE.match(compact, le, stop).group()
            if run.endswith("."):
                run = _TRAILING_MARKER_RE.sub("", run)
            if not run:
                continue
            inside = breaks[bisect.bisect_right(breaks, le):bisect.bisect_left(breaks, le + len(run))]
            rows.append(_make_row(lex, t, spec, run, pos[le:le + len(run)], {b - le for b in inside}, pos[ls]))
        if rows:
            extent = (rows[0].label_start, rows[-1].pos[-1] + 1)
            return rows, extent
    return [], None


def _make_row(lex: dict, t: dict, spec: dict, run: str, pos: list[int], breaks: set[int], label_start: int) -> _Row:
    if "keys" in spec:
        keys = list(spec["keys"])
        columns = spec.get("columns_labels") or t.get("columns_labels") or [""] * len(keys)
    else:
        cols = lex["columns"][t["columns"]]
        keys = [spec["key"] + (f".{c['key']}" if c["key"] else "") for c in cols]
        columns = [c["label"] for c in cols]
    n = len(keys)
    cell = spec.get("cell", t.get("cell", "int"))
    types = list(cell) if isinstance(cell, list) else [cell] * n
    unit = spec.get("unit", t.get("unit", ""))
    units = list(spec.get("units", [unit] * n))
    row = _Row(spec, keys, columns, types, units, run, pos, breaks, label_start)
    sums = spec.get("row_sums", t.get("row_sums", []))
    le = spec.get("le", t.get("le", []))
    row.candidates = split_cells(run, types, breaks, [(a, b) for a, b in sums], [(a, b) for a, b in le])
    return row


def _identity_rows(t: dict, by_key: dict[str, _Row], ident: dict) -> tuple[list[_Row], list[_Row]] | None:
    lhs_keys = ident["lhs"]
    if ident["rhs"] == "leaves":
        groups = t["leaves"]
        tail = groups[2] if any(k in by_key for k in groups[2]) else groups[1]
        rhs_keys, partial = groups[0] + tail, False
    else:
        rhs_keys, partial = ident["rhs"], ident.get("partial", False)
    if not all(k in by_key for k in lhs_keys):
        return None
    rhs = [by_key[k] for k in rhs_keys if k in by_key]
    complete = len(rhs) == len(rhs_keys)
    if not rhs or not (complete or (partial and len(rhs) >= 2)):
        return None
    return [by_key[k] for k in lhs_keys], rhs


def _apply_identities(t: dict, rows: list[_Row]) -> None:
    """Narrow ambiguous rows to the splits that make the table's column identities hold."""
    by_key = {r.spec["key"]: r for r in rows if "key" in r.spec}
    for _ in range(6):
        changed = False
        for ident in t.get("identities", []):
            sides = _identity_rows(t, by_key, ident)
            if sides is None:
                continue
            lhs, rhs = sides
            involved = lhs + rhs
            if any(not r.candidates for r in involved):
                continue
            amb = [r for r in involved if len(r.candidates) > 1]
            size = 1
            for r in amb:
                size *= len(r.candidates)
            if not amb or size > 20_000:
                continue
            keep = [set() for _ in amb]
            for combo in itertools.product(*(range(len(r.candidates)) for r in amb)):
                pick = {id(r): r.candidates[i] for r, i in zip(amb, combo)}

                def vals(r):
                    return r.values(pick.get(id(r), r.candidates[0]))
                left = [sum(col) for col in zip(*(vals(r) for r in lhs))]
                right = [sum(col) for col in zip(*(vals(r) for r in rhs))]
                if all(abs(a - b) < 1e-6 for a, b in zip(left, right)):
                    for j, i in enumerate(combo):
                        keep[j].add(i)
            if not any(keep):
                continue  # the report's figures do not add up: leave the rows as they are
            for r, k in zip(amb, keep):
                if len(k) < len(r.candidates):
                    r.candidates = [r.candidates[i] for i in sorted(k)]
                    changed = True
        if not changed:
            return


def _apply_prose_anchor(rows: list[_Row], prose: dict[str, set[float]]) -> None:
    for r in rows:
        c = r.spec.get("anchor_column")
        if c is None or len(r.candidates) < 2:
            continue
        wanted = prose.get(r.keys[c])
        if not wanted:
            continue
        hits = [cand for cand in r.candidates if r.values(cand)[c] in wanted]
        if hits:
            r.candidates = hits


def _table_metrics(doc: Document, t: dict, rows: list[_Row]) -> list[Metric]:
    out: dict[str, Metric] = {}
    extent: dict[str, tuple[int, int]] = {}   # metric key -> (label start, run end) of its row
    for r in rows:
        if not r.candidates:
            continue
        for c, key in enumerate(r.keys):
            spans = {cand[c] for cand in r.candidates}
            if not key or len(spans) != 1:
                continue
            a, b = spans.pop()
            start, end = r.pos[a], r.pos[b - 1] + 1
            out[key] = Metric(key, float(r.cells[a:b]), r.units[c], start, end, doc.text[start:end],
                              None, "table", r.spec["label"], r.columns[c] or None)
            extent[key] = (r.label_start, r.pos[-1] + 1)
    derived = []
    cols = _lexicon()["columns"].get(t.get("columns", ""), [{"key": "", "label": None}])
    for sub in t.get("subtotals", []):
        for col in cols:
            suffix = f".{col['key']}" if col["key"] else ""
            derived.append((sub["key"] + suffix, sub["label"], col["label"], [p + suffix for p in sub["parts"]]))
    for s in t.get("sums", []):
        derived.append((s["key"], s["label"], None, s["parts"]))
    for key, label, column, parts in derived:
        if key in out or not all(p in out for p in parts):
            continue
        ms = [out[p] for p in parts]
        # a derived figure points at the rows it sums: from the first part's label to the last cells
        start, end = min(extent[p][0] for p in parts), max(extent[p][1] for p in parts)
        out[key] = Metric(key, float(sum(m.value for m in ms)), ms[0].unit, start, end, doc.text[start:end],
                          None, "table", label, column)
    return list(out.values())


# --- prose ---------------------------------------------------------------------------------------

_CLAUSE_STOPS = frozenset(",;:。!?\n")
_SENTENCE_STOPS = frozenset(";。!?\n")
_SPACE_RE = re.compile(r"\s+")


def _bound_back(folded: str, pos: int, stops, limit: int) -> int:
    """Start of the clause that ends at `pos`: after the last stop character, or after a run of
    whitespace that is not right before `pos` (a line or cell break of a flattened page)."""
    lo = max(0, pos - limit)
    i = pos
    while i > lo and folded[i - 1] not in stops and not (folded[i - 1].isspace() and folded[i:pos].strip()):
        i -= 1
    while i < pos and folded[i].isspace():
        i += 1
    return i


def _bound_forward(folded: str, pos: int, stops, limit: int) -> int:
    hi = min(len(folded), pos + limit)
    i = pos
    while i < hi and folded[i] not in stops and not (folded[i].isspace() and folded[pos:i].strip()):
        i += 1
    while i > pos and folded[i - 1].isspace():
        i -= 1
    return i


def _squash(s: str) -> str:
    return _SPACE_RE.sub("", s.replace("#", " "))


def _prose(doc: Document, lex: dict, skip: list[tuple[int, int]]) -> list[Metric]:
    folded = doc.folded
    skip_approx = set(lex["skip_approx"])
    rules = [m for m in lex["metrics"] if m["patterns_re"]]
    out = []
    for q in doc.quantities:
        if any(a <= q.start < b for a, b in skip) or (q.approx in skip_approx):
            continue
        cs = _bound_back(folded, q.start, _CLAUSE_STOPS, 60)
        ce = _bound_forward(folded, q.end, _CLAUSE_STOPS, 40)
        before, after = _squash(folded[cs:q.start]), _squash(folded[q.end:ce])
        ctx = f"{before}#{after}"
        sentence = None
        for m in rules:
            if q.unit not in m["units_set"] or any(rx.search(ctx) for rx in m["excludes_re"]):
                continue
            if m["requires_re"] or m["sentence_excludes_re"]:
                if sentence is None:
                    sentence = folded[_bound_back(folded, q.start, _SENTENCE_STOPS, 150):
                                      _bound_forward(folded, q.end, _SENTENCE_STOPS, 100)]
                if m["requires_re"] and not any(rx.search(sentence) for rx in m["requires_re"]):
                    continue
                if any(rx.search(sentence) for rx in m["sentence_excludes_re"]):
                    continue
            hit = next((h for rx in m["patterns_re"] if (h := rx.search(ctx))), None)
            if hit is None:
                continue
            hash_at = len(before)
            start = cs if hit.start() < hash_at else q.start
            end = ce if hit.end() > hash_at + 1 else q.end
            out.append(Metric(m["key"], float(q.value), m["unit"], start, end, doc.text[start:end], q.start))
            break
    for m in lex["metrics"]:
        for rx in m["zero_re"]:
            for z in rx.finditer(folded):
                if any(a <= z.start() < b for a, b in skip):
                    continue
                out.append(Metric(m["key"], 0.0, m["unit"], z.start(), z.end(), doc.text[z.start():z.end()]))
    return out


# --- the extractor -------------------------------------------------------------------------------

def extract(doc: Document) -> Iterator[Metric]:
    """Yield the canonical metrics of `doc` (after layout and quantities have run), in text order.

    >>> from pipeline.run import process_text
    >>> doc = process_text("一、总体情况\\n全年在政府网站公示各类信息75条，主动公开规范性文件数30个。"
    ...                    "本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。")
    >>> [(m.metric, m.value, m.text) for m in extract(doc)]  # doctest: +NORMALIZE_WHITESPACE
    [('website_posts', 75.0, '全年在政府网站公示各类信息75条'),
     ('normative_docs', 30.0, '主动公开规范性文件数30个'),
     ('applications_new', 70.0, '本年度全区共收到70件申请'),
     ('resp_total', 69.0, '及时依法依规办结69件'),
     ('applications_carried_over', 1.0, '1件结转下年度继续办理')]
    """
    lex = _lexicon()
    tables = []
    skip = []
    flat = _compact(doc.folded, 0, len(doc.folded))
    for t in lex["tables"]:
        rows, extent = _find_rows(doc, lex, t, flat)
        if rows:
            tables.append((t, rows))
            skip.append(extent)
    prose = _prose(doc, lex, skip)
    prose_values: dict[str, set[float]] = {}
    for m in prose:
        prose_values.setdefault(m.metric, set()).add(m.value)
    found = list(prose)
    for t, rows in tables:
        _apply_identities(t, rows)
        _apply_prose_anchor(rows, prose_values)
        _apply_identities(t, rows)
        found.extend(_table_metrics(doc, t, rows))
    found.sort(key=lambda m: (m.start, m.end, m.metric))
    yield from found
