"""Chinese, Arabic, full-width and mixed numerals: find them in running text, parse one to a value.

Two halves, kept apart (Recognizers-Text style): `find_numerals` / `NUMERAL_RE` FIND numeral
expressions in running text, `parse_number` turns ONE expression into a float. Both are pure and
import nothing heavy; the character maps and the word lists live in ``resources/numerals.json``,
read once, on first use.

Conventions (those of the public suite, shared/peer/zh_numbers.jsonl):

* failure is ``None``, never 0: ``parse_number("一切") is None``;
* approximate forms give the stated base: 十余万 -> 100000, 5000余 -> 5000, 一百零几万 -> 1000000;
* a trailing classifier counts as a measure: 一个 -> 1, 五打 -> 60, 一对 -> 2;
* percent expressions give the value in percent, as Recognizers-Text's PercentModel resolves
  them (百分之十五 -> "15%"): ``parse_number("百分之十五") == 15.0``, 15% -> 15, 千分之五 -> 0.5,
  3个百分点 -> 3. This matches the quantities table (81.01% -> value 81.01, unit %). A fraction
  with a written numerator base stays a fraction: 一百分之十五 -> 0.15 (NumberModel);
* a digit-by-digit reading (二〇二〇 -> 2020) needs three digits or a zero, so 两两, 九九, 三五
  (idioms and "three or five") are no numbers.
"""
from __future__ import annotations

import json
import re
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from .textnorm import fold

__all__ = ["parse_number", "find_numerals", "numeral_regex", "NUMERAL_RE", "resources", "compile_alternation"]

_RESOURCE = Path(__file__).with_name("resources") / "numerals.json"


@lru_cache(maxsize=1)
def resources() -> dict:
    """The numeral lexicon (resources/numerals.json), loaded once."""
    return json.loads(_RESOURCE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _derived() -> dict:
    """Sorted and compiled forms of the resources, built once."""
    res = resources()
    multipliers = "".join(res["units"]) + "".join(res["big_units"])
    return {
        "percent_suffixes": sorted(res["percent_suffixes"].items(), key=lambda kv: -len(kv[0])),
        "approx_re": re.compile(f"(?<=.)[{res['approx_infixes']}](?=[{multipliers}]|$)"),
    }


# --- the parser ---------------------------------------------------------------------------------

_ARABIC_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|\.\d+")
_TOKEN_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|.")
_MIXED_SLASH_RE = re.compile(r"([-]?)(\d+)\s+(\d+)/(\d+)")
_SLASH_RE = re.compile(r"(-?\d+(?:\.\d+)?)/(-?\d+(?:\.\d+)?)")


def parse_number(s: str) -> float | None:
    """Value of one numeral expression, or None when `s` is not (only) a number.

    >>> parse_number("一千一百零九"), parse_number("两百"), parse_number("3万5千")
    (1109.0, 200.0, 35000.0)
    >>> parse_number("2千零30万"), parse_number("1.5亿"), parse_number("１，２３４"), parse_number("负3")
    (20300000.0, 150000000.0, 1234.0, -3.0)
    >>> parse_number("二〇二〇"), parse_number("二○二○"), parse_number("２０２０")
    (2020.0, 2020.0, 2020.0)
    >>> parse_number("零点五"), round(parse_number("三分之一"), 6), parse_number("百分之十五"), parse_number("81.01%")
    (0.5, 0.333333, 15.0, 81.01)
    >>> parse_number("一万三"), parse_number("十余万"), parse_number("四万万")
    (13000.0, 100000.0, 400000000.0)
    >>> [parse_number(w) for w in ("一切", "万万", "万", "陆地", "两两", "十四五", "", "1,23")]
    [None, None, None, None, None, None, None, None]
    """
    if not isinstance(s, str):
        return None
    return _parse_string(s)


@lru_cache(maxsize=8192)
def _parse_string(s: str) -> float | None:
    # Cached: the same short numerals (一, 两, 十五 …) come back thousands of times in a batch.
    t = fold(s).strip()
    m = _MIXED_SLASH_RE.fullmatch(t)  # "1 3/5": the one place where a space carries meaning
    if m:
        value = int(m.group(2)) + Fraction(int(m.group(3)), int(m.group(4))) if int(m.group(4)) else None
        return None if value is None else float(-value if m.group(1) else value)
    t = re.sub(r"\s+", "", t)
    if _ARABIC_RE.fullmatch(t):  # the common case, first
        return float(t.replace(",", ""))
    if not t:
        return None
    value = _expression(t)
    return None if value is None else float(value)


def _expression(t: str) -> Fraction | None:
    """Percent, mixed fraction, fraction, or plain number (signed)."""
    res = resources()
    for suffix, factor in _derived()["percent_suffixes"]:
        if t.endswith(suffix) and len(t) > len(suffix):
            value = _signed(t[: -len(suffix)])
            return None if value is None else value * Fraction(factor).limit_denominator()
    if t in res["fixed_words"]:
        return Fraction(res["fixed_words"][t]).limit_denominator()
    joiner = res["mixed_fraction_joiner"]
    if joiner in t:
        whole, _, frac = t.partition(joiner)
        w, f = _signed(whole), _fraction(frac)
        if w is None or f is None:
            return None
        return w - f if w < 0 or whole[:1] in res["minus_words"] else w + f
    frac = _fraction(t)
    if frac is not None:
        return frac
    return _signed(t)


def _fraction(t: str) -> Fraction | None:
    """X分之Y -> Y/X; a bare base (百分之, 千分之, 万分之) is a percent: 百分之十五 -> 15."""
    m = _SLASH_RE.fullmatch(t)
    if m:
        num, den = Fraction(m.group(1)), Fraction(m.group(2))
        return num / den if den else None
    for marker in resources()["fraction_markers"]:
        left, sep, right = t.partition(marker)
        if not sep or not left or not right:
            continue
        num = _signed(right)
        if num is None:
            continue
        if _is_percent_base(left):  # 百分之 / 千分之 / 百万分之: percent convention (PercentModel)
            base = _integer("一" + left)
            return num * 100 / base if base else None
        den = _signed(left)
        if den:
            return num / den
    return None


def _is_percent_base(s: str) -> bool:
    """百, 千, 万, 百万 ... with no digit before them (十分之一 is a plain fraction)."""
    res = resources()
    return res["units"].get(s[0], 100) >= 100 and all(ch in res["units"] or ch in res["big_units"] for ch in s)


def _signed(t: str) -> Fraction | None:
    for minus in resources()["minus_words"]:
        if t.startswith(minus):
            value = _plain(t[len(minus):])
            return None if value is None else -value
    return _plain(t)


def _plain(t: str) -> Fraction | None:
    """An unsigned number: Arabic, Chinese (positional or digit by digit), mixed, with 点 decimals."""
    res = resources()
    if not t:
        return None
    if _ARABIC_RE.fullmatch(t):
        return Fraction(t.replace(",", ""))
    if t in res["fixed_words"]:
        return Fraction(res["fixed_words"][t]).limit_denominator()
    for ch, expansion in res["tens_words"].items():
        t = t.replace(ch, expansion)
    factor = 1
    if len(t) > 1 and t[-1] in res["measure_factors"]:  # 一个, 五打, 一对
        factor, t = res["measure_factors"][t[-1]], t[:-1]
        if t in res["fixed_words"]:  # 半个
            return Fraction(res["fixed_words"][t]).limit_denominator() * factor
    # Approximation markers give the stated base: 十余万 -> 十万, 一百零几万 -> 一百零万, 5000余 -> 5000.
    t = _derived()["approx_re"].sub("", t)
    if not t:
        return None
    value = _decimal(t)
    return None if value is None else value * factor


def _decimal(t: str) -> Fraction | None:
    res = resources()
    parts = re.split(f"[{res['points']}]", t)
    if len(parts) == 1:
        by_digit = _digit_by_digit(t)
        return by_digit if by_digit is not None else _integer(t)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    head, tail = parts
    # 一点五万: decimals before a big unit scale with it (only when the head is a bare digit).
    big = 1
    while tail and tail[-1] in res["big_units"]:
        big *= res["big_units"][tail[-1]]
        tail = tail[:-1]
    if big != 1 and not (len(head) == 1 or head.isdigit()):
        return None
    whole = _integer(head) if not head.isdigit() else Fraction(int(head))
    if whole is None or not tail:
        return None
    digits = []
    for ch in tail:
        if ch.isdigit():
            digits.append(ch)
        elif ch in res["digits"]:
            digits.append(str(res["digits"][ch]))
        else:
            return None
    return (whole + Fraction(int("".join(digits)), 10 ** len(digits))) * big


def _digit_by_digit(t: str) -> Fraction | None:
    """二〇二〇 -> 2020: three or more digits, or a zero among them (九九 and 两两 are words)."""
    res = resources()
    if len(t) < 2 or any(ch not in res["digit_by_digit_chars"] for ch in t):
        return None
    if len(t) < 3 and not any(ch in res["zero_chars"] for ch in t):
        return None
    return Fraction(int("".join(str(res["digits"][ch]) for ch in t)))


def _integer(t: str) -> Fraction | None:
    """Positional Chinese numeral, Arabic digits allowed for the digit slots (3万4000, 2千零30万).

    Units must fall within a section (三百四千 is no number); a bare digit after a unit is an
    abbreviation of the next lower unit (两千四百五 -> 2450, 一万三 -> 13000) unless a 零 stands
    between (一千零五 -> 1005). Big units multiply everything smaller before them, so 四万万 and
    一万五千亿 work.
    """
    res = resources()
    digits, units, bigs = res["digits"], res["units"], res["big_units"]
    parts: list[tuple[Fraction, int]] = []  # (value, magnitude) of finished big sections
    section = Fraction(0)
    section_unit = None  # last unit used in the current section: the next must be smaller
    pending: Fraction | None = None
    pending_chinese = False
    abbrev = 0  # magnitude a trailing bare Chinese digit takes (0: none)
    has_digit = False
    prev = None  # kind of the previous token
    for tok in _TOKEN_RE.findall(t):
        if tok[0].isdigit():
            kind, val = "digit", Fraction(tok.replace(",", ""))
        elif tok in res["zero_chars"]:
            kind, val = "zero", Fraction(0)
        elif tok in digits:
            kind, val = "digit", Fraction(digits[tok])
        elif tok in units:
            kind, val = "unit", units[tok]
        elif tok in bigs:
            kind, val = "big", bigs[tok]
        else:
            return None
        if kind == "zero":
            if pending is not None:
                return None
            has_digit, abbrev = True, 0
        elif kind == "digit":
            if pending is not None:
                return None
            pending, pending_chinese, has_digit = val, not tok[0].isdigit(), True
            abbrev = abbrev if prev in ("unit", "big") else 0
        elif kind == "unit":
            if pending is None:
                # A bare unit counts one only where nothing could have been omitted: 十五, 百三, 零十.
                if prev not in (None, "zero", "big"):
                    return None
                if val == 10 or prev is None:
                    has_digit = has_digit or val == 10
                count = Fraction(1)
            else:
                count = pending
            if section_unit is not None and val >= section_unit:
                return None
            section += count * val
            section_unit, pending, abbrev = val, None, val // 10
        else:  # big unit
            # 百二萬 -> 120万, but 一亿三万 -> 3万: only a small unit of this section abbreviates.
            shortened = pending_chinese and prev == "digit" and section_unit is not None
            here = section + (_abbreviated(pending, abbrev) if shortened else (pending or 0))
            lower = [(v, mag) for v, mag in parts if mag <= val]
            parts = [(v, mag) for v, mag in parts if mag > val]
            if here == 0 and not lower:
                if prev is not None or not has_digit and t[-1] == tok:
                    return None
                here = Fraction(1)  # 萬九: a leading big unit is one of it
            total = sum((v for v, _ in lower), Fraction(0)) + here
            # 四万万: a big unit right after another multiplies it (magnitude 亿); 一万五千亿 stays 亿.
            mag = val * max((m for _, m in lower), default=1) if section == 0 and pending is None else val
            parts.append((total * val, mag))
            section, section_unit, pending, abbrev = Fraction(0), None, None, val // 10
        prev = kind
    if not has_digit:
        return None
    if pending is not None:
        section += _abbreviated(pending, abbrev) if pending_chinese else pending
    return sum((v for v, _ in parts), Fraction(0)) + section


def _abbreviated(digit: Fraction, abbrev: int) -> Fraction:
    """A bare digit after a unit: 四百五 -> 5 x 10, 百二萬 -> 2 x 10 (then 万)."""
    return digit * abbrev if abbrev else digit


# --- the finder ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def numeral_regex() -> re.Pattern:
    """The compiled pattern of a numeral candidate run (see find_numerals for the filtering)."""
    res = resources()
    chars = "".join(res["digits"]) + "".join(res["units"]) + "".join(res["big_units"]) + "".join(res["tens_words"])
    atom = f"[0-9{chars}]"
    big = "".join(res["big_units"]) + "".join(res["units"])
    join = (rf"(?:(?<=\d)\.(?=\d)|(?<=\d),(?=\d{{3}}(?!\d))|(?<={atom})[{res['points']}](?={atom})"
            rf"|(?<={atom})[{res['approx_infixes']}](?=[{big}])|(?<={atom})分之(?=[负負]?{atom}))")
    return re.compile(rf"(?:[负負](?={atom}))?{atom}(?:{atom}|{join})*")


class _LazyPattern:
    """NUMERAL_RE compiles on first use, so importing this module reads no file."""

    def __getattr__(self, name):
        return getattr(numeral_regex(), name)


NUMERAL_RE = _LazyPattern()

_CHUNK_RE = re.compile(r"[\d.,]+|[^\d.,]+")


@lru_cache(maxsize=1)
def _negative_re() -> re.Pattern:
    return compile_alternation(resources()["negative_words"])


_LEAD_RE = re.compile(r"(?:\(\?<[=!](?:[^()\\]|\\.)*\))*(\[(?:[^\]\\]|\\.)+\]|\\d|[^\\()\[\].*+?{}|^$])")


def compile_alternation(patterns: list[str]) -> re.Pattern:
    """One regex for a list of word regexes, led by a lookahead on their possible first characters.

    Python tries every alternative at every position; the lookahead makes the ~100 words of a
    lexicon cost one character test per position. Patterns whose first character cannot be read
    off (a group, a dot) simply go without the prefilter.

    >>> rx = compile_alternation(["一切", "(?<!分)之一", "[七八]五普法"])
    >>> rx.pattern[:13], [m.group() for m in rx.finditer("一切照旧，八五普法，三分之一，之一")]
    ('(?=[一之七八])(?:', ['一切', '八五普法', '之一'])
    """
    firsts = []
    for p in patterns:
        m = _LEAD_RE.match(p)
        if m is None:
            return re.compile("|".join(f"(?:{w})" for w in patterns))
        lead = m.group(1)
        firsts.append(lead[1:-1] if lead.startswith("[") else lead)
    return re.compile(f"(?=[{''.join(dict.fromkeys(firsts))}])(?:" + "|".join(f"(?:{w})" for w in patterns) + ")")


def find_numerals(text: str) -> Iterator[tuple[int, int, float]]:
    """Yield (start, end, value) of every numeral expression of running text, in order.

    Offsets are those of `text` (folding is one for one). Numeral characters inside words of the
    negative list (一切, 统一, 万一 ...) are no numbers; a lone financial character (陆 of 陆地,
    伍 of 队伍) neither; glued table digits ("30.610.50") and runs that only parse as ranges
    (三五个, 十四五) yield nothing.

    >>> [(text[s:e], v) for text in ["统一发布信息共计217条，一切正常，3.5万人，二〇二〇年"]
    ...  for s, e, v in find_numerals(text)]
    [('217', 217.0), ('3.5万', 35000.0), ('二〇二〇', 2020.0)]
    >>> [v for _, _, v in find_numerals("屿头乡30.610.50、百分之十五、十四五、万一、十万一千")]
    [15.0, 101000.0]
    """
    masked = _negative_re().sub(lambda m: "\x00" * len(m.group()), fold(text))
    ambiguous = resources()["ambiguous_chars"]
    for run in numeral_regex().finditer(masked):
        for start, end, value in _segments(masked, run.start(), run.end()):
            if end - start == 1 and masked[start] in ambiguous:
                continue  # 陆 of 陆地, 拾 of 收拾: a financial digit alone is a word
            yield start, end, value


def _segments(s: str, start: int, end: int) -> Iterator[tuple[int, int, float]]:
    """Split one candidate run into numbers: the whole run if it parses, else its script pieces."""
    pieces = []  # [start, end) of the pieces between malformed Arabic chunks
    pos = piece = start
    for chunk in _CHUNK_RE.findall(s[start:end]):
        if chunk[0] in "0123456789.," and not _ARABIC_RE.fullmatch(chunk.rstrip(".,")):
            if pos > piece:
                pieces.append((piece, pos))
            piece = pos + len(chunk)  # "30.610.50": glued table cells are no number at all
        pos += len(chunk)
    if end > piece:
        pieces.append((piece, end))
    for p_start, p_end in pieces:
        text = s[p_start:p_end].rstrip(".,")
        value = parse_number(text)
        if value is not None:
            yield p_start, p_start + len(text), value
            continue
        # 一2 in 唯一2个: the Arabic and the Chinese parts on their own. A Chinese part that does not
        # parse either is a range or a name (三五个, 十四五) and yields nothing.
        for m in _CHUNK_RE.finditer(text):
            part = m.group().rstrip(".,")
            value = parse_number(part)
            if value is not None:
                yield p_start + m.start(), p_start + m.start() + len(part), value
