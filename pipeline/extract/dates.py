"""Dates field: absolute dates and deadlines of a document (SCHEMA.md ``dates``).

Finding and normalizing live in `pipeline.dates`; this module only adds what needs the document:
the year of year-less dates, the 发文字号 to skip, ranges, and the item / paragraph a date is in.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..dates import date_kind, find_dates, parse_date
from ..document import Document
from ..records import DateMention

# Range tails and lists that share the month of the date before them: 5月7日至13日, 12月8日、18日.
_SAME_MONTH_TAIL_RE = re.compile(r"\s?(?:[-~至到、,]|和|及|与)\s?(?P<day>\d{1,2})\s?[日号](?![内])")
_CONNECTOR_RE = re.compile(r"(?:\((?:星期|周)[一二三四五六日天]\))?\s?(?:[-~至到、,]|和|及|与)\s?")
_RANGE = {"-", "~", "至", "到"}


def document_year(doc: Document) -> int | None:
    """The year year-less dates take: the document's period_year, else the year of its date."""
    if doc.meta.period_year:
        return int(doc.meta.period_year)
    if doc.meta.date and doc.meta.date[:4].isdigit():
        return int(doc.meta.date[:4])
    return None


def extract(doc: Document) -> Iterator[DateMention]:
    """Yield one DateMention per date expression of `doc`, in text order.

    >>> doc = Document("要求2020年9月底前完成，11月15日前报送，截止到2021年底。")
    >>> doc.meta.period_year = 2020
    >>> [(d.text, d.date, d.precision, d.kind) for d in extract(doc)]  # doctest: +NORMALIZE_WHITESPACE
    [('2020年9月底前', '2020-09-30', 'month_end', 'deadline'),
     ('11月15日前', '2020-11-15', 'day', 'deadline'),
     ('截止到2021年底', '2021-12-31', 'year_end', 'since')]
    """
    ref_year = document_year(doc)
    folded = doc.folded
    prev = None  # (end, year, month) of the last date, for ranges like 2020年12月29日-1月6日
    for m in find_dates(folded):
        start, end = m.span()
        if doc.in_doc_number(start, end):
            continue
        parsed = parse_date(m.group(), ref_year)
        if prev and not m.group("year") and not m.group("num"):
            parsed = _range_tail(m.group(), folded[prev[0]:start], prev) or parsed
        if parsed is None or parsed[1] == "year":
            continue
        iso, precision = parsed
        yield _mention(doc, iso, precision, date_kind(m.group()), start, end)
        prev = (end, int(iso[:4]), int(iso[5:7]))
        if precision == "day":
            yield from _same_month_tails(doc, end, prev)


def _range_tail(expr: str, between: str, prev: tuple[int, int, int]) -> tuple[str, str] | None:
    """The second half of 2021年6月6日至6月8日 shares the first half's year, not the document's;
    a range that runs back in the calendar (2020年12月29日至1月6日) ends in the next year."""
    connector = _CONNECTOR_RE.fullmatch(between)
    if connector is None:
        return None
    _, year, month = prev
    parsed = parse_date(expr, year)
    if parsed and connector.group().strip()[-1:] in _RANGE and parsed[0][:7] < f"{year:04d}-{month:02d}":
        parsed = parse_date(expr, year + 1)
    return parsed


def _same_month_tails(doc: Document, pos: int, prev: tuple[int, int, int]) -> Iterator[DateMention]:
    """Bare days right after a full date borrow its month: 5月7日至13日, 12月8日、18日、28日."""
    _, year, month = prev
    while (t := _SAME_MONTH_TAIL_RE.match(doc.folded, pos)) is not None:
        parsed = parse_date(f"{year}年{month}月{t.group('day')}日")
        if parsed is None:
            return
        start = t.start("day")
        yield _mention(doc, parsed[0], "day", date_kind(t.group()), start, t.end())
        pos = t.end()


def _mention(doc: Document, iso: str, precision: str, kind: str, start: int, end: int) -> DateMention:
    item = doc.item_at(start)
    para = doc.paragraph_at(start)
    return DateMention(date=iso, precision=precision, kind=kind, start=start, end=end,
                       text=doc.text[start:end],
                       item_id=item.item_id if item is not None else None,
                       paragraph_id=para.paragraph_id if para is not None else None)
