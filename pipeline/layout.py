"""Layout after GB/T 9704-2012: 版头 (发文机关标志, 发文字号, 签发人), 标题, 主送机关, 正文, 署名 and
成文日期, 附注, 版记 (抄送, 印发机关和印发日期), plus web-page chrome; then the outline tree and the
paragraphs. Works on documents that keep their line breaks and on crawled pages whose whole body
sits on one line (there the elements are found inside the line, by their shape).

`analyze(doc)` fills doc.zones, doc.doc_numbers, doc.meta, doc.items and doc.paragraphs.
"""
from __future__ import annotations

import re

from . import chrome
from .docnumbers import find_doc_numbers
from .document import Document
from .outline import find_items
from .records import Paragraph, Zone
from .titles import doc_type_of, issuer_from_title, is_title_like, period_year_of

_CN_NUM = "〇○零一二三四五六七八九十"
DATE_FULL = (r"(?:(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})[ \t]*年[ \t]*(?:\d{1,2}|[一二三四五六七八九十]{1,2})"
             r"[ \t]*月[ \t]*(?:\d{1,2}|[一二三四五六七八九十]{1,3})[ \t]*日")
ORG_SUFFIX = (r"(?:人民政府|政府|办公室|办公厅|委员会|管委会|管理委员会|管理局|局|厅|处|科|室|部|委|办|中心|站|所|院|"
              r"队|组|会|社区|街道办事处|街道|镇|乡|指挥部|小组|公司|集团|党委|党工委|工委|片区|分局|支队|大队)")
_SEAL = r"(?:[ \t]*\([^()\n]{1,24}代章\))?"
_RIGHT = r"(?=[ \t]*(?:\n|$|附件|来源|\(此件|\(本件|抄送|[ \t]))"
# A 成文日期 stands alone: after a line start, a sentence end or the signature's name, and before a
# line end, a space, 附件 or page chrome; "…印发" dates belong to the 版记. Glued text after the date
# ("…管理局 2021年5月31日屿头乡…方案") is allowed only when the name before it stands apart.
SIGNATURE_DATE_RE = re.compile(r"(?P<date>" + DATE_FULL + r")(?![ \t]*印发)(?P<free>" + _RIGHT + r")?")
_SEAL_END_RE = re.compile(r"\([^()\n]{1,30}代章\)[ \t]*$")
_NAME_RUN_RE = re.compile(r"[\u4e00-\u9fff()][\u4e00-\u9fff() \t]{1,70}$")
_NAME_ORG_END_RE = re.compile(ORG_SUFFIX + "$")
_NAME_STOP_RE = re.compile(r"名单|附件|附表|如下|的|等|通知|报告|意见|批复|方案|特此|此复")
PRINTED_RE = re.compile(r"(?P<date>" + DATE_FULL + r")[ \t]*印发")
_PRINTER_BEFORE_RE = re.compile(r"(?P<name>[\u4e00-\u9fff]{2,40})[ \t]*$")
COPY_TO_RE = re.compile(r"(?:^|(?<=\n)|(?<=[。 \t]))[ \t]*抄[ \t]*送[ \t]*:[^\n]*(?:\n[^\n:]{2,80}[。.]?(?=\n))*")
# 附件说明: "附件：1.…" after the body (the label only; the list itself is body, its items are items)
ATTACHMENT_NOTE_RE = re.compile(r"(?:(?<=\n)|(?<=[。 \t]))附[ \t]*件[ \t]*\d{0,2}[ \t]*:")
NOTE_RE = re.compile(r"\([ \t]*(?:此件|本件)[^()\n]{0,16}\)")
HEADER_ISSUER_RE = re.compile(r"^[ \t]*(?P<name>[\u4e00-\u9fff]{4,40}?)[ \t]*文[ \t]*件[ \t]*$", re.M)
SIGNER_RE = re.compile(r"签[ \t]*发[ \t]*人[ \t]*:[ \t]*(?P<name>[\u4e00-\u9fff·]{2,8}(?:[ \t、,][\u4e00-\u9fff]{2,4})*)")
ADDRESSEE_RE = re.compile(r"[ \t]*(?P<units>[^。:\n]{2,150}?(?:单位|局|政府|部门|委员会|办事处|处室|工作队|村|社区|中心|"
                          r"公司|集团|科室|站所|乡镇|街道|办|委|室|院|所|站|队|组))[ \t]*:")
SEPARATOR_RE = re.compile(r"^[\s━─—\-=_*·.…]+$")
_TITLE_SCAN_LINES = 25


def _iso(date_text: str) -> str | None:
    from .dates import parse_date
    r = parse_date(re.sub(r"\s+", "", date_text))
    return r[0] if r and r[1] == "day" else None


def _segments(doc: Document, chrome_spans) -> list[tuple[int, int]]:
    """Stretches of non-chrome text within lines, stripped of surrounding whitespace."""
    text, out = doc.text, []
    cuts = sorted(chrome_spans)
    pos, ci = 0, 0
    for line in text.split("\n"):
        ls, le = pos, pos + len(line)
        pos = le + 1
        s = ls
        while ci < len(cuts) and cuts[ci][1] <= ls:
            ci += 1
        j = ci
        while j < len(cuts) and cuts[j][0] < le:
            cs, ce = cuts[j][0], cuts[j][1]
            if cs > s:
                out.append((s, cs))
            s = max(s, ce)
            j += 1
        if s < le:
            out.append((s, le))
    stripped = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            stripped.append((s, e))
    return stripped


def analyze(doc: Document) -> None:
    text, folded, meta = doc.text, doc.folded, doc.meta
    zones: list[Zone] = []

    def add(kind, s, e):
        zones.append(Zone(kind, s, e, text[s:e]))

    # 1. chrome and crawler header lines
    spans = chrome.chrome_spans(folded)
    header_values = {}
    for s, e, key in spans:
        add("chrome", s, e)
        if key:
            m = chrome.HEADER_LINE_RE.match(folded, s, e)
            value = m.group("value").strip() if m else ""
            if value and key not in header_values:
                raw = m.group("value")
                header_values[key] = (value, m.start("value") + len(raw) - len(raw.lstrip()))
    for m in chrome.PUBLISHED_RE.finditer(folded):
        if any(s <= m.start() < e for s, e, _ in spans):
            meta.published_date = _iso(m.group("date"))
            if meta.published_date:
                break
    segments = _segments(doc, [(s, e) for s, e, _ in spans])

    # 2. document numbers everywhere; the own one is the first before the body that is not cited
    doc.doc_numbers = sorted(find_doc_numbers(folded, text), key=lambda d: d.start)

    # 3. header: 发文机关标志 "XXX文件", 签发人
    header_issuer = None
    for m in HEADER_ISSUER_RE.finditer(folded, 0, min(len(folded), 2000)):
        header_issuer = m.group("name").strip()
        add("header", m.start("name"), m.end())
        break
    m = SIGNER_RE.search(folded, 0, min(len(folded), 3000))
    if m:
        meta.signer = m.group("name").strip()
        add("signer", m.start(), m.end())

    # 4. titles (web title first, then titles in the body before the running text)
    web_title = header_values.get("标题") or header_values.get("题目")
    body_start = _find_titles(doc, segments, zones, web_title)

    # own 发文字号: before the body starts, not inside brackets (a citation)
    crawler_number = header_values.get("文号")
    for d in doc.doc_numbers:
        if d.start >= body_start:
            break
        before = folded[max(0, d.start - 1):d.start]
        if before in "(（[【《" and before:
            continue
        meta.doc_number = d
        add("doc_number", d.start, d.end)
        break
    if meta.doc_number is None and crawler_number:
        found = list(find_doc_numbers(crawler_number[0]))
        if found:
            d = found[0]
            s = crawler_number[1]
            meta.doc_number = type(d)(d.normalized, d.agency, d.year, d.serial, s + d.start, s + d.end,
                                      text[s + d.start:s + d.end])

    # 5. addressee right after the title
    m = ADDRESSEE_RE.match(folded, body_start)
    if m and "。" not in m.group("units") and not re.search(r"\d", m.group("units")):
        add("addressee", m.start("units"), m.end())
        body_start = m.end()

    # 6. signature and 成文日期, notes, 版记
    chrome_ranges = [(s, e) for s, e, _ in spans]
    signature = _find_signature(doc, body_start, chrome_ranges)
    if signature:
        name_span, seal_end, date_span = signature
        if name_span and name_span[0] is not None:
            meta.issuer = re.sub(r"\s+", "", text[name_span[0]:name_span[1]])
            add("signature", name_span[0], seal_end)
        add("date", *date_span)
        meta.date = _iso(text[date_span[0]:date_span[1]])
    for m in NOTE_RE.finditer(folded, body_start):
        add("note", m.start(), m.end())
    for m in ATTACHMENT_NOTE_RE.finditer(folded, body_start):
        add("attachment", m.start(), m.end())
    for m in PRINTED_RE.finditer(folded, body_start):
        meta.printed_date = meta.printed_date or _iso(m.group("date"))
        printer = _PRINTER_BEFORE_RE.search(folded, max(body_start, m.start() - 50), m.start())
        add("imprint", printer.start() if printer else m.start(), m.end())
    for m in COPY_TO_RE.finditer(folded, body_start):
        add("imprint", m.start(), m.end())
    _attachment_titles(doc, segments, zones)

    # 7. meta from the title
    if meta.title:
        meta.doc_type = doc_type_of(meta.title)
        meta.period_year = period_year_of(meta.title)
    if not meta.doc_type:
        meta.doc_type = _type_from_body(folded, body_start)
    meta.issuer = meta.issuer or header_issuer or (issuer_from_title(meta.title) if meta.title else None)
    if meta.period_year is None:
        year_source = meta.date or meta.published_date
        meta.period_year = int(year_source[:4]) if year_source else None

    zones.sort(key=lambda z: (z.start, z.end))
    doc.zones = zones
    regions = _body_regions(doc, body_start)
    doc.items = find_items(text, folded, regions)
    doc.paragraphs = _paragraphs(doc, regions)


def _find_signature(doc: Document, body_start: int, chrome_ranges):
    """The first stand-alone date after the body start, with the body's name before it when there
    is one: ((name_start, name_end) | None, seal_end, (date_start, date_end))."""
    folded = doc.folded
    lone = None
    for m in SIGNATURE_DATE_RE.finditer(folded, body_start):
        ds, de = m.span("date")
        if any(a <= ds < b for a, b in chrome_ranges) or not _iso(m.group("date")):
            continue
        name = _signature_name(folded, max(body_start, ds - 100), ds)
        if name and (m.group("free") is not None or name[2]):
            return (name[0], name[1]), name[3], (ds, de)
        before = folded[max(0, ds - 2):ds]
        if m.group("free") is not None and lone is None and (
                not before.strip() or before[-1] in "。；;!?！？" or before.endswith("\n")):
            lone = (None, ds, (ds, de))
    return lone


def _signature_name(folded: str, lo: int, date_start: int):
    """(start, end, stands_apart, seal_end) of the body's name right before a date, or None.

    The name is the longest run of whitespace-separated chunks that each end like a body's name
    (…管理局 森林防灭火指挥部办公室), after an optional （…代章） seal; "各国土所）" or "…名单" before it are
    not part of it."""
    end = date_start
    while end > lo and folded[end - 1] in " \t\n":
        end -= 1
    seal_end = end
    seal = _SEAL_END_RE.search(folded, lo, end)
    if seal:
        end = seal.start()
        while end > lo and folded[end - 1] in " \t":
            end -= 1
    run = _NAME_RUN_RE.search(folded, lo, end)
    if not run:
        return None
    chunks = [(c.start(), c.end()) for c in re.finditer(r"\S+", folded[run.start():end])]
    start = None
    for cs, ce in reversed(chunks):
        chunk = folded[run.start() + cs:run.start() + ce]
        stop = None
        for stop in _NAME_STOP_RE.finditer(chunk):
            pass
        if stop:
            chunk_start = cs + stop.end()
        else:
            chunk_start = cs
        if not _NAME_ORG_END_RE.search(chunk) or chunk.count("(") != chunk.count(")") or chunk_start >= ce:
            break
        start = run.start() + chunk_start
        if stop:
            break
    if start is None or not 2 <= end - start <= 60:
        return None
    apart = start == lo or folded[start - 1] in " \t\n。；;" and folded[end:date_start].strip() == "" and (
        end < date_start)
    return start, end, apart, seal_end


def _find_titles(doc: Document, segments, zones, web_title) -> int:
    """Mark title zones; set meta.title. Returns where the body starts."""
    text, folded, meta = doc.text, doc.folded, doc.meta
    titles: list[tuple[int, int]] = []
    body_start = None
    pending = None  # an agency-name line that may open a two-line title
    for s, e in segments[:_TITLE_SCAN_LINES]:
        seg = folded[s:e]
        if SEPARATOR_RE.match(seg) or HEADER_ISSUER_RE.match(seg) or _only_numbers_and_signer(doc, s, e):
            continue
        if web_title and web_title[0] in seg and len(seg) > len(web_title[0]) + 20:
            # flattened page: the title sits inside the body line, maybe after the 文号 and issuer
            ts = s + seg.index(web_title[0])
            titles.append((_title_lead(doc, s, ts), ts + len(web_title[0])))
            body_start = ts + len(web_title[0])
            break
        if is_title_like(seg):
            if pending and re.match(r"^(?:关于|于|印发|转发)", seg):
                titles.append((pending[0], e))   # "XX人民政府办公室" + "关于印发…的通知"
            else:
                titles.append((s, e))
            pending = None
            continue
        if _agency_line(seg):
            pending = (s, e)
            continue
        body_start = s
        break
    if body_start is None:  # nothing but titles (or nothing at all) in the scanned lines
        if titles:
            nxt = [s for s, e in segments if s >= titles[-1][1]]
            body_start = nxt[0] if nxt else titles[-1][1]
        else:
            body_start = segments[0][0] if segments else 0
    for s, e in titles:
        zones.append(Zone("title", s, e, text[s:e]))
    candidates = [_join_title(text[s:e]) for s, e in titles]
    if web_title:
        candidates.insert(0, web_title[0])
    if candidates:
        first = candidates[0]
        longer = [c for c in candidates[1:] if c.endswith(first) and len(c) > len(first)]
        meta.title = longer[0] if longer else first
        span = next(((s, e) for s, e in titles if _join_title(text[s:e]) == meta.title), None)
        meta.title_span = span
    return body_start


def _title_lead(doc: Document, seg_start: int, title_start: int) -> int:
    """Extend a title found inside a flattened line to the agency name glued before it."""
    own = [d for d in doc.doc_numbers if seg_start <= d.start < title_start]
    base = own[-1].end if own else seg_start
    gap = doc.folded[base:title_start]
    between = gap.strip()
    if between and len(between) <= 40 and not re.search(r"[。，,;；:]", between) and re.search(ORG_SUFFIX + "$", between):
        return base + len(gap) - len(gap.lstrip())
    return title_start


def _join_title(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _agency_line(seg: str) -> bool:
    return len(seg) <= 40 and bool(re.fullmatch(r"[\u4e00-\u9fff()]{2,40}", seg)) and bool(
        re.search(ORG_SUFFIX + "$", seg))


def _only_numbers_and_signer(doc: Document, s: int, e: int) -> bool:
    """A header line made of the 发文字号 and/or 签发人 only."""
    rest = doc.folded[s:e]
    for d in doc.doc_numbers:
        if s <= d.start and d.end <= e:
            rest = rest.replace(d.text if d.text in rest else doc.folded[d.start:d.end], " ")
    rest = SIGNER_RE.sub(" ", rest)
    return not rest.strip()


def _attachment_titles(doc: Document, segments, zones) -> None:
    """Title lines of attached documents (after the signature, e.g. 印发 notices)."""
    after = [z.end for z in zones if z.kind in ("date", "signature", "note")]
    if not after:
        return
    start = min(after)
    taken = [(z.start, z.end) for z in zones]
    for s, e in segments:
        if s < start or any(a <= s < b for a, b in taken):
            continue
        seg = doc.folded[s:e]
        if is_title_like(seg) and len(seg) <= 60:
            zones.append(Zone("title", s, e, doc.text[s:e]))
        elif len(seg) > 60 and zones:
            # flattened: "…2023年9月13日 2023年…考核实施细则 根据《…" : title up to the first space
            m = re.match(r"(?P<t>[^\s。，,:;]{6,60})\s", seg)
            if m and is_title_like(m.group("t")) and any(z.end <= s + 2 and z.end >= s - 2 for z in zones
                                                          if z.kind in ("date", "note")):
                zones.append(Zone("title", s, s + m.end("t"), doc.text[s:s + m.end("t")]))


_BODY_TYPE = [(r"现将[^。]{0,30}(?:报告|汇报)如下|特此报告", "报告"), (r"特此通知|现(?:将有关事项)?通知如下", "通知"),
              (r"特此通报", "通报"), (r"特此公告", "公告"), (r"特此批复|此复", "批复"), (r"特此函告|特此函复", "函")]


def _type_from_body(folded: str, body_start: int) -> str:
    head = folded[body_start:body_start + 400]
    whole = folded
    for pat, kind in _BODY_TYPE:
        if re.search(pat, head) or (kind != "报告" and re.search(pat, whole)):
            return kind
    return "其他"


def _body_regions(doc: Document, body_start: int) -> list[tuple[int, int]]:
    """Stretches of the text that are body: not chrome, header, title, signature, 版记 …"""
    blocked = sorted((z.start, z.end) for z in doc.zones if z.kind != "body")
    regions, pos = [], body_start
    n = len(doc.text)
    # text before the body start that is not blocked (e.g. page text above a title) is not body
    for s, e in blocked:
        if e <= pos:
            continue
        if s > pos:
            regions.append((pos, s))
        pos = max(pos, e)
    if pos < n:
        regions.append((pos, n))
    return [(s, e) for s, e in regions if doc.text[s:e].strip()]


def _paragraphs(doc: Document, regions) -> list[Paragraph]:
    """Lines of body text, split further at every item marker (crawled pages lose line breaks)."""
    text = doc.text
    cuts = sorted({it.start for it in doc.items})
    out: list[Paragraph] = []
    ci = 0
    for rs, re_ in regions:
        pos = rs
        for line in text[rs:re_].split("\n"):
            ls, le = pos, pos + len(line)
            pos = le + 1
            while ci < len(cuts) and cuts[ci] <= ls:
                ci += 1
            bounds = [ls]
            j = ci
            while j < len(cuts) and cuts[j] < le:
                bounds.append(cuts[j])
                j += 1
            bounds.append(le)
            for s, e in zip(bounds, bounds[1:]):
                while s < e and text[s].isspace():
                    s += 1
                while e > s and text[e - 1].isspace():
                    e -= 1
                if e > s and not SEPARATOR_RE.match(text[s:e]):
                    out.append(Paragraph(len(out), None, s, e, text[s:e]))
    for p in out:
        it = doc.item_at(p.start)
        p.item_id = it.item_id if it else None
    return out
