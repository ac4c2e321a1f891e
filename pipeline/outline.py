"""The outline tree: numbered items at every level (一、 （一） 1. （1） 1、 ① ⑴ ㈠ 第一条 …).

A marker is accepted at the start of a line, or inside a line (crawled pages keep no line breaks)
when the text before it ends a sentence or when it continues the numbering of its style. Levels
come from the order in which styles nest: a style seen before closes the deeper ones (sibling),
a new style opens a level (child). Skipped and repeated numbers are tolerated.
"""
from __future__ import annotations

import bisect
import re

from .records import Item
from .textnorm import small_cn_number

_CN = "[一二三四五六七八九十]{1,3}"
_MARKER_RE = re.compile(
    r"(?P<cn_dun>(?P<n1>" + _CN + r")[ \t]?[、.](?![一二三四五六七八九十\d][、级类月至到])" + r")"
    r"|(?P<cn_paren>\([ \t]?(?P<n2>" + _CN + r")[ \t]?\)[、.]?)"
    r"|(?P<di>第(?P<n3>" + _CN + r")(?P<di_kind>条|章|节|部分))"
    r"|(?P<ar_paren>\((?P<n4>\d{1,2})\)[、.]?)"
    r"|(?P<ar>(?<![\d.])(?P<n5>\d{1,2})[ \t]?(?P<ar_punct>[.、]))"
    r"|(?P<circled>[\u2460-\u2473])"        # ① … ⑳
    r"|(?P<paren_num>[\u2474-\u2487])"      # ⑴ … ⒇
    r"|(?P<cn_circled>[\u3220-\u3229])"     # ㈠ … ㈩
)
# What may stand right before an inline marker for it to start an item without further proof.
_SENTENCE_END = set("。；;:：!！?？)）」』\"”'’ \t\n") | {"\u3000"}
_MAX_NUMBER = 60


def _style_and_number(m: re.Match) -> tuple[str, int] | None:
    kind = m.lastgroup if m.lastgroup in {"circled", "paren_num", "cn_circled"} else None
    if m.group("cn_dun"):
        return "cn_dun", small_cn_number(m.group("n1"))
    if m.group("cn_paren"):
        return "cn_paren", small_cn_number(m.group("n2"))
    if m.group("di"):
        return "di_" + m.group("di_kind"), small_cn_number(m.group("n3"))
    if m.group("ar_paren"):
        return "ar_paren", int(m.group("n4"))
    if m.group("ar"):
        return ("ar_dot" if m.group("ar_punct") == "." else "ar_dun"), int(m.group("n5"))
    ch = m.group(kind) if kind else ""
    if kind == "circled":
        return "circled", ord(ch) - 0x2460 + 1
    if kind == "paren_num":
        return "paren_num", ord(ch) - 0x2474 + 1
    if kind == "cn_circled":
        return "cn_circled", ord(ch) - 0x3220 + 1
    return None


_HEADING_STOP_RE = re.compile(r"[。:：\n]")
_GLUE_WINDOW = 60
_MAX_HEADING = 200


# Nouns that end a short section heading (指导思想, 时间安排, 管控机制 …). In crawled pages a heading
# runs straight into its text ("一、指导思想以习近平…"); it is cut after such a noun.
_HEADING_NOUNS = (r"(?:思想|目标|原则|要求|安排|主题|时间|情况|思路|任务|措施|步骤|职责|分工|对象|形式|内容|机制|保障|重点|"
                  r"范围|方式|依据|背景|问题|方向|概述|成效|做法|经验|意义|流程|标准|地点|方法|程序|纪律|名单)")
_HEADING_NOUN_RE = re.compile(r"^.{2,6}?" + _HEADING_NOUNS + r"(?=.)")
_NOUN_THEN_NUMBER_RE = re.compile(r"^(.{0,8}?" + _HEADING_NOUNS + r")(?=\d)")
_LONG_LINE = 300


class _Lines:
    """Line bounds by binary search (a 9 MB one-line page must not cost a scan per marker)."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def bounds(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, pos) - 1
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)
        return self.starts[i], end

    def at_line_start(self, pos: int, floor: int = 0) -> bool:
        """Only whitespace between the start of pos's line (or `floor`) and pos."""
        start = max(self.bounds(pos)[0], floor)
        return pos - start <= 64 and not self.text[start:pos].strip()

    def is_long(self, pos: int) -> bool:
        start, end = self.bounds(pos)
        return end - start > _LONG_LINE


def _flat_heading(heading: str) -> str:
    """Where the source lost its line breaks: a heading ends at a space, or after a heading noun
    (时间安排, 管控机制 …) that runs straight into a number or into a long first clause."""
    m = re.search(r"\s|(?<=组)组\s*长|(?<=.)(?:成\s*员|职\s*责)\s*:", heading)
    if m and m.start() >= 2:
        heading = heading[:m.start()]
    m = _NOUN_THEN_NUMBER_RE.match(heading)
    if m:
        return m.group(1)
    first_clause = re.split(r"[，,、;；]", heading, maxsplit=1)[0]
    if len(first_clause) > 8:
        m = _HEADING_NOUN_RE.match(first_clause)
        if m:
            return heading[:m.end()]
    return heading


def _glued_to_heading(folded: str, parent: Item, pos: int) -> bool:
    """True when `pos` follows the previous item's marker closely with no sentence end between."""
    if pos - parent.start > _GLUE_WINDOW:
        return False
    gap = folded[parent.start:pos]
    return len(gap) <= _GLUE_WINDOW and not re.search(r"[。;；!?！？]", gap)


def _heading_end(folded: str, start: int, limit: int) -> int:
    """End of a heading: first 。 or ： (or :) or line end, within `limit`."""
    m = _HEADING_STOP_RE.search(folded, start, limit)
    return m.start() if m else limit


def find_items(text: str, folded: str, regions: list[tuple[int, int]]) -> list[Item]:
    """Numbered items inside the given (start, end) content regions, in document order."""
    lines = _Lines(folded)
    candidates = []  # (start, marker_end, style, number, at_line_start, digit_after)
    for rs, re_ in regions:
        for m in _MARKER_RE.finditer(folded, rs, re_):
            sn = _style_and_number(m)
            if not sn or sn[1] is None or not (1 <= sn[1] <= _MAX_NUMBER):
                continue
            style, number = sn
            s = m.start()
            at_line_start = lines.at_line_start(s, rs)
            after = folded[m.end():m.end() + 1]
            if not after or after in "\n" and not at_line_start:
                continue
            digit_after = bool(m.group("ar")) and folded[m.end():m.end() + 1].isdigit()
            candidates.append((s, m.end(), style, number, at_line_start, digit_after))

    items: list[Item] = []
    last_number: dict[str, int] = {}
    stack: list[str] = []          # styles from outermost to innermost
    open_items: list[Item] = []    # the last item at each stack level
    for s, e, style, number, at_line_start, digit_after in candidates:
        prev = folded[s - 1] if s > 0 else "\n"
        last = last_number.get(style)
        continues = last is not None and number == last + 1
        if digit_after:  # "3.50年以上…" is item 3 only inside a running list, else a decimal
            if not (continues and (prev in _SENTENCE_END or at_line_start)):
                continue
        elif not at_line_start and number == 1 and style not in stack and items and _glued_to_heading(
                folded, items[-1], s):
            pass  # "（一）坛南湾景区路段1.管制点设置": a first child glued to its parent's heading
        elif not at_line_start:
            sentence_end = prev in _SENTENCE_END
            if style in ("circled", "paren_num", "cn_circled"):
                ok = continues or number == 1
            elif style in ("cn_paren", "ar_paren"):
                ok = continues or (number == 1 and style not in stack) or (sentence_end and last is not None
                                                                          and last < number <= last + 2)
            else:
                ok = (continues and not (style.startswith("ar") and prev.isdigit())) or (sentence_end and (
                    number == 1 or (last is not None and last < number <= last + 2)))
            if not ok:
                continue
        if style in stack:
            del stack[stack.index(style) + 1:]
            del open_items[len(stack):]
        else:
            stack.append(style)
        level = len(stack)
        parent = open_items[level - 2] if level >= 2 and len(open_items) >= level - 1 else None
        path = (parent.path + "." if parent else "") + str(number)
        item = Item(item_id=len(items), parent_id=parent.item_id if parent else None, level=level,
                    marker=text[s:e], number=number, path=path, heading="", start=s, end=e, text="",
                    style=style)
        if len(open_items) >= level:
            open_items[level - 1] = item
        else:
            open_items.append(item)
        items.append(item)
        last_number[style] = number
    _close_items(items, text, folded, regions, lines)
    return items


def _close_items(items: list[Item], text: str, folded: str, regions: list[tuple[int, int]], lines: _Lines) -> None:
    """Set each item's end (next item of same or higher level, or its region's end) and heading."""
    region_end = {}
    for it in items:
        region_end[it.item_id] = next((e for s, e in regions if s <= it.start < e), len(text))
    for i, it in enumerate(items):
        end = region_end[it.item_id]
        next_start = end
        for j in range(i + 1, len(items)):
            later = items[j]
            if later.start >= end:
                break
            if later.level <= it.level:
                end = later.start
                break
        if i + 1 < len(items):
            next_start = min(end, items[i + 1].start)
        while end > it.start and text[end - 1].isspace():
            end -= 1
        body_start = it.start + len(it.marker)
        limit = min(next_start, end) if next_start > body_start else end
        h_end = _heading_end(folded, body_start, min(limit, body_start + _MAX_HEADING))
        heading = text[body_start:h_end].strip()
        if lines.is_long(it.start):
            heading = _flat_heading(heading)
        it.heading = heading
        it.end = max(end, body_start)
        it.text = text[it.start:it.end]
