"""Cited documents: every 发文字号 other than the document's own, with the 《》 title before it.

The numbers themselves are found once, by layout (doc.doc_numbers, see pipeline.docnumbers).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..document import Document
from ..records import Reference

# 《title》 directly before the number, with an optional opening bracket between: 《…》（X〔2020〕1号）
_TITLE_BEFORE_RE = re.compile(r"《(?P<title>[^《》\n]{2,120})》\s*[(\[（【〔]?\s*$")


def extract(doc: Document) -> Iterator[Reference]:
    own = doc.meta.doc_number.normalized if doc.meta.doc_number else None
    for d in doc.doc_numbers:
        if d.normalized == own:
            continue
        window_start = max(0, d.start - 130)
        m = _TITLE_BEFORE_RE.search(doc.folded, window_start, d.start)
        start = m.start() if m else d.start
        yield Reference(title=doc.text[m.start("title"):m.end("title")] if m else None, doc_number=d.normalized, start=start, end=d.end,
                        text=doc.text[start:d.end], agency=d.agency, year=d.year, serial=d.serial)
