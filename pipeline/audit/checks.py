"""Audit checks: each function reads the tables of an output folder and returns `findings` rows.

A finding is a dict: finding_id, doc_id, check, severity (error / warning / info), message (Chinese,
with the numbers), evidence (JSON list of {doc_id, start, end, text}: the spans to look at; every
`text` is `documents.text[start:end]`). The checks:

- totals_vs_parts     合计/共/其中 breakdowns that do not add up, parts larger than their whole,
                      shares (占…%) that do not match their figures, percentages over 100 %
- report_identity     本年新收 + 上年结转 = 办理结果总计 + 结转下年度 (per column), columns and rows
                      against their 总计 (metrics table), or the identity as stated in prose
- restated_claims     the same claim stated twice in one document with different numbers (in the
                      text, or a metric whose prose and table values differ)
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
import math
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


def has(x) -> bool:
    """Not None, NaN or pd.NA (tables read from Parquet have NaN, fresh frames pd.NA)."""
    return x is not None and not (isinstance(x, float) and x != x) and type(x).__name__ != "NAType"


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
    return Tables(docs, normalize_quantities(read_table(out, "quantities")), read_table(out, "paragraphs"),
                  read_table(out, "items"), read_table(out, "dates"), read_table(out, "metrics"))


def normalize_quantities(q):
    """Quantities in text order with plain Python values: None for a missing approx or subject."""
    q = q.sort_values(["doc_id", "start"]).reset_index(drop=True)
    for c in ("approx", "subject", "text", "unit"):
        q[c] = q[c].astype(object).where(q[c].notna(), None)
    for c in ("value", "paragraph_id", "item_id"):
        q[c] = q[c].astype(float)
    q["is_total"] = q["is_total"].fillna(False).astype(bool)
    return q


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


def who_when(documents) -> dict[str, tuple]:
    """doc_id -> (entity, period_year or None, doc_type): who reports, for which year."""
    return {d.doc_id: (entity_of(d), int(d.period_year) if has(d.period_year) else None,
                       d.doc_type if has(d.doc_type) else None) for d in documents.itertuples()}


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
NEAR_MISS = 0.25   # a 其中 list adding up to 75–100 % of its total is a broken sum, not a partial list:
#                    the partial lists of the seeds and the Pingtan reports cover at most 65 % of
#                    their totals (categories of 主动公开 信息, 四门四访), the broken ones 92–99 %


def _same_para(a, b) -> bool:
    pa, pb = a.paragraph_id, b.paragraph_id
    return (not has(pa) and not has(pb)) or (has(pa) and has(pb) and pa == pb)


def _context_sim(doc: DocView, a, b) -> float:
    return jaccard(bigrams(doc.clause_before(a.start)), bigrams(doc.clause_before(b.start)))


def _anchor_whole(doc: DocView, counts: list, pos: int):
    """The figure a 其中 refers to: the last count before it, at most a short clause away; after a
    full stop (…2122条。其中，…), the count of the previous sentence worded most like the first part."""
    before = [q for q in counts if q.end <= pos]
    if not before:
        return None, False
    gap = doc.text[before[-1].end:pos]
    if len(gap) <= 24 and not any(c in _SENTENCE_END for c in gap):
        return before[-1], False
    if len(gap) > 24 or gap.count("。") != 1 or not gap.rstrip(" \t").endswith("。"):
        return None, False
    s0 = doc.sentence(before[-1].start)[0]
    first = next((q for q in counts if q.start >= pos), None)
    prev = [q for q in before if q.start >= s0 and first is not None and q.unit == first.unit]
    best = max(prev, key=lambda q: (_context_sim(doc, q, first), q.start), default=None)
    if best is None or _context_sim(doc, best, first) < 0.1:   # nothing worded alike: no guess
        return None, False
    return best, True


_CONVERSION_RE = re.compile(r"(?:折算为|折算成|折合|相当于|即)\s*$")
# A change or a mean is no part and no whole: 比上年增加1500亿元, 由50元提高到100元, 年均超收2040亿元.
_NOT_A_COUNT_RE = re.compile(r"(?:由|从|增加|减少|增长|下降|提高到|提高至|增加到|增至|降至|降到|降低到|减少到|下降到|"
                             r"上升到|少支|多支|多收|少收|净增|每人|每年|每户|每月)[了约近达为]?\s*$"
                             r"|(?:年均|平均|人均)[^，。；,;]{0,6}$")
_TOTAL_LABEL_RE = re.compile(r"总数|总额|总计|合计|共计|总量")


def _count(doc: DocView, q) -> bool:
    """A figure that can be a part or a whole of a breakdown (not a %, a change or a mean)."""
    return q.unit != "%" and not _NOT_A_COUNT_RE.search(doc.text[max(0, q.start - 8):q.start])


def _window_end(doc: DocView, pos: int, initial: bool, unit: str) -> int:
    """Where the parts of a 其中 at `pos` end: the sentence end, a closing bracket when the 其中
    stands in brackets; a sentence-initial 其中 runs on over sentences of the same shape (…占66%。…占34%)."""
    s_end = doc.sentence(pos)[1]
    semi = doc.text.find("；", pos, s_end)
    while semi >= 0:
        first = next((q for q in doc.quantities if semi < q.start < s_end and q.unit == unit), None)
        if first is None or _share_after(doc, first) is None:
            s_end = semi
            break
        semi = doc.text.find("；", first.end, s_end)
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


def _labelled_total(doc: DocView, q) -> bool:
    """全年收入总数30,357,976,000元: a total by its label, not a part."""
    return bool(_TOTAL_LABEL_RE.search(re.split(r"[，、；。：,;:]", doc.text[max(0, q.start - 12):q.start])[-1]))


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
    counts = [q for q in doc.quantities if _count(doc, q)]
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
    for i, t in enumerate(counts):   # announced totals after their parts first: they claim the parts
        if not _announces(t) or id(t) in claimed:
            continue
        s0 = doc.sentence(t.start)[0]
        before = []
        for q in reversed(counts[:i]):
            if q.start < s0 or _announces(q) or id(q) in claimed or not _same_para(q, t) or _labelled_total(doc, q):
                break
            if q.unit == t.unit:
                before.insert(0, q)
        if len(before) >= 2:
            groups.append(("sum", t, before))
            claimed |= {id(q) for q in before} | {id(t)}
    for i, t in enumerate(counts):
        if not t.is_total or id(t) in claimed:
            continue
        after = []
        for q in counts[i + 1:]:
            if (q.start >= doc.sentence(t.start)[1] or q.is_total or id(q) in claimed or not _same_para(q, t)
                    or _labelled_total(doc, q)):
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
        shares = [x for x in (_share_after(doc, p) for p in parts) if x is not None] if kind == "sub" else []
        complete = len(shares) == len(parts) >= 2 and sum(x.value for x in shares) >= 99.5
        out += _judge(doc, "sum" if complete else kind, w, parts)   # shares of 100 %: the list is whole
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
    bigger = [p for p in parts if p.value > total]
    if kind in ("sub", "sum") and w.approx is None and bigger:
        out.append(finding("totals_vs_parts", "error", doc.doc_id,
                           f"分项大于总数：其中{'、'.join(f'“{p.text}”' for p in bigger)}大于“{w.text}”",
                           [qspan(doc.doc_id, w)] + [qspan(doc.doc_id, p) for p in bigger]))
    if out or len(parts) < 2 or w.approx or any(p.approx for p in parts):
        return out
    values = [p.value for p in parts]
    s = sum(values)
    if _close(s, total) or _run_sums_to(values, total, kind):
        return out
    message = (f"分项之和与总数不符：{'+'.join(fmt(v) for v in values)}={fmt(s)}{unit}，而总数为“{w.text}”"
               f"（{'多' if s > total else '少'}{fmt(abs(s - total))}）")
    if kind == "sum" or (kind == "sub" and s > total):
        return [finding("totals_vs_parts", "error", doc.doc_id, message, ev)]
    if abs(total - s) <= NEAR_MISS * total or (kind == "after" and _named_parts(doc, w, parts)):
        return [finding("totals_vs_parts", "warning", doc.doc_id, message + "，是否漏列一项或某个数字有误", ev)]
    return []


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _run_sums_to(values: list[float], total: float, kind: str) -> bool:
    """A total made of only some of the listed figures: the last ones before a 合计 (`sum`: earlier
    figures of the sentence belong elsewhere), the first ones after a total without 其中 (`after`:
    共受理48件，已办结42件，在办6件，另有…; later figures are siblings)."""
    if kind == "sum":
        return any(_close(sum(values[i:]), total) for i in range(1, len(values) - 1))
    return kind == "after" and any(_close(sum(values[:i]), total) for i in range(2, len(values)))


_GENERIC_BIGRAMS = {"信息", "公开", "政府", "工作", "全年", "共计", "累计", "本年", "年度", "开展", "办理"}


def _named_parts(doc: DocView, t, parts: list) -> bool:
    """Every part named as a kind of what the total counts: 共收到…申请7条，网上申请数3条，信函申请数4条
    (not 共摸排19家养老福利机构、13家寄宿制中小学: siblings that 共 runs over)."""
    seq = [t] + parts
    labels = [_label(doc, q, a.end if a else 0, b.start if b else q.end + 12)
              for a, q, b in zip([None] + seq, seq, seq[1:] + [None])]
    head = labels[0] - _GENERIC_BIGRAMS
    return bool(head) and all(head & x for x in labels[1:])


def _label(doc: DocView, q, prev_end: int, next_start: int) -> set[str]:
    """The words naming one figure: back to a separator or the previous figure, on to a separator
    (words running on to the next figure name that one: 建议12件政协提案4件)."""
    before = re.split(r"[，、；。：,;:\n]", doc.text[max(prev_end, q.start - 30):q.start])[-1]
    tail = re.split(r"[，、；。：,;:\n]", doc.text[q.end:min(q.end + 12, next_start)])
    after = tail[0] if len(tail) > 1 or next_start > q.end + 12 else ""
    return bigrams(before) | bigrams(after)


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
_ROLE_RE = {"new": re.compile(r"新收|applications_new$"), "in": re.compile(r"上年结转|carried_in$"),
            "total": re.compile(r"办理结果总计|resp_total$"), "out": re.compile(r"结转下年|carried_over$")}
_NOT_A_PART_COLUMN = {"cumulative", "历年累计"}   # 本年度 / 历年累计: two years, not two parts


def metrics_frame(metrics):
    """The metrics table (pipeline/metrics_table.py) as the checks read it: `mkey` the metric
    without its column suffix (applications_new.natural_person -> applications_new), `mcol` that
    suffix (总计 when none), `mname` the Chinese label without it; table cells before prose.
    None when the folder has no usable metrics table."""
    import pandas as pd
    if metrics is None or metrics.empty or not {"doc_id", "metric", "value"} <= set(metrics.columns):
        return None
    m = metrics.copy()
    m["value"] = pd.to_numeric(m["value"], errors="coerce")
    m = m[m["value"].notna() & m["metric"].notna()].copy()
    key = m["metric"].astype(str)
    m["mkey"] = key.str.split(".").str[0]
    m["mcol"] = [k.split(".", 1)[1] if "." in k else "总计" for k in key]
    label = m["label"].astype(object) if "label" in m.columns else pd.Series(None, index=m.index, dtype=object)
    m["mname"] = [re.sub(r"[（(][^()（）]*[)）]$", "", x) if isinstance(x, str) else k
                  for x, k in zip(label, m["mkey"])]
    for c in ("start", "end"):
        m[c] = pd.to_numeric(m[c], errors="coerce").fillna(-1).astype(int) if c in m.columns else -1
    m["text"] = m["text"].astype(object) if "text" in m.columns else m["value"].map(fmt)
    m["from_table"] = m["source"].eq("table") if "source" in m.columns else False
    return m.sort_values(["doc_id", "from_table", "start"], ascending=[True, False, True])


def _mev(rows) -> list[dict]:
    return [span(r.doc_id, r.start, r.end, r.text) for r in rows if r.start >= 0 and isinstance(r.text, str)]


def check_identity_metrics(metrics) -> list[dict]:
    """The annual report's statistics (metrics table), per column: 本年新收 + 上年结转 = 办理结果总计
    + 结转下年度; X_total = the sum of its rows X_* (办理结果, 行政复议, 行政诉讼); a parent row
    (不予公开) = its sub-rows (不予公开:…); the applicant columns = the 总计 column."""
    m = metrics_frame(metrics)
    if m is None:
        return []
    out = []
    for (doc_id, col), g in m[~m["mcol"].isin(_NOT_A_PART_COLUMN)].groupby(["doc_id", "mcol"]):
        first = {}   # one row per metric: the table cell when there is one
        for r in g.itertuples():
            first.setdefault(r.mkey, r)
        rows = list(first.values())
        role = {k: next((r for r in rows if rx.search(f"{r.mname}|{r.mkey}")), None) for k, rx in _ROLE_RE.items()}
        n, i, t, o = (role[k] for k in ("new", "in", "total", "out"))
        if n is not None and t is not None and o is not None:
            carried = i.value if i is not None else 0
            if not _close(n.value + carried, t.value + o.value):
                out.append(finding("report_identity", "error", doc_id,
                                   f"年报勾稽关系不成立（{_colname(g, col)}）：本年新收{fmt(n.value)}+上年结转{fmt(carried)}"
                                   f"={fmt(n.value + carried)}，办理结果总计{fmt(t.value)}+结转下年度{fmt(o.value)}"
                                   f"={fmt(t.value + o.value)}", _mev(x for x in (n, i, t, o) if x is not None)))
        for total in (r for r in rows if r.mkey.endswith("_total")):
            parts = [r for r in rows if r.mkey.startswith(total.mkey[:-5]) and r.mkey != total.mkey]
            s = sum(r.value for r in parts)
            if parts and (s > total.value + 1e-9 or (len(parts) >= 4 and not _close(s, total.value))):
                out.append(finding("report_identity", "error", doc_id,
                                   f"“{total.mname}”{fmt(total.value)}与各项之和{fmt(s)}不符（{_colname(g, col)}）",
                                   _mev([total] + parts)))
        for parent in rows:
            kids = [r for r in rows if r.mname.startswith(parent.mname + ":")]
            if len(kids) >= 2 and not _close(sum(r.value for r in kids), parent.value):
                out.append(finding("report_identity", "error", doc_id,
                                   f"“{parent.mname}”{fmt(parent.value)}与其分项之和{fmt(sum(r.value for r in kids))}不符"
                                   f"（{_colname(g, col)}）", _mev([parent] + kids)))
    for (doc_id, key), g in m[m["from_table"]].groupby(["doc_id", "mkey"]):
        total = g[g["mcol"] == "总计"]
        parts = g[(g["mcol"] != "总计") & ~g["mcol"].isin(_NOT_A_PART_COLUMN)].drop_duplicates("mcol")
        if len(total) and len(parts) >= 2 and not _close(parts["value"].sum(), total["value"].iloc[0]):
            out.append(finding("report_identity", "error", doc_id,
                               f"“{total['mname'].iloc[0]}”各列之和{fmt(parts['value'].sum())}与总计列"
                               f"{fmt(total['value'].iloc[0])}不符", _mev(list(total.head(1).itertuples()) + list(parts.itertuples()))))
    return out


def _colname(g, col: str) -> str:
    if col == "总计":
        return "总计列"
    label = g["column_label"].dropna() if "column_label" in g.columns else []
    return f"{label.iloc[0]}列" if len(label) else f"{col}列"


def check_restated_metrics(metrics) -> list[dict]:
    """A metric of the annual report stated twice with different values (prose against table)."""
    m = metrics_frame(metrics)
    if m is None:
        return []
    out = []
    for (doc_id, key, col), g in m.groupby(["doc_id", "mkey", "mcol"]):
        if g["value"].nunique() > 1:
            rows = list(g.drop_duplicates("value").itertuples())
            out.append(finding("restated_claims", "warning", doc_id,
                               f"“{rows[0].mname}”前后数字不一致：" + "、".join(f"“{r.text}”" for r in rows[:4]),
                               _mev(rows)))
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
_COMPARE_RE = re.compile(r"同比|较上年|比上年|增长|下降|减少|增加|提高到|提高至|降至|由|从|上升|超过|超额|年均|平均")
_PERIOD_RE = re.compile(r"(?:19|20)\d\d年|去年|上年|今年|本年|明年|前年|下一年")
RESTATE_SIMILARITY = 0.7    # bigram Jaccard of the claims' wording (numbers removed)
RESTATE_MIN_CONTEXT = 8     # bigrams: short list labels (（二）加油站) are no claim


def claim_context(doc: DocView, q) -> set[str]:
    """The wording of a claim: bigrams of its clause before and after the figure, numbers left out."""
    return bigrams(doc.clause_before(q.start)) | bigrams(doc.clause_after(q.end)) | {q.unit}


def _purpose(doc: DocView, q) -> set[str]:
    """The clause right after a figure that ends its own clause (安排832亿元，支持卫生事业…)."""
    rest = doc.text[q.end:q.end + 40]
    m = re.match(r"[^，。；,;\n]{0,2}[，,]([^，。；,;\n]{2,16})", rest)
    return bigrams(m.group(1)) if m else set()


def check_restated(doc: DocView) -> list[dict]:
    """One claim (same subject and unit, same wording around the figure) stated twice with
    different values. Not the same claim: a wording shared by three or more different values (a
    formula: 全年共发布信息…条 in every section); different years or 今年/去年 in the sentences;
    different purposes after the figure (安排832亿元，支持卫生… / 安排2762亿元，用于教育…);
    a 其中 between the two (the second is part of the first)."""
    cands = []
    for q in doc.quantities:
        ctx, words = claim_context(doc, q), doc.clause_before(q.start) + doc.clause_after(q.end)
        if q.approx is None and not _COMPARE_RE.search(words) and len(ctx) > RESTATE_MIN_CONTEXT:
            s0 = doc.sentence(q.start)[0]
            cands.append((q, ctx, set(_PERIOD_RE.findall(doc.text[s0:q.end + 12])), (s0, q.start), _purpose(doc, q)))
    similar = defaultdict(set)
    pairs = []
    for (a, ba, ya, sa, pa), (b, bb, yb, sb, pb) in combinations(cands, 2):
        if a.unit != b.unit or jaccard(ba, bb) < RESTATE_SIMILARITY:
            continue
        similar[id(a)] |= {a.value, b.value}
        similar[id(b)] |= {a.value, b.value}
        if a.subject != b.subject or _close(a.value, b.value) or sa[0] == sb[0] or (ya and yb and not ya & yb):
            continue
        if (pa and pb and jaccard(pa, pb) < 0.3) or ("其中" in doc.text[a.end:b.start] and b.start - a.end < 150):
            continue
        pairs.append((a, b))
    return [finding("restated_claims", "warning", doc.doc_id,
                    f"同一事项前后数字不一致：“{a.text}”与“{b.text}”（{doc.clause_before(a.start)}…）",
                    [qspan(doc.doc_id, a), qspan(doc.doc_id, b)])
            for a, b in pairs if len(similar[id(a)]) < 3 and len(similar[id(b)]) < 3]


# === 4a. year-over-year jumps =================================================================
YOY_FACTOR = 10.0   # an order of magnitude: between consecutive Pingtan reports the same figure moves
#                     ×0.3–×2.5 (平潭县 2012→2013), at most ×6.3 when practice changes (专栏访问量
#                     11460→72065 as the portal was relaunched); ×10 is a slipped digit, a 万 lost or
#                     added, another body's figure, or a real break worth a reader's look
YOY_FLOOR = 50.0    # and the difference must be at least this: 2 → 25 applications is ordinary
YOY_SIMILARITY = 0.5  # without metric keys, the two figures' wording must agree this well


def check_yoy(t: Tables, contexts: dict | None = None) -> list[dict]:
    """The same metric of the same township (issuer) in consecutive years, ×10 apart. `contexts`
    ((doc_id, start) -> claim_context) makes figures without a metric key agree in wording too."""
    contexts = contexts or {}
    docs = who_when(t.documents)
    series = defaultdict(list)   # (doc_id, key) -> [(value, span, context)]
    m = metrics_frame(t.metrics)
    covered = set()              # figures the metrics table names: compared by metric key only
    if m is not None:
        for (doc_id, key), g in m[m["mcol"] == "总计"].groupby(["doc_id", "mkey"]):
            if g["value"].nunique() == 1:   # stated differently: restated_claims says so
                r = next(g.itertuples())
                series[(doc_id, f"{r.mname}|")].append((r.value, span(r.doc_id, r.start, r.end, r.text), None))
        if "quantity_start" in m.columns:
            covered = {(d, int(x)) for d, x in zip(m["doc_id"], m["quantity_start"]) if has(x)}
    for (doc_id, subj, unit), g in t.quantities[t.quantities["subject"].notna()].groupby(["doc_id", "subject", "unit"]):
        if unit == "%" or subj in GENERIC_SUBJECTS or len(subj) < 2 or g["value"].nunique() != 1:
            continue
        r = g.iloc[0]
        if r["approx"] is None and (doc_id, int(r["start"])) not in covered:
            series[(doc_id, subj + "|" + unit)].append(   # a figure with its wording: the same claim next year
                (r["value"], span(doc_id, r["start"], r["end"], r["text"]), contexts.get((doc_id, int(r["start"])))))
    by_metric = defaultdict(list)
    for (doc_id, key), vals in series.items():
        ent, year, doc_type = docs.get(doc_id, (None, None, None))
        if ent and year is not None and len(vals) == 1:
            by_metric[(ent, doc_type, key)].append((year, doc_id) + vals[0])
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
COMMON_FINGERPRINT = 50  # a shingle in more paragraphs than this is 套话 (…的重要讲话精神): no evidence of copying


def _shingles(text: str) -> set[int]:
    s = re.sub(r"\d", "0", re.sub(r"\s+", "", text))
    return {zlib.crc32(s[i:i + SHINGLE].encode()) for i in range(len(s) - SHINGLE + 1)}


def check_shared_paragraphs(t: Tables) -> list[dict]:
    """Paragraph pairs of different documents, by different townships (issuers) or for different
    years, whose shingle sets overlap ≥ 0.8 (Jaccard, or containment of the shorter one)."""
    if t.paragraphs is None or t.paragraphs.empty:
        return []
    docs = who_when(t.documents)
    paras, index = [], defaultdict(list)   # index: fingerprint (1 in 4 shingles) -> paragraph numbers
    for p in t.paragraphs.itertuples():
        if len(re.sub(r"\s+", "", p.text)) >= MIN_CHARS and p.doc_id in docs:
            for h in _shingles(p.text):
                if h % 4 == 0:
                    index[h].append(len(paras))
            paras.append((p,) + docs[p.doc_id][:2])   # (paragraph, entity, year)
    shared = defaultdict(int)
    for ns in index.values():
        if len(ns) <= COMMON_FINGERPRINT:
            for a, b in combinations(ns, 2):
                shared[(a, b)] += 1
    del index
    full = {}   # all shingles, only of the paragraphs that are candidates

    def shingles(n: int) -> set[int]:
        if n not in full:
            full[n] = _shingles(paras[n][0].text)
        return full[n]

    pairs = defaultdict(list)   # (doc a, doc b) -> [(paragraph a, paragraph b, similarity)]
    for (a, b), k in shared.items():
        (pa, ea, ya), (pb, eb, yb) = paras[a], paras[b]
        if k < 4 or pa.doc_id == pb.doc_id or not _different_reporting(ea, ya, eb, yb):
            continue
        sa, sb = shingles(a), shingles(b)
        inter = len(sa & sb)
        sim = max(inter / len(sa | sb), inter / min(len(sa), len(sb)))
        if sim >= COPY_SIMILARITY:
            if (ya or 0, pa.doc_id) > (yb or 0, pb.doc_id):
                a, b = b, a
            pairs[(paras[a][0].doc_id, paras[b][0].doc_id)].append((a, b, sim))
    holders = defaultdict(set)   # paragraph -> bodies that share it
    for matches in pairs.values():
        for a, b, _ in matches:
            holders[a] |= {paras[a][1], paras[b][1]}
            holders[b] |= {paras[a][1], paras[b][1]}
    out = []
    for (da, db), matches in pairs.items():
        (pa, ea, ya), (pb, eb, yb) = paras[matches[0][0]], paras[matches[0][1]]
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
    years = has(ya) and has(yb)
    return bool((ea and eb and ea != eb) or (years and ya != yb))


def _year(y) -> str:
    return f"{int(y)}年" if has(y) else ""


# === 5. plan against report ===================================================================
PLAN_MATCH = 0.6    # share of a heading's topic (IDF-weighted bigrams) found in one report item or paragraph
_NOT_TASK_RE = re.compile(r"指导思想|总体要求|工作目标|基本原则|保障措施|工作要求|组织领导|组织保障|工作步骤|实施步骤|"
                          r"时间安排|进度安排|责任分工$|附件")
_DONE_RE = re.compile(r"已|完成|建成|办结|实现|落实到位|完毕|出台|印发|上线|开通")
_PLAN_TITLE_RE = re.compile(r"印发.*(?:要点|方案|计划)")
_WORK_REPORT_RE = re.compile(r"总结|年度报告|工作报告|工作的报告|落实情况|完成情况|进展情况|工作情况")
_MATTER_REPORT_RE = re.compile(r"报送|报备|请示|申请|审查|初审|设立")   # a report on one matter, not on the year's work


def _is_work_report(title) -> bool:
    """A report on the year's work (a title saying so, or none: 现将有关情况汇报如下)."""
    if not isinstance(title, str) or not title:
        return True
    return bool(_WORK_REPORT_RE.search(title)) and not _MATTER_REPORT_RE.search(title)


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
    reports = docs[[d.doc_type in REPORT_TYPES and _is_work_report(d.title) for d in docs.itertuples()]]
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
            if any(x["score"] >= PLAN_MATCH for x in c):   # a report sharing no item is about something else
                findings += f
                coverage += c
    return findings, coverage


_GENERIC_WORDS_RE = re.compile(r"政府信息公开|政务公开|信息公开|政府信息|进一步|加强|推进|深化|做好|持续|不断|建立健全|"
                               r"建立|健全|完善|提高|着力|全面|切实|积极|工作|机制|领域|围绕|抓实|管好")


def topic(heading: str) -> set[str]:
    """The bigrams of a heading without the words every heading has (加强…信息公开)."""
    return bigrams(_GENERIC_WORDS_RE.sub(" ", heading).replace(" ", "")) or bigrams(heading)


def _report_units(rep_items, rep_paras) -> list[tuple[set, int, int, str]]:
    """What a plan item can be reported in: report items (heading and opening) and paragraphs."""
    units = []
    for it in (rep_items.itertuples() if rep_items is not None else []):
        units.append((bigrams(it.text[:300]), it.start, it.end, it.text))
    for p in (rep_paras.itertuples() if rep_paras is not None else []):
        units.append((bigrams(p.text), p.start, p.end, p.text))
    return units


def _cover(plan, rep, plan_items, rep_items, rep_paras, deadlines) -> tuple[list[dict], list[dict]]:
    units = _report_units(rep_items, rep_paras)
    df = defaultdict(int)
    for ub, *_ in units:
        for g in ub:
            df[g] += 1
    idf = lambda g: math.log((len(units) + 1) / (df.get(g, 0) + 1)) + 1   # 信息 公开: everywhere, light
    report_date = rep.date if isinstance(rep.date, str) else f"{int(rep.period_year)}-12-31"
    parents = set(int(x) for x in plan_items["parent_id"] if has(x))
    skip = set()
    findings, coverage = [], []
    for it in plan_items.itertuples():
        heading = (it.heading or "").strip()
        if (has(it.parent_id) and int(it.parent_id) in skip) or _NOT_TASK_RE.search(heading):
            skip.add(it.item_id)
            continue
        hb = topic(heading)
        if it.item_id in parents or not hb:
            continue
        weight = sum(idf(g) for g in hb)
        best, where = 0.0, None
        for ub, s, e, text in units:
            score = sum(idf(g) for g in hb & ub) / weight
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
                                    f"计划事项未见报告：“{heading}”（{plan.title if has(plan.title) else plan.doc_id}第{it.path}项）", [hspan]))
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
    rows += check_restated_metrics(t.metrics)
    rows += check_yoy(t, contexts)
    rows += check_shared_paragraphs(t)
    plan_rows, coverage = check_plan_vs_report(t)
    rows += plan_rows
    findings = pd.DataFrame(rows, columns=FINDING_COLUMNS).drop_duplicates("finding_id")
    findings["rank"] = findings["severity"].map({"error": 0, "warning": 1, "info": 2})
    findings = findings.sort_values(["doc_id", "rank", "check", "finding_id"]).drop(columns="rank")
    return findings.reset_index(drop=True).astype("string"), pd.DataFrame(coverage, columns=COVERAGE_COLUMNS)
