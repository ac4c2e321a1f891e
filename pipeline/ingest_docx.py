"""DOCX -> text: body paragraphs and tables in reading order, with zipfile + a streaming XML parser.

A table row becomes one line, its cells joined by a tab. Headers, footers, footnotes, comments
and Word's automatic list numbering (numbering.xml) are not read.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree as ET

from .ingest import IngestError

MAIN_PART = "word/document.xml"
MAX_XML_BYTES = 100 * 2**20  # inflated size of document.xml; real documents stay far below
MAX_RATIO = 200  # deflate ratio of XML is ~5-20; bombs reach 1000 (checked above 10 MB only)
CHUNK = 2**20

# Element local names: namespaces differ between transitional and strict OOXML.
_WRAPPERS = {"sdt", "sdtContent", "customXml", "smartTag"}  # content controls: look inside
_NOT_TEXT = {"pPr", "rPr", "delText", "del", "moveFrom", "instrText", "Fallback"}  # Fallback repeats Choice


def docx_to_text(data: bytes) -> tuple[str, str]:
    """(text, encoding of document.xml) of a .docx; raise IngestError for fake or hostile files."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        what = "OLE2 file, a legacy .doc or encrypted" if data.startswith(b"\xd0\xcf\x11\xe0") else "not a zip"
        raise IngestError("corrupt", f"not a DOCX ({what})") from exc
    with zf:
        try:
            info = zf.getinfo(MAIN_PART)
        except KeyError:
            raise IngestError("corrupt", f"not a DOCX: zip archive without {MAIN_PART}") from None
        _check_sizes(info)
        try:
            lines = list(_body_lines(zf, info))
        except RecursionError as exc:  # before RuntimeError, its base class
            raise IngestError("corrupt", f"corrupt DOCX: {MAIN_PART} is nested too deeply") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            # RuntimeError: encrypted member; NotImplementedError: exotic compression method
            raise IngestError("corrupt", f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc
        except ET.ParseError as exc:
            raise IngestError("corrupt", f"corrupt DOCX: {MAIN_PART} is not well-formed XML: {exc}") from exc
        with zf.open(info) as member:
            head = member.read(200)
    m = re.match(rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=["']([\w.-]+)""", head)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines))
    return text.strip("\n"), m.group(1).decode("ascii").lower() if m else "utf-8"


def _check_sizes(info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_XML_BYTES:
        raise IngestError("too_large", f"{MAIN_PART} inflates to {info.file_size} bytes, limit {MAX_XML_BYTES}")
    if info.file_size > 10 * 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        raise IngestError("too_large", f"{MAIN_PART} compression ratio {ratio}:1, a zip bomb?")


def _body_lines(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[str]:
    """Stream document.xml; each child of w:body is rendered, then dropped to bound memory."""
    parser = ET.XMLPullParser(events=("start", "end"))
    depth, inflated, body = 0, 0, None
    with zf.open(info) as member:
        # Never trust the declared size alone: count what inflates, in chunks.
        while chunk := member.read(CHUNK):
            inflated += len(chunk)
            if inflated > MAX_XML_BYTES:
                raise IngestError("too_large", f"{MAIN_PART} inflates past {MAX_XML_BYTES} bytes")
            parser.feed(chunk)
            for event, el in parser.read_events():
                if event == "start":
                    depth += 1
                    if depth == 2:
                        body = el
                    continue
                depth -= 1
                if depth == 2 and body is not None:  # a block-level child of w:body just ended
                    yield from _block_lines(el)
                    body.remove(el)
    parser.close()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(el: ET.Element, name: str) -> Iterator[ET.Element]:
    for child in el:
        local = _local(child.tag)
        if local == name:
            yield child
        elif local in _WRAPPERS:
            yield from _children(child, name)


def _block_lines(el: ET.Element) -> list[str]:
    name = _local(el.tag)
    if name == "p":
        return [_paragraph_text(el)]
    if name == "tbl":
        return [_row_text(tr) for tr in _children(el, "tr")]
    if name in _WRAPPERS:
        return [line for child in el for line in _block_lines(child)]
    return []  # sectPr, bookmarks, ...


def _row_text(tr: ET.Element) -> str:
    # A cell may hold several paragraphs or a nested table: keep the row on one line.
    cells = (" ".join(s for child in tc for s in _block_lines(child) if s.strip()) for tc in _children(tr, "tc"))
    return "\t".join(cell.replace("\n", " ") for cell in cells)


def _paragraph_text(p: ET.Element) -> str:
    out: list[str] = []

    def walk(el: ET.Element) -> None:
        for child in el:
            name = _local(child.tag)
            if name == "t":
                out.append(child.text or "")
            elif name in ("tab", "ptab"):
                out.append("\t")
            elif name in ("br", "cr"):
                out.append("\n")
            elif name == "noBreakHyphen":
                out.append("-")
            elif name == "p":  # a text box anchored in this paragraph
                walk(child)
                out.append("\n")
            elif name not in _NOT_TEXT:
                walk(child)

    walk(p)
    return "".join(out)
