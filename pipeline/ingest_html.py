"""HTML page -> text, with the page's block structure kept as line breaks (stdlib html.parser).

>>> html_to_text(b'<meta charset="gbk"><p>A&amp;B</p><SCRIPT>x()</SCRIPT><td>1</td><td>2')
('A&B\\n1\\t2', 'gb18030')
"""
from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from .ingest import IngestError, decode_text

# Elements whose content is never page text. Script must never leak, even unclosed: everything
# after an unclosed skipped tag is dropped (html.parser also keeps unclosed script text to itself).
SKIP = {"script", "style", "noscript", "template", "title", "svg"}
BLOCK = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "tfoot", "thead", "tr", "ul",
}
CELL = {"td", "th"}

_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML collapsible white space: not &nbsp; nor U+3000
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)""", re.I)
# A page declaring one of these really is GB18030 (superset; pages labelled gb2312 use GBK
# characters all the time). Latin-1/ASCII/UTF-16 declarations on a Chinese page are lies.
_AS_GB18030 = {"gb2312", "gbk", "gb18030"}
_IGNORED = {"ascii", "latin_1", "iso8859-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be"}


def html_to_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) of an HTML page; the encoding comes from BOM, meta charset, or detection."""
    text, encoding = decode_text(data, declared=declared_charset(data))
    parser = _TextParser()
    try:
        parser.feed(text)
        parser.close()
    except AssertionError as exc:  # html.parser's way of giving up on a malformed declaration
        raise IngestError("corrupt", f"unparsable HTML: {exc}") from exc
    return parser.text(), encoding


def declared_charset(data: bytes) -> str | None:
    """The Python codec named by `<meta charset>`/http-equiv/`<?xml encoding>`, if usable."""
    m = _CHARSET.search(data[:4096])
    if not m:
        return None
    try:
        name = codecs.lookup((m.group(1) or m.group(2)).decode("ascii")).name
    except LookupError:
        return None
    if name in _AS_GB18030:
        return "gb18030"
    return None if name in _IGNORED else name


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # &nbsp; &amp; &#x4e2d; decoded in handle_data
        self._lines: list[str] = []
        self._line: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in SKIP:
            self._skip += 1
        elif tag == "br":
            self._newline(force=True)
        elif tag in BLOCK:
            self._pre += tag == "pre"
            self._newline()
        elif tag in CELL and self._line:
            self._line = ["".join(self._line).rstrip(" "), "\t"]

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK:
            self._pre = max(0, self._pre - (tag == "pre"))
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = _SPACE.sub(" ", data)
            if not self._line or self._line[-1].endswith(("\t", " ")):
                data = data.lstrip(" ")  # no indent from source formatting, no double space
        if data:
            self._line.append(data)

    def _newline(self, force: bool = False) -> None:
        if self._line or force:
            self._lines.append("".join(self._line))
            self._line = []

    def close(self) -> None:
        # What is still buffered at the end starts with "<": a comment, tag or declaration cut off
        # by the end of the file. Browsers drop it; html.parser would emit it as text and parse
        # on inside it (so "<!-- <script>x()</script>" would leak "x()").
        if self.rawdata.startswith("<"):
            self.rawdata = ""
        super().close()

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:  # <![foo[ ...: html.parser gives up on the page, browsers skip it
            end = self.rawdata.find(">", i)
            return -1 if end < 0 else end + 1

    def text(self) -> str:
        self._newline()
        lines = "\n".join(self._lines).split("\n")  # <pre> content carries its own breaks
        return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip("\n")
