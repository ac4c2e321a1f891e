"""Date expressions of 政务公开 documents: find them in running text, normalize one to ISO.

Two halves, kept apart (Recognizers-Text style): `DATE_RE` / `find_dates` FIND candidate spans,
`parse_date` turns ONE expression into `(iso, precision)` and `date_kind` says what the affix
makes of it. All three are pure; nothing heavy is imported.

Precision words (SCHEMA.md ``dates``)::

    day        2020-11-30   2020年11月30日, 二〇二〇年十一月三十日, 2020.7.20, 11月15日前
    month      2020-07      2020年7月, 2020年7月份
    month_end  2020-09-30   9月底, 9月底前, 9月末
    year_end   2020-12-31   2020年底前, 2020年年底前, 年底前 (ref_year), 截至2021年底
    month_part 2020-12      上旬 / 中旬 / 下旬 / 中下旬 / 初 of a month (vaguer than a month:
                            our own word, which the scorer ignores)
    year       2020         a bare year, 2020年 / ２０２０年 (parse_date only; never extracted)

上半年, 年内, 第三季度 and the like give None. Impossible dates (2月30日, 2019年2月29日, 13月) give
None. A year-less expression needs `ref_year`; relative years 今年/本年, 明年, 去年 count from it.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Iterator

from .textnorm import CN_DIGITS, fold, small_cn_number

__all__ = ["DATE_RE", "find_dates", "parse_date", "date_kind"]

# --- the finder ---------------------------------------------------------------------------------
# Runs on folded text (textnorm.fold: ASCII digits and punctuation, '—' and '–' become '-').
# Years: 1800-2099 in Arabic digits, four digit-by-digit Chinese numerals (二〇二〇, 二○一二,
# 二0一二: scanned and OCRed documents mix the zero look-alikes). A month without a year must be
# written in Arabic digits: 一月 / 三月 alone are too rare in our documents to pay for the noise.
_CN_YEAR = r"[〇○零OoОΟ0一二三四五六七八九]{4}"
_REL_YEAR = r"[今本明去]"  # 今年 本年 明年 去年
_MONTH = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?:\d{1,2}|[一二三]?十[一二三四五六七八九]?|廿[一二三四五六七八九]?|卅一?|[一二三四五六七八九])"
_CLOCK = r"(?:\d{1,2}:\d{2}|\d{1,2}[时点](?:\d{1,2}分)?)"
_PART = r"(?:[底末]|中下旬|上中旬|[上中下]旬|初)"
# 前 / 起 followed by these characters start a word (前期, 前提, 起草), not a deadline affix.
_NOT_BEFORE = r"(?![期列沿提置身景端述款瞻夕后茅])"
_SUFFIX = (r"(?:[或及](?:之|以)[前后]|之前|以前|前" + _NOT_BEFORE +
           r"|之后|以后|以来|至今(?!年)|起(?![草诉])|开始|为止|止)")

DATE_RE = re.compile(
    rf"""
    (?<![\d/])                                # not the tail of a number or of a path
    (?P<pre>截[至止](?:到|至)?\ ?)?            # 截至 / 截止 / 截止到: "as of"
    (?:
        (?P<num>(?:1[89]|20)\d\d(?P<sep>[-./])\d{{1,2}}(?P=sep)\d{{1,2}})(?![\d])   # 2020-07-20
      |
        (?:(?P<year>(?:1[89]|20)\d\d|{_CN_YEAR}|{_REL_YEAR})\ ?年\ ?)?
        (?:
            (?(year)|(?<!\d[-~至到]))          # a year-less month is no range tail "1-6月"
            (?P<month>{_MONTH})\ ?月份?
            (?:\ ?(?P<day>{_DAY})\ ?[日号]|\ ?(?P<part>{_PART})|(?!\ ?[xX×某*]+\ ?[日号]))
          | (?P<yend>(?(year)年?|年)[底末])      # 2020年底, 2020年年底, 年底 (validated by caller)
        )
    )
    (?P<suf>(?:\ ?{_CLOCK})?\ ?{_SUFFIX})?     # "11月16日12:00前": the clock time sits inside
    """,
    re.VERBOSE,
)


# "每年12月31日前", "每月底": a rule that repeats, not a date.
_RECURRING_RE = re.compile(r"每(?:年|月|季度?)?\s?$")


def find_dates(folded: str) -> Iterator[re.Match]:
    """Candidate date expressions of (folded) running text, with their affixes.

    Only plausible candidates are yielded: the match must parse with *some* year; a month in
    Chinese numerals needs a year; recurring dates (每年12月31日前) and templates (2022年12月x日)
    are skipped; a bare 年底 needs an affix (年底前, 截至年底) or a relative year (今年年底), since
    "年末结转结余" in a budget table is an accounting term, not a date.

    >>> [m.group() for m in find_dates("于2020年9月底前编制完成，并于11月底公开")]
    ['2020年9月底前', '11月底']
    >>> [m.group() for m in find_dates("截止到2021年底我镇现有低保户517户；年末结转结余")]
    ['截止到2021年底']
    >>> [m.group() for m in find_dates("发布日期:2020-07-20 17:03:52 3个工作日内 8:30-19:30")]
    ['2020-07-20']
    >>> [m.group() for m in find_dates("管制时间9月29日-10月6日，1-6月份")]
    ['9月29日', '10月6日']
    """
    for m in DATE_RE.finditer(folded):
        if _RECURRING_RE.search(folded, max(0, m.start() - 3), m.start()):
            continue
        year = m.group("year")
        if m.group("month") and not year and not m.group("month").isdigit():
            continue
        if m.group("yend") and not year and not (m.group("pre") or m.group("suf")):
            continue
        if parse_date(m.group(), ref_year=2000) is None:
            continue
        yield m


# --- the parser ---------------------------------------------------------------------------------
_PREFIX_RE = re.compile(r"^(?:截[至止](?:到|至)?|自从|自|从|于|到|至|直至)")
_SUFFIX_RE = re.compile(rf"(?:{_SUFFIX}|前完成|完成)$")
_WEEKDAY = r"[(]?(?:星期|礼拜|禮拜|周|週)[一二三四五六日天][)]?"
_TIME_RE = re.compile(rf"(?:{_CLOCK}(?::\d{{2}})?)$")
_NUMERIC_RE = re.compile(r"(\d{3,4})([-./ ])(\d{1,2})(?:\2(\d{1,2}))?")
_CORE_RE = re.compile(
    rf"(?:(?P<year>\d{{3,4}}|[^年]+?)年度?)?"
    rf"(?:(?P<month>[^年月]+?)月份?(?:(?P<part>{_PART})|(?P<day>[^年月日号號]+?)[日号號]?)?"
    rf"|(?P<yend>年?[底末]))?")
_REL_YEARS = {"今": 0, "本": 0, "明": 1, "去": -1}


def _year_value(s: str) -> int | None:
    """A written year: 2020, 二〇二〇, 二○一二, 三六七 (digit by digit) or 两千零四 (positional).

    >>> _year_value("二〇二〇"), _year_value("二0一二"), _year_value("两千零四"), _year_value("1357")
    (2020, 2012, 2004, 1357)
    >>> _year_value("二十") is None
    True
    """
    if s.isdigit():
        return int(s) if len(s) in (3, 4) else None
    zeros = {"O": 0, "o": 0, "О": 0, "Ο": 0, "0": 0}
    digits = [CN_DIGITS.get(c, zeros.get(c)) for c in s]
    if None not in digits and 3 <= len(s) <= 4 and "十" not in s:
        return int("".join(map(str, digits)))
    if "千" in s:  # 两千, 两千零四, 二千零二十
        head, _, tail = s.partition("千")
        thousands = CN_DIGITS.get(head) if len(head) == 1 else None
        rest = small_cn_number(tail.lstrip("零")) if tail.strip("零") else 0
        if thousands and rest is not None:
            return thousands * 1000 + rest
    return None


def _small_value(s: str) -> int | None:
    """Month or day: 7, 07, 十一, 三十一, 廿五."""
    s = s.replace("廿", "二十").replace("卅", "三十")
    if s.isdigit():
        return int(s) if len(s) <= 2 else None
    return small_cn_number(s)


def _strip_affixes(s: str) -> str:
    """Drop what surrounds the date itself: 截至…, …前, …以来, weekday, time of day."""
    s = _PREFIX_RE.sub("", s)
    s = re.sub(rf"^{_WEEKDAY},?", "", s)  # 周日, 二月十号
    for _ in range(3):  # affixes stack: "2020年9月底前完成", "10月12号,星期一"
        s = _SUFFIX_RE.sub("", s)
        s = re.sub(rf",?{_WEEKDAY}$", "", s)
        s = _TIME_RE.sub("", s)
    return s


def parse_date(s: str, ref_year: int | None = None) -> tuple[str, str] | None:
    """One date expression to `(iso, precision)`; None when it is not a (possible) date.

    >>> parse_date("2020年11月30日"), parse_date("二〇二〇年十一月三十日")
    (('2020-11-30', 'day'), ('2020-11-30', 'day'))
    >>> parse_date("2020.7.20"), parse_date("2020/07/20"), parse_date("2020-07-20 17:03:52")
    (('2020-07-20', 'day'), ('2020-07-20', 'day'), ('2020-07-20', 'day'))
    >>> parse_date("2020年7月"), parse_date("2020年9月底前"), parse_date("2020年年底前")
    (('2020-07', 'month'), ('2020-09-30', 'month_end'), ('2020-12-31', 'year_end'))
    >>> parse_date("9月底前", 2021), parse_date("年底前", 2020), parse_date("截止到2021年底")
    (('2021-09-30', 'month_end'), ('2020-12-31', 'year_end'), ('2021-12-31', 'year_end'))
    >>> parse_date("5月 15 日", 2020), parse_date("２０２０年"), parse_date("12月中下旬", 2023)
    (('2020-05-15', 'day'), ('2020', 'year'), ('2023-12', 'month_part'))
    >>> [parse_date(x, 2020) for x in ("2月30日", "2019年2月29日", "13月", "上半年", "3个工作日")]
    [None, None, None, None, None]
    >>> parse_date("11月15日前") is None  # a year-less date needs ref_year
    True
    """
    s = re.sub(r"\s+", " ", fold(s)).strip()
    s = _strip_affixes(s).strip()
    if not s:
        return None
    numeric = _NUMERIC_RE.fullmatch(s)
    if numeric:  # 2020-07-20, 2010 01 29, 2020.7: year first, the one order that is no convention
        y, _, m, d = numeric.groups()
        return _assemble(int(y), int(m), int(d) if d else None, None)
    s = s.replace(" ", "")
    rel = re.match(r"^([今本明去])年", s)
    if rel:
        if ref_year is None:
            return None
        s = f"{ref_year + _REL_YEARS[rel.group(1)]}年" + s[2:]
    core = _CORE_RE.fullmatch(s)
    if not core:
        return None
    year_text, month_text, day_text = core.group("year"), core.group("month"), core.group("day")
    year = _year_value(year_text) if year_text else ref_year
    month = _small_value(month_text) if month_text else None
    day = _small_value(day_text) if day_text else None
    if year is None or (month_text and month is None) or (day_text and day is None):
        return None
    if core.group("yend"):
        return f"{year:04d}-12-31", "year_end"
    if not month_text:
        return (f"{year:04d}", "year") if year_text else None
    return _assemble(year, month, day, core.group("part"))


def _assemble(year: int, month: int, day: int | None, part: str | None) -> tuple[str, str] | None:
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    last = calendar.monthrange(year, month)[1]
    if day is not None:
        return (f"{year:04d}-{month:02d}-{day:02d}", "day") if 1 <= day <= last else None
    if part in ("底", "末"):
        return f"{year:04d}-{month:02d}-{last:02d}", "month_end"
    if part:
        return f"{year:04d}-{month:02d}", "month_part"
    return f"{year:04d}-{month:02d}", "month"


# --- the kind -----------------------------------------------------------------------------------
_DEADLINE_RE = re.compile(r"(?:前|之前|以前|底前|末前)(?:完成)?$")
# "…止" only closes a span ("自1月1日起至12月31日止"): the kind comes from 截至 or stays point.
_SINCE_RE = re.compile(r"^(?:截[至止]|自|从)|(?:以来|至今|起|开始|之后|以后)$")


def date_kind(expr: str) -> str:
    """deadline (…前, 之前, 以前, 底前, 前完成), since (…以来, 截至 / 截止到 …, …起) or point.

    A deadline affix wins over 截止: "截止2020年底前" is still a deadline. "之后 / 以后" (after)
    have no kind of their own in SCHEMA.md and count as since.

    >>> [date_kind(x) for x in ("2020年9月底前", "截止到2021年底", "2021年1月1日起", "11月底")]
    ['deadline', 'since', 'since', 'point']
    """
    expr = fold(expr).strip()
    if _DEADLINE_RE.search(expr):
        return "deadline"
    if _SINCE_RE.search(expr):
        return "since"
    return "point"
