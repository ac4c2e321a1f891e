"""Quantities field: reported figures, a number with its measure word (SCHEMA.md ``quantities``).

Numerals are found and valued by `pipeline.numbers`; this module decides which of them report a
figure: a measure word must follow (条 项 件 次 个 户 人 人次 ... 万元 %), and the numeral must be
none of: a date or duration (no 年 月 日 天 in the unit list; 3个月 and 3个工作日 are cut by the
unit's `not_before`), a 发文字号, an outline marker, an ordinal (第6版, 第一个), a phase or
session (安置房三期, 人大五次会议), a name or slogan (六稳, 一部手机办事通, 12345热线, anything in
a short quotation), an article (是一项重要工作), a model code (DN400) or glued table digits.
A range (2-3个) is one figure, its lower bound. The lexicons are data: ``resources/quantities.json``.

Value and unit: 1284万元 is 1284 万元 (a unit may start with 万/亿/千), 3.5万人 is 35000 人 (the 万
multiplies), 百分之十五 is 15 %. Regexes run on `doc.folded`; offsets and `text` are those of
`doc.text` (folding is one for one).
"""
from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from ..document import Document
from ..numbers import compile_alternation, find_numerals, numeral_regex, parse_number
from ..records import Quantity

_RESOURCE = Path(__file__).resolve().parents[1] / "resources" / "quantities.json"

_MULTIPLIERS = "十百千万亿萬億"
# A clause (for 共 ... totals and for subjects) runs back to the last of these, at most 60
# characters; its tail after a unit (for articles) runs on at most 16.
_CLAUSE_TAIL_RE = re.compile(r"[^,.;:!?。\n、()\"“”《》【】\[\]]{0,16}")
_CLAUSE_START_RE = re.compile(r"[^,.;:!?。\n、()\"“”《》【】\[\]]{0,60}$")
_SPACE = r"[ \t]{0,2}"


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    """Lexicons and the regexes built from them, compiled once on first use."""
    lex = json.loads(_RESOURCE.read_text(encoding="utf-8"))

    def alternation(words) -> str:
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    lex["unit_re"] = re.compile(rf"(?:{alternation(lex['units'])})")
    lex["not_before_re"] = {u: re.compile(rf"(?:{rx})") for u, rx in lex["not_before"].items()}
    lex["between_re"] = re.compile(rf"{_SPACE}(?P<approx>{alternation(lex['approx_between'])})?{_SPACE}")
    lex["after_re"] = re.compile(rf"{_SPACE}(?P<approx>{alternation(lex['approx_after'])})")
    lex["before_re"] = re.compile(
        rf"(?P<total>{alternation(lex['total_words'])})?{_SPACE}(?P<approx>{alternation(lex['approx_before'])})?{_SPACE}$")
    lex["total_not_re"] = re.compile(rf"(?:{lex['total_not']})")
    lex["total_re"] = re.compile(rf"(?:{lex['total_not']})|(?P<total>{alternation(lex['total_words'])})")
    # Names are listed, and one shape is general: numeral, character, numeral, character that is
    # no measure word (一村一品, 三审三校, 四门四访, 一户一审; not 两户三人).
    cn = "一二两三四五六七八九十"
    shape = rf"[{cn}][\u4e00-\u9fff][{cn}](?!{lex['unit_re'].pattern})[\u4e00-\u9fff]"
    quotes = [rf"{re.escape(o)}[^{re.escape(o + c)}\n]{{1,{lex['quote_max']}}}{re.escape(c)}" for o, c in lex["quote_pairs"]]
    lex["names_re"] = compile_alternation(lex["names"] + [shape] + quotes)
    lex["article_re"] = re.compile(rf"(?:{lex['article_before']})$")
    lex["verbs_re"] = re.compile(rf"(?:{alternation(lex['subject_verbs'])})")
    lex["trailing_re"] = re.compile(rf"(?:{alternation(lex['subject_trailing'])})+$")
    lex["stops_re"] = re.compile(rf"(?:{lex['subject_stops']})")
    return lex


def extract(doc: Document) -> Iterator[Quantity]:
    """Yield one Quantity per reported figure of `doc`, in text order.

    >>> doc = Document("截止到2021年底我镇现有低保户517户721人，开展培训50余人次，合计410 项。"
    ...                "争取1284万元，增长81.01%，3个工作日内办结，第6版，“六稳”“六保”。")
    >>> [(q.value, q.unit, q.approx, q.is_total, q.text) for q in extract(doc)]  # doctest: +NORMALIZE_WHITESPACE
    [(517.0, '户', None, False, '517户'), (721.0, '人', None, False, '721人'),
     (50.0, '人次', '余', False, '50余人次'), (410.0, '项', None, True, '合计410 项'),
     (1284.0, '万元', None, False, '1284万元'), (81.01, '%', None, False, '81.01%')]
    """
    lex = _lexicon()
    folded = doc.folded
    blocked = _Spans([m.span() for m in lex["names_re"].finditer(folded)]
                     + [(it.start, it.start + len(it.marker)) for it in doc.items])
    last: Quantity | None = None
    for start, end, _ in find_numerals(folded):
        if start in blocked or doc.in_doc_number(start, end):
            continue
        q = _quantity(doc, lex, start, end, last)
        if q is not None:
            last = q
            yield q


class _Spans:
    """Merged [start, end) spans with a fast membership test for a position."""

    def __init__(self, spans) -> None:
        self.starts, self.ends = [], []
        for a, b in sorted(spans):
            if self.ends and a <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], b)
            else:
                self.starts.append(a)
                self.ends.append(b)

    def __contains__(self, pos: int) -> bool:
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and pos < self.ends[i]


def _quantity(doc: Document, lex: dict, start: int, end: int, last: Quantity | None) -> Quantity | None:
    folded = doc.folded
    if _not_a_figure(folded, start, end):
        return None
    numeral = folded[start:end]
    found = _measure(doc, lex, start, end)
    if found is None:
        return None
    unit, num_end, unit_end, approx, value = found
    if numeral == "一" and _article(folded, lex, start, unit, unit_end):
        return None
    if not numeral[0].isdigit() and _phase(folded, lex, start, unit):
        return None
    arabic = _ARABIC_NUMERAL_RE.fullmatch(numeral) is not None
    if unit in lex["arabic_only_units"] and (not arabic or _CLOCK_RE.search(folded, max(0, start - 2), start)):
        return None  # 24分 is a score; 三分, 10时30分 are not
    approx = approx or next((c for c in lex["approx_between"] if c in folded[start:num_end]), None)
    after = lex["after_re"].match(folded, unit_end)
    span_end = after.end() if after else unit_end
    approx = approx or (after.group("approx") if after else None)
    before = lex["before_re"].search(folded[max(0, start - 8):start])
    span_start = start - len(before.group()) if before and before.group().strip() else start
    if before and before.group("approx"):
        approx = approx or before.group("approx")
    direct_total = bool(before and before.group("total")) and not lex["total_not_re"].search(
        folded, max(0, start - len(before.group()) - 1), start)  # 公共3个: no total
    if before and before.group("total") and not direct_total:
        span_start = start
    is_total = direct_total or _clause_total(folded, lex, start)
    subject = _subject(folded, lex, span_start, span_end, last)
    item = doc.item_at(start)
    para = doc.paragraph_at(start)
    return Quantity(value=value, unit=unit, approx=approx, is_total=is_total, subject=subject,
                    start=span_start, end=span_end, text=doc.text[span_start:span_end],
                    item_id=item.item_id if item else None, paragraph_id=para.paragraph_id if para else None)


# Numerals that cannot report a figure, by what stands around them (folded text).
_CODE_RE = re.compile(r"[A-Za-z#№]\s?$")                     # DN400, No.3: a model or serial code
_ORDINAL_RE = re.compile(r"[第届]\s?$|第[\d零〇○一二两三四五六七八九十百]+\s?[、,和及至到-]\s?$")
_ORDINAL_LIST_RE = re.compile(r"[一二两三四五六七八九十]、$")       # 一、二期
_RANGE_TAIL_RE = re.compile(r"[\d〇○零一二两三四五六七八九十]\s?[-~～至到]\s?$")
_RANGE_HEAD_RE = re.compile(r"\s?/\s?\d")
_RANGE_JOIN_RE = re.compile(r"\s?[-~～至到]\s?")
_RANK_RE = re.compile(r"(?:前|后|排名|位列|位居)\s?$")
_ZERO_LED_RE = re.compile(r"0\d{2,}$")
_CLOCK_RE = re.compile(r"[时点:]\s?$")
_ARABIC_NUMERAL_RE = re.compile(r"[\d.,]+")
_PERCENT_WORD_RE = re.compile(r"[负負]?[百千万萬]+分之")
_LATIN_RE = re.compile(r"[A-Za-z]")


def _measure(doc: Document, lex: dict, start: int, end: int):
    """(unit, numeral end, unit end, approx, value) of a numeral that a measure word follows.

    A range (2-3个, 三至五个) is one figure: the lower bound, its approx the range as written.
    """
    folded = doc.folded
    numeral = folded[start:end]
    if _PERCENT_WORD_RE.match(numeral):  # 百分之十五: the percent sign is in the numeral
        value = parse_number(numeral)
        return None if value is None else ("%", end, end, None, value)
    join = _RANGE_JOIN_RE.match(folded, end)
    upper = join and numeral_regex().match(folded, join.end())
    if join and not upper:
        return None
    if upper:
        found = _unit_after(folded, lex, upper.start(), upper.end())
        if found is None or parse_number(folded[upper.start():found[1]]) is None:
            return None  # 2020-2022年, 0591-23165370: no measure word, no figure
        unit, num_end, unit_end, approx = found
        scale = re.search(f"[{_MULTIPLIERS}]*$", folded[upper.start():num_end]).group()
        value = parse_number(numeral + scale) if not numeral.endswith(scale) else parse_number(numeral)
        return None if value is None else (unit, num_end, unit_end, doc.text[start:num_end], value)
    found = _unit_after(folded, lex, start, end)
    if found is None:
        return None
    unit, num_end, unit_end, approx = found
    value = parse_number(folded[start:num_end])
    return None if value is None else (unit, num_end, unit_end, approx, value)


def _not_a_figure(folded: str, start: int, end: int) -> bool:
    """Ordinals, codes, ranges, phone numbers: numerals that cannot report a figure."""
    head = folded[max(0, start - 12):start]
    return bool(
        _CODE_RE.search(head)
        or _ORDINAL_RE.search(head)                                   # 第6版, 第一、二批, 十六届四次会议
        or (_ORDINAL_LIST_RE.search(head) and not folded[start].isdigit())
        or _RANGE_TAIL_RE.search(head)             # the upper end of 3-5个 (taken with the lower one)
        or _RANGE_HEAD_RE.match(folded, end)       # 1/2, 32/2020: a fraction or a bill number
        or (_RANK_RE.search(head) and folded[end:end + 1] in ("名", "位"))  # 前3名: a rank
        or _ZERO_LED_RE.match(folded[start:end]))  # 0591, 010: area codes, zero-led serials


def _unit_after(folded: str, lex: dict, start: int, end: int):
    """(unit, numeral end, unit end, approx) of the measure word after the numeral, or None.

    A numeral ending in 万/亿/千 may give that character to the unit: 1284万元 is 1284 万元 and
    5千克 is 5 千克, while 3.5万人 stays 35000 人 (the 万 multiplies when no unit starts with it).
    """
    k = 0
    while k < end - start - 1 and folded[end - k - 1] in _MULTIPLIERS:
        k += 1
    for cut in range(k, 0, -1):
        m = lex["unit_re"].match(folded, end - cut)
        if m and m.end() - (end - cut) > cut and parse_number(folded[start:end - cut]) is not None:
            if _unit_ok(folded, lex, m):
                return m.group(), end - cut, m.end(), None
    between = lex["between_re"].match(folded, end)
    m = lex["unit_re"].match(folded, between.end())
    if m is None or not _unit_ok(folded, lex, m):
        return None
    return m.group(), end, m.end(), between.group("approx")


def _article(folded: str, lex: dict, start: int, unit: str, unit_end: int) -> bool:
    """一 + measure word used as an article, not a count: 是一项重要工作, 走出一条…的路子, 一个个."""
    if lex["article_re"].search(folded, max(0, start - 2), start):
        return True
    if folded.startswith(unit, unit_end):  # 一个个村庄, 一座座新城
        return True
    return "的" in _CLAUSE_TAIL_RE.match(folded, unit_end).group()  # 交出一份人民满意的答卷


def _phase(folded: str, lex: dict, start: int, unit: str) -> bool:
    """A Chinese numeral naming a phase or a session: 安置房三期, 十三届全国人大五次会议."""
    head = folded[max(0, start - 8):start]
    if unit in lex["count_before"]:
        return not re.search(rf"(?:{lex['count_before'][unit]})$", head)
    return unit in lex["phase_before"] and bool(re.search(rf"(?:{lex['phase_before'][unit]})$", head))


def _unit_ok(folded: str, lex: dict, m: re.Match) -> bool:
    rx = lex["not_before_re"].get(m.group())
    if rx is not None and rx.match(folded, m.end()):
        return False
    return not _LATIN_RE.match(folded, m.end())  # 5G, 4A级: a code


def _clause_total(folded: str, lex: dict, start: int) -> bool:
    """共 / 共计 earlier in the clause announces the first figure after it: 共办理残疾证50多人次."""
    clause = _CLAUSE_START_RE.search(folded, max(0, start - 60), start).group()
    totals = [m for m in lex["total_re"].finditer(clause) if m.group("total")]
    if not totals:
        return False
    between = clause[totals[-1].end():]
    return not (numeral_regex().search(between) and any(True for _ in find_numerals(between)))


def _subject(folded: str, lex: dict, span_start: int, span_end: int, last: Quantity | None) -> str | None:
    """What was counted, best effort: the noun phrase after the unit, else the one before."""
    after = re.match(r"[\u4e00-\u9fff]{2,}", folded[span_end:span_end + 16])
    if after and not lex["stops_re"].match(after.group()):
        phrase = lex["trailing_re"].sub("", lex["stops_re"].split(after.group(), maxsplit=1)[0])
        if phrase:
            return phrase[:12]
    clause_start = _CLAUSE_START_RE.search(folded, max(0, span_start - 60), span_start).start()
    if last is not None and clause_start <= last.end and not folded[last.end:span_start].strip():
        return last.subject  # 517户721人: the second figure counts the same thing
    clause = re.sub(r"\s+", "", folded[clause_start:span_start])
    verb = lex["verbs_re"].search(clause)
    phrase = clause[verb.end():] if verb and verb.end() < len(clause) else clause
    phrase = re.sub(r"^.*?\d{4}年(?:度|底|以来)?", "", phrase)  # 2021年我镇 -> 我镇
    phrase = lex["trailing_re"].sub("", re.sub(r"^[^\u4e00-\u9fff]+|^[的等和及与]+", "", phrase))
    return phrase[-12:] or None
