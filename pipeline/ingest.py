"""Bytes -> text for any archived file: .txt (any usual Chinese encoding), .html, .docx, .pdf.

`read_document(path)` returns an `Ingested` (text, format, encoding) or raises `IngestError`, whose
`error` is the short type the `errors` table records (SCHEMA.md). Nothing heavy is imported here:
pdfminer is imported inside `_read_pdf`, the HTML and DOCX readers are small stdlib modules.

>>> decode_text("政务公开\\r\\n".encode("gb18030"))
('政务公开\\n', 'gb18030')
>>> decode_text(b"\\xef\\xbb\\xbfok\\r")
('ok\\n', 'utf-8-sig')
"""
from __future__ import annotations

import codecs
import functools
import io
import re
import stat
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 50 * 2**20

TEXT_SUFFIXES = {".txt", ""}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}


class IngestError(Exception):
    """A file that cannot give text; `error` is the short type, the message names the reason."""

    stage = "ingest"

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message

    def __reduce__(self):  # survive pickling between batch worker processes
        return type(self), (self.error, self.message)


@dataclass(frozen=True)
class Ingested:
    text: str
    format: str  # txt, html, docx, pdf
    encoding: str  # of the raw bytes; "binary" for PDF, whose text comes from font maps


def read_document(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Ingested:
    """Read one archived file and return its text, or raise IngestError."""
    path = Path(path)
    suffix = path.suffix.lower()
    # Decide support before reading, so a 2 GB video in the folder costs nothing.
    if suffix not in TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}:
        raise IngestError("unsupported", f"unsupported file type {suffix!r}")
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever
            raise IngestError("unreadable", "not a regular file")
        size = st.st_size
        if size > max_bytes:
            raise IngestError("too_large", f"file is {size} bytes, limit is {max_bytes}")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may grow between stat and read
    except OSError as exc:
        raise IngestError("unreadable", f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise IngestError("too_large", f"file is over the limit of {max_bytes} bytes")
    if not data:
        raise IngestError("empty", "file is empty (0 bytes)")

    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_text(data)
        return Ingested(text, "txt", encoding)
    if suffix in HTML_SUFFIXES:
        from .ingest_html import html_to_text

        text, encoding = html_to_text(data)
        return Ingested(_require_text(text, "HTML page"), "html", encoding)
    if suffix == ".docx":
        from .ingest_docx import docx_to_text

        text, encoding = docx_to_text(data)
        return Ingested(_require_text(text, "DOCX document"), "docx", encoding)
    return Ingested(_read_pdf(data), "pdf", "binary")


def _require_text(text: str, what: str) -> str:
    if not text.strip():
        raise IngestError("empty", f"{what} contains no text")
    return text


# --- plain text ----------------------------------------------------------------------------------

# Magic numbers of formats that sometimes arrive renamed to .txt/.html by crawlers.
_MAGIC = {
    b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP archive (docx/xlsx?)", b"%PDF-": "PDF", b"\xd0\xcf\x11\xe0": "OLE2 file (doc/xls?)",
    b"Rar!": "RAR archive", b"7z\xbc\xaf": "7z archive", b"\x1f\x8b": "gzip data", b"\x7fELF": "ELF executable",
}  # executables and most other binaries contain NUL bytes, which are caught below
# BOMs, longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]
# C0 controls other than \t \n \v \f \r, and DEL: never in a real text document in bulk.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Plausible decoded text share: below this a strict GB18030/UTF-16 decode is taken to be mojibake.
MIN_PLAUSIBLE = 0.9
MAX_CONTROL = 0.01


def decode_text(data: bytes, *, declared: str | None = None) -> tuple[str, str]:
    """Decode the bytes of a text file: (text, encoding name); raise IngestError if it is no text.

    Order: binary magic; BOM; a `declared` charset (from HTML) if it decodes strictly; NUL bytes
    mean UTF-16 (by their position) or binary; strict UTF-8; strict GB18030 that looks like
    Chinese text. Line endings become \\n as `open(..., newline=None)` makes them.
    """
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise IngestError("binary", f"binary file: {what}")
    decoded = _decode(data, declared)
    if decoded is None:
        if len(_CONTROL.findall(data[:65536].decode("latin-1"))) > MAX_CONTROL * min(len(data), 65536):
            raise IngestError("binary", "binary file: control bytes, not text in any known encoding")
        raise IngestError("undecodable", "not valid UTF-8, UTF-16 or GB18030 text")
    text, encoding = decoded
    if not text.strip():
        raise IngestError("empty", "file contains only whitespace")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _decode(data: bytes, declared: str | None) -> tuple[str, str] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding  # utf-8-sig/16/32 drop the BOM
            except UnicodeDecodeError as exc:
                raise IngestError("undecodable", f"{encoding} BOM but invalid {encoding}: {exc.reason}") from exc
    if declared:
        text = _strict(data, declared)
        if text is not None and _controls_ok(text):
            return text, declared
    if b"\0" in data:
        return _utf16_by_nuls(data)  # NULs: UTF-16 without BOM, or binary
    text = _strict(data, "utf-8")
    if text is not None:
        return (text, "utf-8") if _controls_ok(text) else None
    text = _strict(data, "gb18030")
    if text is not None and _controls_ok(text) and _plausible(text):
        return text, "gb18030"
    return None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf16_by_nuls(data: bytes) -> tuple[str, str] | None:
    # In UTF-16 the NUL bytes are mostly the high bytes of ASCII characters (digits, newlines),
    # at odd offsets in LE and even offsets in BE; but 一 (U+4E00) and 　 (U+3000) put one in the
    # other place too. So try the likelier byte order first and let plausibility decide.
    if len(data) % 2:
        return None
    orders = ["utf-16-le", "utf-16-be"]
    if data[0::2].count(0) > data[1::2].count(0):
        orders.reverse()
    for encoding in orders:
        text = _strict(data, encoding)
        if text is not None and _controls_ok(text) and _plausible(text):
            return text, "utf-16"
    return None


def _controls_ok(text: str) -> bool:
    sample = _sample(text)
    return len(_CONTROL.findall(sample)) <= MAX_CONTROL * len(sample)


def _plausible(text: str) -> bool:
    """Most characters are ones a Chinese document uses: ASCII, GB2312, common punctuation.

    GB18030 (and UTF-16) decode nearly any byte string, but random bytes and mojibake come out
    as a mix of rare characters, private-use code points and controls.
    """
    sample = _sample(text)
    return len(_rare_chars().findall(sample)) <= (1 - MIN_PLAUSIBLE) * len(sample)


def _sample(text: str, size: int = 2**17, windows: int = 32) -> str:
    # Judging a wrong decoding of a 9 MB file on all of it would cost seconds (millions of
    # matches); evenly spaced windows see every part of the file.
    if len(text) <= size:
        return text
    step, width = len(text) // windows, size // windows
    return "".join(text[i:i + width] for i in range(0, len(text), step))


@functools.cache
def _rare_chars() -> re.Pattern[str]:
    common = set()  # the GB2312 repertoire: 7445 characters, 6763 of them hanzi
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                common.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    ranges = (r"\t\n\x0b\x0c\r\x20-\x7e"  # ASCII printable and whitespace
              r"\u00a0-\u024f"  # Latin-1 and Latin Extended (·, é, ü)
              r"\u2000-\u206f\u2150-\u218f\u2460-\u24ff\u2500-\u257f\u25a0-\u25ff"  # punct., Ⅱ, ①, ━, ■
              r"\u3000-\u303f\ufe30-\ufe6f\uff00-\uffef")  # CJK punct. (〇), compat. and full-width forms
    return re.compile("[^" + ranges + "".join(re.escape(c) for c in sorted(common)) + "]")


# --- PDF -----------------------------------------------------------------------------------------

_CID = re.compile(r"\(cid:\d+\)")


def _read_pdf(data: bytes) -> str:
    if b"%PDF-" not in data[:1024]:
        start = data[:40].decode("latin-1").strip()
        raise IngestError("corrupt", f"not a PDF: file starts with {start!r}")
    from pdfminer.high_level import extract_text  # heavy: only when a PDF comes
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        raw = extract_text(io.BytesIO(data))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise IngestError("encrypted", f"encrypted PDF: {exc}") from exc
    except Exception as exc:  # pdfminer raises anything from KeyError to struct.error on bad files
        raise IngestError("corrupt", f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
    # TextConverter ends every page with a form feed: no form feed means no page was found.
    pages = raw.split("\f")[:-1]
    if not pages:
        raise IngestError("corrupt", "corrupt PDF: no pages found")
    text = "\n".join(page.rstrip() for page in pages).strip("\n")
    if not text.strip():
        raise IngestError("no_text_layer", f"PDF has no text layer ({len(pages)} page(s), scanned?)")
    # Glyphs of a font without a Unicode map come out as "(cid:123)": no usable text either.
    if len("".join(_CID.findall(text))) > 0.5 * len(text):
        raise IngestError("no_text_layer", "PDF text layer has no Unicode mapping (cid glyphs)")
    return text
