"""Audit checks: each function reads the tables of an output folder and returns `findings` rows.

A finding is a dict: finding_id, doc_id, check, severity (error / warning / info), message (Chinese,
with the numbers), evidence (JSON list of {doc_id, start, end, text}: the spans to look at; every
`text` is `documents.text[start:end]`). The checks:

- totals_vs_parts     合计/共/其中 breakdowns that do not add up, parts larger than their whole,
                      shares (占…%) that do not match their figures, percentages over 100 %
- report_identity     本年新收 + 上年结转 = 办理结果总计 + 结转下年度 (per column), columns and rows
                      against their 总计 (metrics table), or the identity as stated in prose
- restated_claims     the same claim stated twice in one document with different numbers
- yoy_jumps           the same metric of the same township (issuer) jumping ×10 from one year to the next
- shared_paragraphs   long paragraphs shared (nearly) verbatim by different townships or years
- plan_vs_report      plan items without a reported outcome; deadlines passed without a completion

Per-document checks see one document's text at a time (`DocView`); cross-document checks work from
the tables only. The metrics table and the region columns are used when present, never required.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

FINDING_COLUMNS = ["finding_id", "doc_id", "check", "severity", "message", "evidence"]
COVERAGE_COLUMNS = ["plan_doc_id", "report_doc_id", "entity", "year", "item_id", "path", "heading",
                    "deadline", "score", "status", "report_start", "report_end", "report_excerpt"]
REPORT_TYPES = {"报告", "年度报告", "总结"}
PLAN_TYPES = {"要点", "方案", "计划"}


# --- findings ---------------------------------------------------------------------------------
def span(doc_id: str, start: int, end: int, text: str) -> dict:
    return {"doc_id": doc_id, "start": int(start), "end": int(end), "text": text}


def finding(check: str, severity: str, doc_id: str, message: str, evidence: list[dict]) -> dict:
    """One findings row; the id is stable: the same check on the same spans gets the same id."""
    key = json.dumps([check, doc_id, [(e["doc_id"], e["start"], e["end"]) for e in evidence]])
    return {"finding_id": hashlib.sha1(key.encode()).hexdigest()[:12], "doc_id": doc_id, "check": check,
            "severity": severity, "message": message, "evidence": json.dumps(evidence, ensure_ascii=False)}


def qspan(doc_id: str, q) -> dict:
    return span(doc_id, q.start, q.end, q.text)


def fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# --- loading ----------------------------------------------------------------------------------
def read_table(out: Path, name: str, columns: list[str] | None = None):
    """A table of the output folder (Parquet, else CSV), or None when the folder has none."""
    import pandas as pd
    out = Path(out)
    if (out / f"{name}.parquet").exists():
        if columns is not None:
            import pyarrow.parquet as pq
            have = set(pq.read_schema(out / f"{name}.parquet").names)
            columns = [c for c in columns if c in have]
        return pd.read_parquet(out / f"{name}.parquet", columns=columns)
    if (out / f"{name}.csv").exists():
        keep = None if columns is None else (lambda c: c in columns)
        return pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig", usecols=keep)
    return None


def iter_texts(out: Path, batch: int = 64):
    """(doc_id, text) of every document, read in batches: one batch of texts in memory at a time."""
    out = Path(out)
    if (out / "documents.parquet").exists():
        import pyarrow.parquet as pq
        for b in pq.ParquetFile(out / "documents.parquet").iter_batches(batch_size=batch, columns=["doc_id", "text"]):
            yield from zip(b.column("doc_id").to_pylist(), b.column("text").to_pylist())
    else:
        import pandas as pd
        for chunk in pd.read_csv(out / "documents.csv", encoding="utf-8-sig", usecols=["doc_id", "text"],
                                 chunksize=batch, keep_default_na=False):
            yield from zip(chunk["doc_id"], chunk["text"])


@dataclass
class Tables:
    documents: object            # without the text column
    quantities: object
    paragraphs: object | None
    items: object | None
    dates: object | None
    metrics: object | None = None


def load_tables(out: Path) -> Tables:
    import pyarrow.parquet as pq
    out = Path(out)
    if (out / "documents.parquet").exists():
        cols = [c for c in pq.read_schema(out / "documents.parquet").names if c != "text"]
    else:
        import pandas as pd
        cols = [c for c in pd.read_csv(out / "documents.csv", encoding="utf-8-sig", nrows=0).columns if c != "text"]
    docs = read_table(out, "documents", cols)
    q = read_table(out, "quantities")
    q = q.sort_values(["doc_id", "start"]).reset_index(drop=True)
    q["approx"] = q["approx"].astype(object).where(q["approx"].notna(), None)
    q["subject"] = q["subject"].astype(object).where(q["subject"].notna(), None)
    return Tables(docs, q, read_table(out, "paragraphs"), read_table(out, "items"), read_table(out, "dates"),
                  read_table(out, "metrics"))


def entity_of(doc) -> str | None:
    """Who reports: the township when the region columns give one, else the issuer (normalized)."""
    town = getattr(doc, "township", None)
    if isinstance(town, str) and town:
        return town
    issuer = getattr(doc, "issuer", None)
    if not isinstance(issuer, str) or not issuer:
        return None
    name = issuer
    while True:
        shorter = re.sub(r"(?:党政)?办公室$|人民政府$|管理委员会$|管委会$", "", name)
        if shorter == name or not shorter:
            return name
        name = shorter


# --- text helpers -----------------------------------------------------------------------------
_SENTENCE_END = "。！？!?\n"
_CLAUSE_END = "，。；：！？,;:!?\n"


class DocView:
    """One document: its text, its quantities in text order, sentence boundaries."""

    def __init__(self, doc_id: str, text: str, quantities: list):
        self.doc_id, self.text, self.quantities = doc_id, text, quantities
        self._ends = [i for i, c in enumerate(text) if c in _SENTENCE_END]

    def sentence(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_left(self._ends, pos)
        start = self._ends[i - 1] + 1 if i > 0 else 0
        end = self._ends[i] if i < len(self._ends) else len(self.text)
        return start, end

    def clause_before(self, pos: int, limit: int = 30) -> str:
        head = self.text[max(0, pos - limit):pos]
        cut = max(head.rfind(c) for c in _CLAUSE_END)
        return head[cut + 1:]

    def clause_after(self, pos: int, limit: int = 12) -> str:
        tail = self.text[pos:pos + limit]
        cuts = [i for i in (tail.find(c) for c in _CLAUSE_END) if i >= 0]
        return tail[:min(cuts)] if cuts else tail


def bigrams(s: str) -> set[str]:
    s = re.sub(r"[\d\s.,%]+", "", s)
    return {s[i:i + 2] for i in range(len(s) - 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# === 1. totals against parts ==================================================================
_ANCHOR_RE = re.compile(r"其中|(?<=[\u4e00-\u9fff])中[，,：:]")
_SHARE_RE = re.compile(r"占(?:比|总数的?|全部的?|比例为?|比重为?)?[为达约]?\s*$")
_BOUNDED_RATE_RE = re.compile(r"(?:占|占比|满意率|办结率|答复率|回复率|知晓率|覆盖率|公开率|及时率|查阅率|"
                              r"化解率|参保率|合格率|通过率|入学率|到位率|受理率|办理率|签约率)[为达约是]?\s*$")
NEAR_MISS = 0.10   # parts within 10 % below their total (or around a total with no 其中) are a broken sum


def _same_para(a, b) -> bool:
    pa, pb = a.paragraph_id, b.paragraph_id
    return (pa != pa and pb != pb) or pa == pb   # NaN: both outside any paragraph


def _context_sim(doc: DocView, a, b) -> float:
    return jaccard(bigrams(doc.clause_before(a.start)), bigrams(doc.clause_before(b.start)))


def _anchor_whole(doc: DocView, counts: list, pos: int):
    """The figure a 其中 refers to: the last count before it, at most a short clause away; after a
    full stop (…2122条。其中，…), the count of the previous sentence worded most like the first part."""
    before = [q for q in counts if q.end <= pos]
    if not before:
        return None, False
    gap = doc.text[before[-1].end:pos]
    if len(gap) <= 16 and not any(c in _SENTENCE_END for c in gap):
        return before[-1], False
    if len(gap) > 16 or gap.count("。") != 1 or not gap.rstrip(" \t").endswith("。"):
        return None, False
    s0 = doc.sentence(before[-1].start)[0]
    first = next((q for q in counts if q.start >= pos), None)
    prev = [q for q in before if q.start >= s0 and first is not None and q.unit == first.unit]
    if not prev:
        return None, False
    return max(prev, key=lambda q: (_context_sim(doc, q, first), q.start)), True


_CONVERSION_RE = re.compile(r"(?:折算为|折算成|折合|相当于|即)\s*$")


def _window_end(doc: DocView, pos: int, initial: bool, unit: str) -> int:
    """Where the parts of a 其中 at `pos` end: the sentence end, a closing bracket when the 其中
    stands in brackets; a sentence-initial 其中 runs on over sentences of the same shape (…占66%。…占34%)."""
    s_end = doc.sentence(pos)[1]
    opened = max(doc.text.rfind("（", 0, pos), doc.text.rfind("(", 0, pos))
    closed = max(doc.text.rfind("）", 0, pos), doc.text.rfind(")", 0, pos))
    if opened > closed and opened >= doc.sentence(pos)[0]:
        close = [i for i in (doc.text.find("）", pos), doc.text.find(")", pos)) if i >= 0]
        return min(close + [s_end])
    while initial and s_end < len(doc.text) - 1:
        nxt = doc.sentence(s_end + 1)
        first = next((q for q in doc.quantities if nxt[0] <= q.start < nxt[1] and q.unit == unit), None)
        if first is None or _share_after(doc, first) is None:
            break
        s_end = nxt[1]
    return s_end


def _announces(q) -> bool:
    return bool(re.match(r"(?:全年)?(?:共计|合计|累计|总计|总共|一共|共有|共)", q.text))


def _share_after(doc: DocView, q):
    """The 占…% right after a figure (…1509条，占71.11%), or None."""
    pct = next((x for x in doc.quantities if x.unit == "%" and q.end <= x.start <= q.end + 12), None)
    return pct if pct is not None and _SHARE_RE.search(doc.text[q.end:pct.start]) else None


def breakdown_groups(doc: DocView) -> list[tuple[str, object, list]]:
    """(kind, whole, parts): `sub` for 其中 lists, `sum` for parts followed by their announced
    合计/共计 (234项,43项,122项,11项,合计410项), `after` for a total followed by figures of its
    unit (共受理信访件48件，已办结42件，在办理期限内6件)."""
    counts = [q for q in doc.quantities if q.unit != "%"]
    anchors = []
    for m in _ANCHOR_RE.finditer(doc.text):
        w, initial = _anchor_whole(doc, counts, m.start())
        if w is not None and (not anchors or anchors[-1][1] is not w):
            anchors.append((m, w, initial))
    wholes = {id(w) for _, w, _ in anchors}
    groups, claimed = [], set()
    for m, w, initial in anchors:
        end = _window_end(doc, m.end(), initial, w.unit)
        parts, last = [], w
        for q in counts:
            if q.start < m.end() or q.unit != w.unit:
                continue
            if q.start >= end or id(q) in wholes or not (initial or _same_para(q, w)):
                break
            if not _CONVERSION_RE.search(doc.text[last.end:q.start]):
                parts.append(q)
            last = q
        if parts:
            groups.append(("sub", w, parts))
            claimed |= {id(q) for q in parts} | {id(w)}
    for i, t in enumerate(counts):
        if not t.is_total or id(t) in claimed:
            continue
        s0, s1 = doc.sentence(t.start)
        before = []
        for q in reversed(counts[:i]):
            if q.start < s0 or _announces(q) or id(q) in claimed or not _same_para(q, t):
                break
            if q.unit == t.unit:
                before.insert(0, q)
        if len(before) >= 2 and _announces(t):
            groups.append(("sum", t, before))
            claimed |= {id(q) for q in before} | {id(t)}
            continue
        after = []
        for q in counts[i + 1:]:
            if q.start >= s1 or q.is_total or id(q) in claimed or not _same_para(q, t):
                break
            if q.unit == t.unit:
                after.append(q)
        if len(after) >= 2:
            groups.append(("after", t, after))
    return groups


def check_totals(doc: DocView) -> list[dict]:
    """Breakdowns that do not add up, parts larger than their whole, shares off, % over 100."""
    out = []
    for kind, w, parts in breakdown_groups(doc):
        out += _judge(doc, kind, w, parts)
        if kind == "sub":
            out += _shares(doc, w, parts)
    for q in doc.quantities:
        if q.unit == "%" and q.value > 100 and _BOUNDED_RATE_RE.search(doc.text[max(0, q.start - 8):q.start]):
            out.append(finding("totals_vs_parts", "error", doc.doc_id,
                               f"比例超过100%：{q.text}（占比或达成率不可能超过100%）", [qspan(doc.doc_id, q)]))
    return out


def _judge(doc: DocView, kind: str, w, parts: list) -> list[dict]:
    ev = [qspan(doc.doc_id, w)] + [qspan(doc.doc_id, p) for p in parts]
    unit, total = w.unit, w.value
    out = []
    if kind == "sub" and w.approx is None:
        for p in parts:
            if p.value > total:
                out.append(finding("totals_vs_parts", "error", doc.doc_id,
                                   f"分项大于总数：其中“{p.text}”大于“{w.text}”", [qspan(doc.doc_id, w), qspan(doc.doc_id, p)]))
    if out or len(parts) < 2 or w.approx or any(p.approx for p in parts):
        return out
    values = [p.value for p in parts]
    s = sum(values)
    sums = "+".join(fmt(v) for v in values) + f"={fmt(s)}{unit}"
    if _close(s, total) or _run_sums_to(values, total, kind):
        return out
    if kind == "sum":
        return [finding("totals_vs_parts", "error", doc.doc_id,
                        f"分项之和与合计不符：{sums}，合计为{fmt(total)}{unit}（差{fmt(total - s)}）", ev)]
    if kind == "sub" and s > total:
        return [finding("totals_vs_parts", "error", doc.doc_id,
                        f"分项之和超过总数：{sums}，大于“{w.text}”（多{fmt(s - total)}）", ev)]
    if abs(total - s) <= NEAR_MISS * total:
        return [finding("totals_vs_parts", "warning", doc.doc_id,
                        f"分项之和与总数不符：{sums}，总数为{fmt(total)}{unit}（差{fmt(total - s)}，"
                        f"是否漏列一项或某个数字有误）", ev)]
    return []


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _run_sums_to(values: list[float], total: float, kind: str) -> bool:
    """A total made of only some of the listed figures: the last ones before a 合计 (`sum`), the
    first ones after a total (`sub`, `after`: later figures are siblings, 已办结42件，在办6件；化解31件)."""
    runs = ([values[i:] for i in range(1, len(values) - 1)] if kind == "sum"
            else [values[:i] for i in range(1, len(values))])
    return any(_close(sum(r), total) for r in runs)


def _shares(doc: DocView, w, parts: list) -> list[dict]:
    """占…% after a part must be part / whole (to the precision written); shares add up to ≤ 100 %."""
    out, stated = [], []
    for p in parts:
        pct = _share_after(doc, p)
        if pct is None or w.value <= 0:
            continue
        stated.append(pct)
        decimals = len(pct.text.split(".")[1].rstrip("%％ ")) if "." in pct.text else 0
        actual = p.value / w.value * 100
        if abs(actual - pct.value) > 0.5 * 10 ** -decimals + 0.05 and pct.approx is None:
            out.append(finding("totals_vs_parts", "warning", doc.doc_id,
                               f"占比与数字不符：{fmt(p.value)}/{fmt(w.value)}={actual:.{max(decimals, 1)}f}%，"
                               f"文中为{pct.text}", [qspan(doc.doc_id, w), qspan(doc.doc_id, p), qspan(doc.doc_id, pct)]))
    if len(stated) >= 2 and sum(q.value for q in stated) > 100.5:
        out.append(finding("totals_vs_parts", "error", doc.doc_id,
                           f"各部分占比之和超过100%：{'+'.join(fmt(q.value) for q in stated)}="
                           f"{sum(q.value for q in stated):g}%", [qspan(doc.doc_id, q) for q in stated]))
    return out


# === 2. the annual-report identity ============================================================
_ROLE_RE = {"new": re.compile(r"新收|本年.*收到"), "in": re.compile(r"上年结转"),
            "total": re.compile(r"办理结果.*总计|结果总计|^总计$"), "out": re.compile(r"结转下年")}
_RESULT_ROW_RE = re.compile(r"予以公开|部分公开|不予公开|国家秘密|禁止公开|三安全一稳定|第三方|内部事务|过程性|"
                            r"执法案卷|查询事项|无法提供|不掌握|现成信息|仍不明确|不予处理|信访|重复申请|出版物|"
                            r"大量反复|重新出具|其他处理|逾期|收费")
_PARENT_COLUMN_RE = re.compile(r"小计|合计|法人或其他组织$")


def metrics_frame(metrics):
    """The metrics table with the columns the identity needs: doc_id, key, column, value, spans.
    Accepts `metric`/`key`/`metric_key` for the key and `column`/`applicant`/`col` for the table
    column (absent: every figure is the 总计 column)."""
    if metrics is None or metrics.empty:
        return None
    m = metrics.copy()
    key = next((c for c in ("metric", "metric_key", "key", "name") if c in m.columns), None)
    if key is None or "value" not in m.columns:
        return None
    col = next((c for c in ("column", "applicant", "applicant_type", "col") if c in m.columns), None)
    m["mkey"] = m[key].astype(str)
    m["mcol"] = m[col].fillna("总计").astype(str) if col else "总计"
    for c in ("start", "end"):
        if c not in m.columns:
            m[c] = -1
    if "text" not in m.columns:
        m["text"] = m["value"].map(fmt)
    return m[m["value"].notna()]


def check_identity_metrics(metrics) -> list[dict]:
    """Per column: 本年新收 + 上年结转 = 办理结果总计 + 结转下年度; results and columns against 总计."""
    m = metrics_frame(metrics)
    if m is None:
        return []
    out = []
    ev = lambda rows: [span(r.doc_id, r.start, r.end, r.text) for r in rows if r.start >= 0]
    for (doc_id, col), g in m.groupby(["doc_id", "mcol"]):
        rows = list(g.itertuples())
        role = {r: next((x for x in rows if rx.search(x.mkey)), None) for r, rx in _ROLE_RE.items()}
        n, i, t, o = (role[k] for k in ("new", "in", "total", "out"))
        if n is not None and t is not None and o is not None:
            lhs, rhs = n.value + (i.value if i is not None else 0), t.value + o.value
            if not _close(lhs, rhs):
                out.append(finding("report_identity", "error", doc_id,
                                   f"年报勾稽关系不成立（{col}列）：本年新收{fmt(n.value)}+上年结转"
                                   f"{fmt(i.value if i is not None else 0)}={fmt(lhs)}，办理结果总计{fmt(t.value)}"
                                   f"+结转下年度{fmt(o.value)}={fmt(rhs)}", ev([x for x in (n, i, t, o) if x is not None])))
        results = [x for x in rows if _RESULT_ROW_RE.search(x.mkey) and x is not t]
        if t is not None and len(results) >= 5 and not _close(sum(x.value for x in results), t.value):
            out.append(finding("report_identity", "error", doc_id,
                               f"办理结果各项之和{fmt(sum(x.value for x in results))}与总计{fmt(t.value)}不符（{col}列）",
                               ev([t] + results)))
    for (doc_id, key), g in m.groupby(["doc_id", "mkey"]):
        total = g[g["mcol"] == "总计"]
        parts = g[(g["mcol"] != "总计") & ~g["mcol"].str.contains(_PARENT_COLUMN_RE)]
        if len(total) == 1 and len(parts) >= 2 and not _close(parts["value"].sum(), total["value"].iloc[0]):
            out.append(finding("report_identity", "error", doc_id,
                               f"“{key}”各列之和{fmt(parts['value'].sum())}与总计列{fmt(total['value'].iloc[0])}不符",
                               ev(list(total.itertuples()) + list(parts.itertuples()))))
    return out


_PROSE_ROLE = [("out", re.compile(r"结转下年")), ("in", re.compile(r"上年结转|上年度结转")),
               ("new", re.compile(r"新收|收到|受理")), ("done", re.compile(r"办结|答复|办理完毕|处理完毕|已办理"))]


def check_identity_prose(doc: DocView) -> list[dict]:
    """The identity stated in a sentence: 共收到70件申请，办结69件，1件结转下年度 (收到 + 上年结转 = 办结 + 结转)."""
    out, seen = [], set()
    for q in doc.quantities:
        s = doc.sentence(q.start)
        if s in seen or q.unit not in ("件", "条"):
            continue
        seen.add(s)
        roles = {}
        for x in (x for x in doc.quantities if s[0] <= x.start < s[1] and x.unit == q.unit):
            ctx = doc.clause_before(x.start, 16) + "|" + doc.clause_after(x.end, 10)
            role = next((r for r, rx in _PROSE_ROLE if rx.search(ctx)), None)
            if role and role not in roles:
                roles[role] = x
        if {"new", "done", "out"} <= set(roles) and not any(x.approx for x in roles.values()):
            carried = roles["in"].value if "in" in roles else 0
            if not _close(roles["new"].value + carried, roles["done"].value + roles["out"].value):
                out.append(finding("report_identity", "error", doc.doc_id,
                                   f"申请办理勾稽关系不成立：收到{fmt(roles['new'].value)}+上年结转{fmt(carried)}"
                                   f"≠办结{fmt(roles['done'].value)}+结转下年度{fmt(roles['out'].value)}",
                                   [qspan(doc.doc_id, x) for x in roles.values()]))
    return out


# === 3. the same claim stated twice ===========================================================
GENERIC_SUBJECTS = {"信息", "内容", "单位", "部分", "企业", "个", "人", "群众", "项目", "工作", "事项", "次"}
_COMPARE_RE = re.compile(r"同比|较上年|比上年|增长|下降|减少|增加|提高到|提高至|降至|由|从|上升|目标|力争|计划|预计")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
RESTATE_SIMILARITY = 0.7    # bigram Jaccard of the claims' wording (numbers removed)
RESTATE_MIN_CONTEXT = 8     # bigrams: short list labels (（二）加油站) are no claim


def claim_context(doc: DocView, q) -> set[str]:
    """The wording of a claim: bigrams of its clause before and after the figure, numbers left out."""
    return bigrams(doc.clause_before(q.start)) | bigrams(doc.clause_after(q.end)) | {q.unit}


def check_restated(doc: DocView) -> list[dict]:
    """One claim (same subject and unit, same wording around the figure) stated twice with
    different values. A wording shared by three or more different values is a formula
    (全年共发布信息…条 in every section), not one claim; a 其中 between the two narrows the scope."""
    cands = []
    for q in doc.quantities:
        ctx, words = claim_context(doc, q), doc.clause_before(q.start) + doc.clause_after(q.end)
        if q.approx is None and not _COMPARE_RE.search(words) and len(ctx) > RESTATE_MIN_CONTEXT:
            cands.append((q, ctx, set(_YEAR_RE.findall(words)), doc.sentence(q.start)))
    similar = defaultdict(set)
    pairs = []
    for (a, ba, ya, sa), (b, bb, yb, sb) in combinations(cands, 2):
        if a.unit != b.unit or jaccard(ba, bb) < RESTATE_SIMILARITY:
            continue
        similar[id(a)] |= {a.value, b.value}
        similar[id(b)] |= {a.value, b.value}
        if a.subject != b.subject or _close(a.value, b.value) or sa == sb or (ya and yb and ya != yb):
            continue
        if "其中" in doc.text[a.end:b.start] and b.start - a.end < 150:
            continue
        pairs.append((a, b))
    return [finding("restated_claims", "warning", doc.doc_id,
                    f"同一事项前后数字不一致：“{a.text}”与“{b.text}”（{doc.clause_before(a.start)}…）",
                    [qspan(doc.doc_id, a), qspan(doc.doc_id, b)])
            for a, b in pairs if len(similar[id(a)]) < 3 and len(similar[id(b)]) < 3]


# === 4a. year-over-year jumps =================================================================
YOY_FACTOR = 10.0   # an order of magnitude: real counts of a township move ×2–×3 from one year to
#                     the next when practice changes (a new channel, a merger); ×10 is almost
#                     always a slipped digit, a 万 lost or added, or another body's figure
YOY_FLOOR = 50.0    # and the difference must be at least this: 2 → 25 applications is ordinary
YOY_SIMILARITY = 0.5  # without metric keys, the two figures' wording must agree this well


def check_yoy(t: Tables, contexts: dict) -> list[dict]:
    """The same metric of the same township (issuer) in consecutive years, ×10 apart."""
    docs = t.documents.set_index("doc_id")
    series = defaultdict(list)   # (entity, doc_type, key) -> [(year, doc_id, value, span, context)]
    m = metrics_frame(t.metrics)
    if m is not None:
        for r in m[m["mcol"] == "总计"].itertuples():
            series[(r.doc_id, r.mkey)].append((r.value, span(r.doc_id, r.start, r.end, r.text), None))
    else:
        for (doc_id, subj, unit), g in t.quantities[t.quantities["subject"].notna()].groupby(
                ["doc_id", "subject", "unit"]):
            if unit == "%" or subj in GENERIC_SUBJECTS or len(subj) < 2 or g["value"].nunique() != 1:
                continue
            r = g.iloc[0]
            if r["approx"] is None:
                series[(doc_id, subj + "|" + unit)].append(
                    (r["value"], span(doc_id, r["start"], r["end"], r["text"]), contexts.get((doc_id, int(r["start"])))))
    by_metric = defaultdict(list)
    for (doc_id, key), vals in series.items():
        if doc_id not in docs.index or len(vals) != 1:
            continue
        d = docs.loc[doc_id]
        ent, year = entity_of(d), d.get("period_year")
        if ent and year == year and year is not None:
            by_metric[(ent, d.get("doc_type"), key)].append((int(year), doc_id) + vals[0])
    out = []
    for (ent, _, key), rows in by_metric.items():
        rows.sort(key=lambda r: r[0])
        for (y0, d0, v0, s0, c0), (y1, d1, v1, s1, c1) in zip(rows, rows[1:]):
            if y1 - y0 != 1 or min(v0, v1) <= 0 or abs(v1 - v0) < YOY_FLOOR:
                continue
            if max(v0, v1) / min(v0, v1) < YOY_FACTOR:
                continue
            if c0 is not None and jaccard(c0, c1 or set()) < YOY_SIMILARITY:
                continue
            out.append(finding("yoy_jumps", "warning", d1,
                               f"同比异常：{ent}“{key.split('|')[0]}”{y0}年{s0['text']}，{y1}年{s1['text']}"
                               f"（相差{max(v0, v1) / min(v0, v1):.0f}倍）", [s1, s0]))
    return out


# === 4b. paragraphs shared by different townships or years ====================================
SHINGLE = 5          # characters per shingle (digits folded to 0: copied text with new numbers still matches)
MIN_CHARS = 80       # long paragraphs only: short ones (套话, headings) are shared legitimately
COPY_SIMILARITY = 0.8
TEMPLATE_ENTITIES = 3  # a text shared by more bodies than this is a common template or a quoted source


def _shingles(text: str) -> set[int]:
    s = re.sub(r"\d", "0", re.sub(r"\s+", "", text))
    return {zlib.crc32(s[i:i + SHINGLE].encode()) for i in range(len(s) - SHINGLE + 1)}


def check_shared_paragraphs(t: Tables) -> list[dict]:
    """Paragraph pairs of different documents, by different townships (issuers) or for different
    years, whose shingle sets overlap ≥ 0.8 (Jaccard, or containment of the shorter one)."""
    if t.paragraphs is None or t.paragraphs.empty:
        return []
    docs = t.documents.set_index("doc_id")
    paras = []
    for p in t.paragraphs.itertuples():
        if len(re.sub(r"\s+", "", p.text)) >= MIN_CHARS and p.doc_id in docs.index:
            d = docs.loc[p.doc_id]
            paras.append((p, _shingles(p.text), entity_of(d), d.get("period_year")))
    index = defaultdict(list)   # fingerprint (1 in 4 shingles) -> paragraph numbers
    for n, (_, sh, _, _) in enumerate(paras):
        for h in sh:
            if h % 4 == 0:
                index[h].append(n)
    shared = defaultdict(int)
    for ns in index.values():
        if len(ns) <= 200:
            for a, b in combinations(ns, 2):
                shared[(a, b)] += 1
    pairs = defaultdict(list)   # (doc a, doc b) -> [(paragraph a, paragraph b, similarity)]
    for (a, b), k in shared.items():
        (pa, sa, ea, ya), (pb, sb, eb, yb) = paras[a], paras[b]
        if k < 4 or pa.doc_id == pb.doc_id or not _different_reporting(ea, ya, eb, yb):
            continue
        inter = len(sa & sb)
        sim = max(inter / len(sa | sb), inter / min(len(sa), len(sb)))
        if sim >= COPY_SIMILARITY:
            if (ya or 0, pa.doc_id) > (yb or 0, pb.doc_id):
                a, b = b, a
            pairs[(paras[a][0].doc_id, paras[b][0].doc_id)].append((a, b, sim))
    holders = defaultdict(set)   # paragraph -> bodies that share it
    for matches in pairs.values():
        for a, b, _ in matches:
            holders[a] |= {paras[a][2], paras[b][2]}
            holders[b] |= {paras[a][2], paras[b][2]}
    out = []
    for (da, db), matches in pairs.items():
        (pa, _, ea, ya), (pb, _, eb, yb) = paras[matches[0][0]], paras[matches[0][1]]
        n = max(len(holders[a] | holders[b]) for a, b, _ in matches)
        severity = "info" if n > TEMPLATE_ENTITIES else "warning"
        note = f"；{n}个单位共用，疑为通用模板或共同引用的上级文件" if severity == "info" else ""
        evidence = []
        for a, b, _ in matches:
            x, y = paras[b][0], paras[a][0]
            evidence += [span(x.doc_id, x.start, x.end, x.text), span(y.doc_id, y.start, y.end, y.text)]
        out.append(finding("shared_paragraphs", severity, db,
                           f"{len(matches)}个段落与{ea or '另一单位'}{_year(ya)}的文件雷同（相似度最高"
                           f"{max(m[2] for m in matches):.2f}{note}）", evidence))
    return out


def _different_reporting(ea, ya, eb, yb) -> bool:
    """Different townships (issuers), or different years; unknown sides never count as different."""
    years = ya == ya and yb == yb and ya is not None and yb is not None
    return bool((ea and eb and ea != eb) or (years and ya != yb))


def _year(y) -> str:
    return f"{int(y)}年" if y == y and y is not None else ""


# === 5. plan against report ===================================================================
PLAN_MATCH = 0.45   # heading similarity (bigram Dice, or containment in a report paragraph) for "reported"
_NOT_TASK_RE = re.compile(r"指导思想|总体要求|工作目标|基本原则|保障措施|工作要求|组织领导|组织保障|工作步骤|实施步骤|"
                          r"时间安排|进度安排|责任分工$|附件")
_DONE_RE = re.compile(r"已|完成|建成|办结|实现|落实到位|完毕|出台|印发|上线|开通")
_PLAN_TITLE_RE = re.compile(r"印发.*(?:要点|方案|计划)")


def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _is_plan(d) -> bool:
    title = d.get("title") if isinstance(d.get("title"), str) else ""
    return d.get("doc_type") in PLAN_TYPES or (d.get("doc_type") == "通知" and bool(_PLAN_TITLE_RE.search(title)))


def check_plan_vs_report(t: Tables) -> tuple[list[dict], list[dict]]:
    """Plan items matched to the report of the same township (issuer) and year by heading
    similarity; unmatched items and passed deadlines without a reported completion are findings."""
    if t.items is None or t.items.empty:
        return [], []
    docs = t.documents.copy()
    docs["entity"] = [entity_of(d) for d in docs.itertuples()]
    plans = docs[[_is_plan(d) for _, d in docs.iterrows()]]
    reports = docs[docs["doc_type"].isin(REPORT_TYPES)]
    items = {k: g for k, g in t.items.groupby("doc_id")}
    paras = {k: g for k, g in t.paragraphs.groupby("doc_id")} if t.paragraphs is not None else {}
    deadlines = defaultdict(list)
    if t.dates is not None:
        for d in t.dates[(t.dates["kind"] == "deadline") & t.dates["item_id"].notna()].itertuples():
            deadlines[(d.doc_id, int(d.item_id))].append(d)
    findings, coverage = [], []
    for plan in plans.itertuples():
        for rep in reports[(reports["entity"] == plan.entity) & (reports["period_year"] == plan.period_year)].itertuples():
            if rep.doc_id == plan.doc_id or plan.doc_id not in items:
                continue
            f, c = _cover(plan, rep, items[plan.doc_id], items.get(rep.doc_id), paras.get(rep.doc_id), deadlines)
            findings += f
            coverage += c
    return findings, coverage


def _report_units(rep_items, rep_paras) -> list[tuple[set, int, int, str, bool]]:
    """What a plan heading can match: report item headings (Dice) and paragraph texts (containment)."""
    units = []
    for it in (rep_items.itertuples() if rep_items is not None else []):
        units.append((bigrams(it.heading or ""), it.start, it.end, it.text, True))
    for p in (rep_paras.itertuples() if rep_paras is not None else []):
        units.append((bigrams(p.text), p.start, p.end, p.text, False))
    return units


def _cover(plan, rep, plan_items, rep_items, rep_paras, deadlines) -> tuple[list[dict], list[dict]]:
    units = _report_units(rep_items, rep_paras)
    report_date = rep.date if isinstance(rep.date, str) else f"{int(rep.period_year)}-12-31"
    parents = set(plan_items["parent_id"].dropna().astype(int))
    skip = set()
    findings, coverage = [], []
    for it in plan_items.itertuples():
        heading = (it.heading or "").strip()
        if (it.parent_id == it.parent_id and int(it.parent_id) in skip) or _NOT_TASK_RE.search(heading):
            skip.add(it.item_id)
            continue
        if it.item_id in parents or len(bigrams(heading)) < 3:
            continue
        hb = bigrams(heading)
        best, where = 0.0, None
        for ub, s, e, text, is_heading in units:
            score = _dice(hb, ub) if is_heading else len(hb & ub) / len(hb) * 0.9
            if score > best:
                best, where = score, (s, e, text)
        due = [d for d in deadlines.get((plan.doc_id, it.item_id), []) if isinstance(d.date, str)]
        passed = [d for d in due if d.date[:10] < report_date]
        hstart = it.start + max(0, it.text.find(heading))
        hspan = span(plan.doc_id, hstart, hstart + len(heading), heading)
        matched = best >= PLAN_MATCH
        done = matched and bool(_DONE_RE.search(where[2]))
        status = "reported" if matched else "no outcome"
        if passed and not done:
            status = "deadline passed"
            findings.append(finding("plan_vs_report", "error" if not matched else "warning", rep.doc_id,
                                    f"计划事项“{heading}”的时限{passed[0].text}早于报告日期{report_date}，报告未见完成情况",
                                    [hspan] + [span(plan.doc_id, d.start, d.end, d.text) for d in passed]
                                    + ([span(rep.doc_id, where[0], where[1], where[2])] if matched else [])))
        elif not matched:
            findings.append(finding("plan_vs_report", "warning", rep.doc_id,
                                    f"计划事项未见报告：“{heading}”（{plan.title or plan.doc_id}第{it.path}项）", [hspan]))
        coverage.append({"plan_doc_id": plan.doc_id, "report_doc_id": rep.doc_id, "entity": plan.entity,
                         "year": int(plan.period_year), "item_id": int(it.item_id), "path": it.path,
                         "heading": heading, "deadline": ", ".join(d.text for d in due) or None,
                         "score": round(best, 3), "status": status,
                         "report_start": where[0] if matched else None, "report_end": where[1] if matched else None,
                         "report_excerpt": where[2][:120] if matched else None})
    return findings, coverage


# === running them all =========================================================================
PER_DOCUMENT = (check_totals, check_identity_prose, check_restated)


def run_checks(out: Path) -> tuple:
    """All checks over the output folder `out`: (findings, coverage) DataFrames."""
    import pandas as pd
    t = load_tables(out)
    by_doc = {k: list(g.itertuples(index=False)) for k, g in t.quantities.groupby("doc_id")}
    rows, contexts = [], {}
    for doc_id, text in iter_texts(out):
        doc = DocView(doc_id, text or "", by_doc.get(doc_id, []))
        for check in PER_DOCUMENT:
            rows += check(doc)
        for q in doc.quantities:
            contexts[(doc_id, int(q.start))] = claim_context(doc, q)
    rows += check_identity_metrics(t.metrics)
    rows += check_yoy(t, contexts)
    rows += check_shared_paragraphs(t)
    plan_rows, coverage = check_plan_vs_report(t)
    rows += plan_rows
    findings = pd.DataFrame(rows, columns=FINDING_COLUMNS).drop_duplicates("finding_id")
    order = {"error": 0, "warning": 1, "info": 2}
    findings = findings.sort_values(["doc_id", "check"], key=lambda s: s.map(order) if s.name == "severity" else s)
    return findings.reset_index(drop=True).astype("string"), pd.DataFrame(coverage, columns=COVERAGE_COLUMNS)
