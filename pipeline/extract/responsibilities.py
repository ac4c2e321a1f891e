"""Who is responsible for a task item: 责任单位/牵头单位/配合单位/责任部门 … one row per unit.

Forms handled: labelled lists "（责任单位：A、B）", "牵头单位：A；配合单位：B" (in brackets, after the
item, or on lines of their own), inline "（A牵头，B、C配合）", "（A负责）", "（A、B按职责分工负责）",
and task-division tables flattened into a line, where unit names may be glued together
(区经济发展局区行政审批局区直各有关单位) and are split at the seam of two unit names.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..document import Document
from ..records import Responsibility

ROLE_OF_LABEL = {"牵头": "lead", "配合": "support", "协办": "support", "协助": "support", "参与": "support",
                 "参加": "support",
                 "责任": "responsible", "主办": "responsible", "承办": "responsible", "实施": "responsible"}
_LABEL_RE = re.compile(
    r"(?P<label>(?:牵头|配合|协办|协助|参与|参加|主办|承办|实施)(?:单位|部门|处室|科室)|"
    r"配合[(（]责任[)）]单位|责任(?:单位|部门|主体|处室|科室|股室|领导单位))\s*[:：]\s*")
# Inline forms inside brackets.
_LEAD_SUPPORT_RE = re.compile(r"(?P<lead>[^()（）:：。；;]{2,80}?)(?:牵头|牵头负责|为牵头单位)"
                              r"(?:[，,、;；]\s*(?P<sup>[^()（）:：。；;]{2,120}?)(?:配合|协助|参与|协同)(?:落实|完成|实施)?)?$")
_RESPONSIBLE_RE = re.compile(r"(?P<units>[^()（）:：。；;，,]{2,80}?)(?:按职责分工)?(?:分别|共同|具体)?负责(?:落实)?$")
_UNIT_END = (r"(?:人民政府|政府|办公室|办|局|委|部|中心|处|室|科|股|院|所|站|队|组|会|集团|公司|分局|支队|大队|片区|"
             r"街道|乡镇|镇|乡|村|社区|单位|部门|服务站|工作队|指挥部|党委|党工委|工委|(?:\(|（)[^()（）]{1,6}(?:\)|）))")
_UNIT_END_RE = re.compile(_UNIT_END + "$")
_UNIT_START = r"(?:区|县|市|镇|乡|省|各|其他|全|有关|相关|街道|片区)"
_SPLIT_RE = re.compile(r"[、，,;；/]+|\s+")
_CATCH_ALL_RE = re.compile(r"^(?:各|其他|其它|全|所有|相关|有关)|各有关|有关单位|相关单位|各相关|等$")
_MAX_VALUE = 160


def extract(doc: Document) -> Iterator[Responsibility]:
    seen: set[tuple[int, int, str]] = set()
    for r in _labelled(doc):
        if (r.start, r.end, r.role) not in seen:
            seen.add((r.start, r.end, r.role))
            yield r
    for r in _inline(doc):
        if (r.start, r.end, r.role) not in seen:
            seen.add((r.start, r.end, r.role))
            yield r
    for r in _table_cells(doc):
        if not any(a < r.end and r.start < b for a, b, _ in seen):
            seen.add((r.start, r.end, r.role))
            yield r


# Column headers of task-division tables flattened into a line: "工作任务 牵头单位 配合（责任）单位 工作要求".
_COLUMN_RE = re.compile(r"(?<!\S)(?P<label>[\u4e00-\u9fff]{0,8}?(?:牵\s?头|配\s?合|责\s?任|协\s?办)(?:[(（][^()（）\s]{1,4}[)）])?"
                        r"[\u4e00-\u9fff]{0,2}?[(（]?(?:单\s?位|部\s?门|处\s?室|科\s?室|处)[)）]?)(?=\s)")
_HEADER_WORDS_RE = re.compile(r"任\s?务|要\s?求|时\s?限|序\s?号|事\s?项|内\s?容")


def _table_cells(doc: Document) -> Iterator[Responsibility]:
    """Unit cells of flattened task tables: cells of each numbered row that are unit lists take the
    role of the header's unit columns, in order."""
    folded = doc.folded
    for header in _table_headers(folded):
        columns, start, end = header
        for i, it in enumerate(doc.items):
            if not (start <= it.start < end):
                continue
            body_start = it.start + len(it.marker)
            row_end = doc.items[i + 1].start if i + 1 < len(doc.items) else it.end
            # cells are whitespace-separated; a bracketed part "（政策法规处）" belongs to the cell before
            cells = [(m.start(), m.end()) for m in re.finditer(r"\S+(?:\s+[(（][^()（）\s]{1,12}[)）])?",
                                                               folded[body_start:min(it.end, row_end)])][1:]
            k = 0
            for cs, ce in cells:
                if k >= len(columns):
                    break
                cell = folded[body_start + cs:body_start + ce]
                if re.search(r"牵头|配合|负责", cell):
                    k += 1      # an inline "A牵头，B配合" cell, read by _inline
                    continue
                if _looks_like_units(cell):
                    role, label = columns[k]
                    yield from _units(doc, body_start + cs, body_start + ce, role, label, anchor=it.start)
                    k += 1


def _table_headers(folded: str) -> Iterator[tuple[list[tuple[str, str]], int, int]]:
    """(unit columns as (role, label), table start, table end) for each header row found."""
    matches = list(_COLUMN_RE.finditer(folded))
    i = 0
    while i < len(matches):
        group = [matches[i]]
        while i + 1 < len(matches) and matches[i + 1].start() - group[-1].end() < 30:
            i += 1
            group.append(matches[i])
        i += 1
        around = folded[max(0, group[0].start() - 30):group[-1].end() + 30]
        if not _HEADER_WORDS_RE.search(around):
            continue
        columns = []
        for m in group:
            label = re.sub(r"\s", "", m.group("label"))
            columns.append((_role(label.split("（")[0].split("(")[0][-4:]) if "牵头" not in label else "lead", label))
        line_end = folded.find("\n", group[-1].end())
        end = len(folded) if line_end < 0 else line_end
        nxt = next((m.start() for m in matches if m.start() > group[-1].end() + 30), end)
        yield columns, group[-1].end(), min(end, nxt)


def _labelled(doc: Document) -> Iterator[Responsibility]:
    folded = doc.folded
    item_starts = sorted(it.start for it in doc.items)
    for m in _LABEL_RE.finditer(folded):
        label = doc.text[m.start("label"):m.end("label")]
        role = _role(label)
        end = _value_end(doc, m.end(), item_starts)
        yield from _units(doc, m.end(), end, role, label, anchor=m.start())


def _value_end(doc: Document, start: int, item_starts: list[int]) -> int:
    """The labelled list ends at a closing bracket of depth 0, 。, a line end, the next label or item."""
    folded, depth = doc.folded, 0
    limit = min(len(folded), start + _MAX_VALUE)
    nxt = _LABEL_RE.search(folded, start, limit)
    if nxt:
        limit = nxt.start()
    for s in item_starts:
        if start < s < limit:
            limit = s
            break
    for i in range(start, limit):
        c = folded[i]
        if c in "(（":
            depth += 1
        elif c in ")）":
            if depth == 0:
                return i
            depth -= 1
        elif c in "。\n" or (c in ";；" and depth == 0):
            return i
    return limit


def _inline(doc: Document) -> Iterator[Responsibility]:
    """(A牵头，B配合) and (A负责) at depth-0 brackets, and 'A牵头，B配合落实' cells of flattened tables."""
    folded = doc.folded
    for m in re.finditer(r"[(（](?P<body>[^()（）\n]{2,200})[)）]", folded):
        body_start = m.start("body")
        body = m.group("body")
        if _LABEL_RE.search(body):
            continue
        lm = _LEAD_SUPPORT_RE.search(body)
        if lm:
            yield from _units(doc, body_start + lm.start("lead"), body_start + lm.end("lead"), "lead", "牵头",
                              anchor=m.start())
            if lm.group("sup"):
                yield from _units(doc, body_start + lm.start("sup"), body_start + lm.end("sup"), "support",
                                  "配合", anchor=m.start())
            continue
        rm = _RESPONSIBLE_RE.fullmatch(body)
        if rm and _looks_like_units(rm.group("units")):
            yield from _units(doc, body_start + rm.start("units"), body_start + rm.end("units"), "responsible",
                              "负责", anchor=m.start())
    # flattened task tables: "… 综合处牵头，各处、单位配合落实 …" standing between spaces
    for m in re.finditer(r"(?:(?<=\s)|^)(?P<lead>[^\s()（）:：。；;，,]{2,30})牵头(?:落实)?"
                         r"(?:[，,]\s*(?P<sup>[^\s()（）:：。；;]{2,60}?)(?:配合|协助)(?:落实|完成)?)?(?=\s|$)", folded):
        if not _looks_like_units(m.group("lead")):
            continue
        yield from _units(doc, m.start("lead"), m.end("lead"), "lead", "牵头", anchor=m.start())
        if m.group("sup"):
            yield from _units(doc, m.start("sup"), m.end("sup"), "support", "配合", anchor=m.start())


def _role(label: str) -> str:
    for key, role in ROLE_OF_LABEL.items():
        if label.startswith(key):
            return role
    return "responsible"


def _looks_like_units(s: str) -> bool:
    parts = [p for p in _SPLIT_RE.split(s) if p]
    return bool(parts) and all(_UNIT_END_RE.search(p) or _CATCH_ALL_RE.search(p) for p in parts) and not re.search(
        r"\d", s)


def _units(doc: Document, start: int, end: int, role: str, label: str, anchor: int) -> Iterator[Responsibility]:
    item = doc.item_at(anchor)
    for s, e in _split_units(doc.folded, start, end):
        unit = doc.text[s:e]
        if not _valid_unit(doc.folded[s:e]):
            continue
        yield Responsibility(item_id=item.item_id if item else None, item_number=item.number if item else None,
                             role=role, role_text=label, unit=unit, catch_all=bool(_CATCH_ALL_RE.search(unit)),
                             start=s, end=e, text=unit)


def _split_units(folded: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split a unit list at separators outside brackets, then at seams of glued names."""
    depth, s = 0, start
    pieces = []
    for i in range(start, end):
        c = folded[i]
        if c in "(（":
            depth += 1
        elif c in ")）":
            depth = max(0, depth - 1)
        elif depth == 0 and c in "、，,;；/ \t":
            pieces.append((s, i))
            s = i + 1
    pieces.append((s, end))
    for ps, pe in pieces:
        while ps < pe and folded[ps] in " \t等":
            ps += 1
        while pe > ps and folded[pe - 1] in " \t等。.":
            pe -= 1
        if pe > ps:
            yield from _unglue(folded, ps, pe)


def _unglue(folded: str, s: int, e: int) -> Iterator[tuple[int, int]]:
    """区委宣传部区大数据管理中心 -> 区委宣传部 | 区大数据管理中心 (split where a unit name ends and
    another one visibly starts)."""
    if e - s < 8:
        yield s, e
        return
    token = folded[s:e]
    for i in range(3, len(token) - 2):
        head, tail = token[:i], token[i:]
        if _UNIT_END_RE.search(head) and re.match(_UNIT_START, tail) and not re.match(r"[)）]", tail):
            if len(tail) >= 3 and not head.endswith(("各", "有关", "相关")):
                yield s, s + i
                yield from _unglue(folded, s + i, e)
                return
    yield s, e


def _valid_unit(u: str) -> bool:
    return 2 <= len(u) <= 30 and not re.search(r"[\d:：。]", u) and u not in ("牵头", "配合", "负责", "落实")
