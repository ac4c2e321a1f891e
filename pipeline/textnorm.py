"""One-for-one character folding: regexes run on the folded text, offsets stay those of the source.

>>> fold("２０２０年（一）　共计２１７条")
'2020年(一) 共计217条'
>>> len(fold("ＡＢＣ１２３")) == 6
True
"""
from __future__ import annotations

import hashlib

# Full-width ASCII -> ASCII, ideographic and other exotic spaces -> space, look-alike zeros kept
# distinct (〇 and ○ are numerals in dates, handled by the normalizers). Every entry maps ONE
# character to ONE character, so len(fold(s)) == len(s) always.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20, 0x200B: 0x20,
              0xFEFF: 0x20, 0x0009: 0x20, 0x2013: 0x2D, 0x2014: 0x2D, 0xFF0E: 0x2E, 0x2212: 0x2D})
# Patterns elsewhere use the ASCII forms: ( ) : ; , . 1 2 3; 、 and 。 have no ASCII twin and stay.
_TABLE = _FOLD


def fold(text: str) -> str:
    """Return `text` with full-width forms folded to ASCII, one character for one."""
    return text.translate(_TABLE)


def doc_id_for(text: str) -> str:
    """Stable document id: first 16 hex chars of sha1 of the text (SCHEMA.md)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def small_cn_number(s: str) -> int | None:
    """Value of a small Chinese numeral as used in outline markers (一 … 九十九).

    >>> small_cn_number("十一"), small_cn_number("二十"), small_cn_number("三十五"), small_cn_number("七")
    (11, 20, 35, 7)
    >>> small_cn_number("甲") is None
    True
    """
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = CN_DIGITS.get(head, None) if head else 1
        ones = CN_DIGITS.get(tail, None) if tail else 0
        if tens is None or ones is None or (tail and len(tail) > 1) or len(head) > 1:
            return None
        return tens * 10 + ones
    if len(s) == 1 and s in CN_DIGITS:
        return CN_DIGITS[s]
    return None
