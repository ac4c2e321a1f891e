"""发文字号 (document numbers): find them in running text and normalize them.

Runs on folded text (full-width brackets and digits already ASCII, see textnorm.fold), so the
bracket class below only needs the forms that have no ASCII twin.

>>> [d.normalized for d in find_doc_numbers("根据（浙政办发[2020]20号）和岚综管办（2015）第148号文件")]
['浙政办发〔2020〕20号', '岚综管办〔2015〕148号']
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from .records import DocNumber

_OPEN = r"[〔\[(（【{［]"
_CLOSE = r"[〕\])）】}］]"
# Found from the bracketed year outwards (cheap on long texts), then the agency is read backwards.
_CORE_RE = re.compile(_OPEN + r"\s*(?P<year>(?:19|20)\d{2})\s*" + _CLOSE + r"\s*第?\s*(?P<serial>\d{1,5})\s*号")
_AGENCY_BEFORE_RE = re.compile(r"(?P<agency>[\u4e00-\u9fffA-Za-z]{1,16})\s{0,2}$")

# Words that end a sentence fragment before an agency abbreviation in glued text
# (按照岚综管办〔2015〕148号 -> 岚综管办). Longest first.
_LEFT_STOPS = sorted(["根据", "按照", "围绕", "遵照", "依照", "结合", "参考", "比照", "同意", "按", "依据", "参照", "对照", "执行", "落实", "贯彻", "文件", "通知", "印发", "转发",
                      "关于", "见", "的", "和", "及", "与", "或", "以", "依", "据", "经", "由", "等", "了", "在",
                      "为", "是", "即", "于", "将", "要求", "精神", "规定", "附件", "号文"], key=len, reverse=True)
_AGENCY_MIN = 2


def _trim_agency(agency: str) -> str:
    """Cut the agency run after the last stop word glued before it."""
    cut = 0
    for w in _LEFT_STOPS:
        i = agency.rfind(w)
        if i >= 0 and i + len(w) > cut and len(agency) - (i + len(w)) >= _AGENCY_MIN:
            cut = i + len(w)
    return agency[cut:]


# Numbered orders without a year: 国务院令第711号
ORDER_RE = re.compile(r"(?P<agency>[\u4e00-\u9fff]{2,12}令)\s*第\s*(?P<serial>\d{1,5})\s*号")


def normalize(agency: str, year: int | str, serial: int | str) -> str:
    return f"{agency}〔{int(year)}〕{int(serial)}号"


def find_doc_numbers(folded: str, original: str | None = None) -> Iterator[DocNumber]:
    """Every 发文字号 in `folded` (the folded text), with spans into the original text."""
    original = folded if original is None else original
    for m in _CORE_RE.finditer(folded):
        window_start = max(0, m.start() - 18)
        a = _AGENCY_BEFORE_RE.search(folded, window_start, m.start())
        if not a:
            continue
        agency = _trim_agency(a.group("agency"))
        if len(agency) < _AGENCY_MIN:
            continue
        start = a.end("agency") - len(agency)
        end = m.end()
        yield DocNumber(normalize(agency, m.group("year"), m.group("serial")), agency,
                        int(m.group("year")), int(m.group("serial")), start, end, original[start:end])
    for m in ORDER_RE.finditer(folded):
        agency = _trim_agency(m.group("agency"))
        start = m.end("agency") - len(agency)
        yield DocNumber(f"{agency}第{int(m.group('serial'))}号", agency, None, int(m.group("serial")),
                        start, m.end(), original[start:m.end()])
