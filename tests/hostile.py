"""Builders of test inputs, and the hostile-input folder every batch run must survive.

`make_hostile_folder(path)` writes one file per hazard and returns the expected outcome per file
name: "documents:<encoding>" for files that must give a document (the encoding `documents.encoding`
must show), "errors:<error type>" for files that must land in the errors table. Compare the table
only with `outcome.partition(":")[0]`.
"""
from __future__ import annotations

import random
import zipfile
from pathlib import Path

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / "000_46ec87d9369d40f2.txt"
FALLBACK_SENTENCE = "盏西镇人民政府关于2020年政务公开工作要点分工方案落实情况的报告"


def _sentence() -> str:
    """A real Chinese sentence: the first long 政务公开 line of a seed document, if present."""
    if SEED.exists():
        for line in SEED.read_text(encoding="utf-8").splitlines():
            if "政务公开" in line and 20 <= len(line) <= 200:
                return line.strip()
    return FALLBACK_SENTENCE


SENTENCE = _sentence()
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
BIG_TEXT_BYTES = 9 * 2**20

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx_xml(blocks: list[str | list[list[str]]]) -> str:
    """document.xml whose body holds paragraphs (str, raw run XML allowed) and tables (rows of cells)."""
    def para(text: str) -> str:
        return f"<w:p><w:pPr><w:jc w:val='center'/></w:pPr><w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>"

    body = []
    for block in blocks:
        if isinstance(block, str):
            body.append(para(block))
        else:
            rows = "".join("<w:tr>" + "".join(f"<w:tc>{para(c)}</w:tc>" for c in row) + "</w:tr>" for row in block)
            body.append(f"<w:tbl><w:tblPr/>{rows}</w:tbl>")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}">'
            f"<w:body>{''.join(body)}<w:sectPr/></w:body></w:document>")


def write_docx(path: Path, document_xml: str | bytes | None) -> Path:
    """A .docx (zip) with the given document.xml; None leaves it out."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        if document_xml is not None:
            zf.writestr("word/document.xml", document_xml)
    return path


def write_zip_bomb_docx(path: Path, inflated: int = 101 * 2**20) -> Path:
    """A .docx whose document.xml inflates to `inflated` bytes from a few hundred KB (written in chunks)."""
    chunk = ("<w:p><w:r><w:t>" + "政" * 4000 + "</w:t></w:r></w:p>").encode() * 80  # ~1 MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(f'<w:document xmlns:w="{_W}"><w:body>'.encode())
            written = 0
            while written < inflated:
                member.write(chunk)
                written += len(chunk)
            member.write(b"</w:body></w:document>")
    return path


def pdf_bytes(lines: list[str]) -> bytes:
    """A minimal one-page PDF; with `lines`, a Helvetica text layer (ASCII only), else one drawn line."""
    if lines:
        shown = " ".join(f"({line}) '" for line in lines)
        content = f"BT /F1 12 Tf 72 720 Td 14 TL {shown} ET".encode("ascii")
    else:
        content = b"0 0 m 100 100 l S"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def big_one_line_text(size: int = BIG_TEXT_BYTES) -> str:
    """A single line of at least `size` UTF-8 bytes (a crawled page that lost its line breaks)."""
    unit = SENTENCE + "一、" + SENTENCE + "（1）共计217条；"
    return unit * (size // len(unit.encode("utf-8")) + 1)


SCRIPT_HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>站点标题</title>'
    "<style>p { color: red }</style><script>var leak = 'SCRIPT-LEAK';</script></head>"
    f"<body><!-- COMMENT-LEAK --><h1>{SENTENCE}</h1><p>一、政务公开&nbsp;&amp;&#x4e2d;</p>"
    "<SCRIPT type='text/javascript'>document.write('SCRIPT-LEAK')</SCRIPT>"
    "<p>二、结尾</p><script>document.write('<p>SCRIPT-LEAK</p>')"
)


def make_hostile_folder(path: str | Path) -> dict[str, str]:
    """Write the hostile inputs into `path` (created if needed); return {file name: expected outcome}."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20240101)
    text = SENTENCE + "\r\n一、公开内容\r\n（一）共计217条。\r\n"
    files: dict[str, tuple[bytes | None, str]] = {
        "empty.txt": (b"", "errors:empty"),
        "whitespace.txt": (" \r\n\t\u3000\n".encode("utf-8"), "errors:empty"),
        "random.txt": (rng.randbytes(4096), "errors:binary"),
        "random_no_nul.txt": (bytes(b or 1 for b in rng.randbytes(4096)), "errors:binary"),
        "gb18030.txt": (text.encode("gb18030"), "documents:gb18030"),
        "utf16_bom.txt": (text.encode("utf-16"), "documents:utf-16"),
        "utf16le_no_bom.txt": (text.encode("utf-16-le"), "documents:utf-16"),
        "utf8_bom.txt": (text.encode("utf-8-sig"), "documents:utf-8-sig"),
        "utf8.txt": (text.encode("utf-8"), "documents:utf-8"),
        "no_extension": (text.encode("utf-8"), "documents:utf-8"),
        "fake.docx": (b"PK\x03\x04 this is not really a zip archive", "errors:corrupt"),
        "oversized.docx": (None, "errors:too_large"),
        "one_line_9mb.txt": (big_one_line_text().encode("utf-8"), "documents:utf-8"),
        "script.html": (SCRIPT_HTML.encode("utf-8"), "documents:utf-8"),
        "outline_cn.txt": (("一、" * 200_000).encode("utf-8"), "documents:utf-8"),
        "outline_num.txt": ((".".join(map(str, range(1, 200_001))) + ".").encode("ascii"), "documents:utf-8"),
        "image.png": (PNG_HEADER, "errors:unsupported"),
        "png_renamed.txt": (PNG_HEADER, "errors:binary"),
        "text_layer.pdf": (pdf_bytes(["Hello zwgk 2020"]), "documents:binary"),
        "scanned.pdf": (pdf_bytes([]), "errors:no_text_layer"),
    }
    for name, (data, _) in files.items():
        if name == "oversized.docx":
            write_zip_bomb_docx(folder / name)
        else:
            (folder / name).write_bytes(data)
    return {name: outcome for name, (_, outcome) in files.items()}
