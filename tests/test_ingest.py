"""pipeline.ingest: bytes -> text for .txt, .html, .docx, .pdf, and the errors for everything else."""
from __future__ import annotations

import pickle
import random
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile import (PNG_HEADER, SCRIPT_HTML, SENTENCE, big_one_line_text, docx_xml, make_hostile_folder,
                     pdf_bytes, write_docx, write_zip_bomb_docx)
from pipeline import ingest_docx
from pipeline.ingest import IngestError, Ingested, decode_text, read_document

TEXT = SENTENCE + "\r\n一、公开内容\r（一）共计217条。\n二、〇二〇年——“六稳”①\r\n"
EXPECTED = TEXT.replace("\r\n", "\n").replace("\r", "\n")


def _error(path: Path, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as info:
        read_document(path, **kwargs)
    return info.value


# --- plain text ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, encoding, open_as", [
    (TEXT.encode("utf-8"), "utf-8", "utf-8"),
    (TEXT.encode("utf-8-sig"), "utf-8-sig", "utf-8-sig"),
    (TEXT.encode("gb18030"), "gb18030", "gb18030"),
    (TEXT.encode("gbk"), "gb18030", "gbk"),
    (TEXT.encode("utf-16"), "utf-16", "utf-16"),
    (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16", "utf-16"),
    (TEXT.encode("utf-16-le"), "utf-16", "utf-16-le"),
    (TEXT.encode("utf-16-be"), "utf-16", "utf-16-be"),
    (TEXT.encode("utf-32"), "utf-32", "utf-32"),
], ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16-bom-le", "utf16-bom-be", "utf16le-no-bom",
        "utf16be-no-bom", "utf32-bom"])
def test_ingest_txt_encodings(tmp_path, raw, encoding, open_as):
    path = tmp_path / "doc.txt"
    path.write_bytes(raw)
    doc = read_document(path)
    assert doc == Ingested(EXPECTED, "txt", encoding)
    with open(path, encoding=open_as, newline=None) as f:  # the SCHEMA's definition of the text
        assert doc.text == f.read()


@pytest.mark.parametrize("raw, text", [
    (b"a\r\nb\rc\n\r\nd", "a\nb\nc\n\nd"),
    (b"\xef\xbb\xbf\xef\xbb\xbfx", "\ufeffx"),  # only the first BOM is dropped, like open()
    ("全角　空格 ".encode("gb18030"), "全角　空格 "),
])
def test_ingest_decode_text_line_endings_and_bom(raw, text):
    assert decode_text(raw)[0] == text


def test_ingest_no_extension_is_text(tmp_path):
    path = tmp_path / "README"
    path.write_bytes(TEXT.encode("gb18030"))
    assert read_document(path) == Ingested(EXPECTED, "txt", "gb18030")


def test_ingest_uppercase_extension(tmp_path):
    path = tmp_path / "DOC.TXT"
    path.write_bytes(TEXT.encode("utf-8"))
    assert read_document(str(path)).format == "txt"


@pytest.mark.parametrize("name, raw, error", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", " \r\n\t\u3000\n".encode("utf-8"), "empty"),
    ("blank16.txt", " \n ".encode("utf-16"), "empty"),
    ("bom_only.txt", b"\xef\xbb\xbf", "empty"),
    ("nul.txt", b"abc\0def\0\0\0ghi\0", "binary"),
    ("png.txt", PNG_HEADER, "binary"),
    ("pdf.txt", b"%PDF-1.4\n1 0 obj\n", "binary"),
    ("zip.txt", b"PK\x03\x04\x14\x00", "binary"),
    ("gzip.txt", b"\x1f\x8b\x08\x00abc", "binary"),
    ("controls.txt", bytes(range(1, 32)) * 50, "binary"),
    ("bad_bom.txt", b"\xef\xbb\xbf\xff\xfe\xfd", "undecodable"),
    ("big5.txt", "政務公開工作要點，資訊處理。".encode("big5"), "undecodable"),
    ("image.png", PNG_HEADER, "unsupported"),
    ("photo.jpg", b"\xff\xd8\xff\xe0", "unsupported"),
    ("sheet.xls", b"\xd0\xcf\x11\xe0", "unsupported"),
    ("archive.zip", b"PK\x03\x04", "unsupported"),
    ("setup.exe", b"MZ\x90\x00", "unsupported"),
    ("legacy.doc", b"\xd0\xcf\x11\xe0", "unsupported"),
])
def test_ingest_rejects(tmp_path, name, raw, error):
    path = tmp_path / name
    path.write_bytes(raw)
    exc = _error(path)
    assert (exc.error, exc.stage) == (error, "ingest")
    assert str(exc) == exc.message and exc.message


@pytest.mark.parametrize("seed", range(20))
def test_ingest_random_bytes_never_decode(seed):
    rng = random.Random(seed)
    samples = [
        rng.randbytes(rng.choice([64, 1000, 5000])),
        bytes(b or 1 for b in rng.randbytes(3000)),  # no NUL bytes
        bytes(rng.randrange(0x80, 0x100) for _ in range(3000)),  # high bytes only: the GB18030 range
        # strictly valid GB18030: random two-byte codes, mostly GBK extension characters
        b"".join(bytes((rng.randrange(0x81, 0xFF), rng.choice([0x40, 0x55, 0x80, 0x9A, 0xA1, 0xFE])))
                 for _ in range(1500)),
    ]
    for data in samples:
        with pytest.raises(IngestError) as info:
            decode_text(data)
        assert info.value.error in {"binary", "undecodable"}


def test_ingest_gbk_mojibake_is_not_gb18030():
    # UTF-8 Chinese text with one broken byte must not come back as GB18030 mojibake.
    with pytest.raises(IngestError) as info:
        decode_text(EXPECTED.encode("utf-8") + b"\xff")
    assert info.value.error == "undecodable"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16-le"])
def test_ingest_big_one_line_text_is_fast(tmp_path, encoding):
    text = big_one_line_text()
    path = tmp_path / "big.txt"
    path.write_bytes(text.encode(encoding))
    start = time.perf_counter()
    doc = read_document(path)
    assert time.perf_counter() - start < 1.5
    assert doc.text == text and "\n" not in doc.text
    assert doc.encoding == {"utf-16-le": "utf-16"}.get(encoding, encoding)


def test_ingest_too_large(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes(TEXT.encode("utf-8"))
    assert _error(path, max_bytes=10).error == "too_large"
    assert read_document(path, max_bytes=path.stat().st_size).text == EXPECTED


@pytest.mark.parametrize("make", [lambda p: p, lambda p: (p.mkdir(), p)[1]], ids=["missing", "directory"])
def test_ingest_unreadable(tmp_path, make):
    assert _error(make(tmp_path / "x.txt")).error == "unreadable"


# --- HTML ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("html, text", [
    ("<p>一、政务公开</p><p>二、结尾</p>", "一、政务公开\n二、结尾"),
    ("<div>a<br>b<br/><br>c</div>", "a\nb\n\nc"),
    ("<p>&nbsp;&amp;&lt;&#x4e2d;&#22269;&quot;</p>", "\xa0&<中国\""),
    ("<table><tr><td>序号</td> <td>单位</td></tr>\n<tr><th>1</th><td>区委办</td></tr></table>",
     "序号\t单位\n1\t区委办"),
    ("<ul><li>一</li><li>二</li></ul><h2>标题</h2>尾", "一\n二\n标题\n尾"),
    ("<p>  多个   空格\n 换行  </p>", "多个 空格 换行"),
    ("<p>a</p>\n\n<br><br><br><br><p>b</p>", "a\n\nb"),
    ("<pre>  1  2\n  3</pre>", "  1  2\n  3"),
    ("<b>粗</b><i>斜</i> <span>体</span>", "粗斜 体"),
])
def test_ingest_html_structure(tmp_path, html, text):
    path = tmp_path / "page.html"
    path.write_text("<html><body>" + html + "</body></html>", encoding="utf-8")
    assert read_document(path) == Ingested(text, "html", "utf-8")


@pytest.mark.parametrize("html", [
    "<p>可见</p><script>SECRET()</script>",
    "<p>可见</p><SCRIPT type='text/javascript'>SECRET()</SCRIPT>",
    "<p>可见</p><script>document.write('<p>SECRET</p>')",  # never closed
    "<p>可见</p><script>if (a < b) { SECRET('</p>') }</script >",
    "<p>可见</p><style>p { SECRET: 1 }</style><STYLE>SECRET</STYLE>",
    "<p>可见</p><noscript><p>SECRET</p></noscript><template><p>SECRET</p></template>",
    "<p>可见</p><!-- SECRET --><!--[if IE]><p>SECRET</p><![endif]-->",
    "<title>SECRET</title><p>可见</p>",
    "<p>可见</p><!-- never closed <script>SECRET()</script> <p>SECRET</p>",
    "<p>可见</p><p class='<script>SECRET()'",  # tag cut off by the end of the file
    "<p>可见</p><scr",
    "<p>可<![if !supportLists]>见<![endif]><![bogus[ x ]]></p>",  # Word-saved HTML
])
def test_ingest_html_drops_script_style_comments(tmp_path, html):
    path = tmp_path / "page.htm"
    path.write_text(html, encoding="utf-8")
    assert read_document(path).text == "可见"


@pytest.mark.parametrize("head, raw_encoding, encoding", [
    ('<meta charset="gb2312">', "gb18030", "gb18030"),
    ('<META http-equiv="Content-Type" content="text/html; charset=GBK">', "gbk", "gb18030"),
    ('<meta charset="utf-8">', "utf-8", "utf-8"),
    ("", "utf-8-sig", "utf-8-sig"),
    ("", "gb18030", "gb18030"),  # no declaration: detected
    ('<meta charset="utf-8">', "gb18030", "gb18030"),  # a lying declaration: detected
    ('<meta charset="iso-8859-1">', "gb18030", "gb18030"),  # latin-1 always decodes: ignored
    ('<meta charset="no-such-codec">', "utf-8", "utf-8"),
    ("", "utf-16", "utf-16"),
])
def test_ingest_html_encoding(tmp_path, head, raw_encoding, encoding):
    path = tmp_path / "page.html"
    path.write_bytes(f"<html><head>{head}</head><body><p>{SENTENCE}</p></body></html>".encode(raw_encoding))
    assert read_document(path) == Ingested(SENTENCE, "html", encoding)


@pytest.mark.parametrize("html, error", [
    ("<html><script>only()</script></html>", "empty"),
    ("", "empty"),
])
def test_ingest_html_without_text(tmp_path, html, error):
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    assert _error(path).error == error


# --- DOCX ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("blocks, text", [
    ([SENTENCE, [["单位", "任务"], ["区委办", "公开"]], "结尾"], f"{SENTENCE}\n单位\t任务\n区委办\t公开\n结尾"),
    (["a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c", "", "", "", "d"], "a\tb\nc\n\nd"),
    (["保留</w:t></w:r><w:del><w:r><w:delText>删除</w:delText></w:r></w:del><w:r><w:t>文字"], "保留文字"),
    ([[["多</w:t></w:r></w:p><w:p><w:r><w:t>段", "&amp;"]]], "多 段\t&"),
])
def test_ingest_docx(tmp_path, blocks, text):
    path = write_docx(tmp_path / "doc.docx", docx_xml(blocks))
    assert read_document(path) == Ingested(text, "docx", "utf-8")


def test_ingest_docx_content_control_and_strict_namespace(tmp_path):
    xml = docx_xml(["前"]).replace("<w:sectPr/>", "<w:sdt><w:sdtContent><w:p><w:r><w:t>控件</w:t></w:r></w:p>"
                                                  "</w:sdtContent></w:sdt>")
    xml = xml.replace("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                      "http://purl.oclc.org/ooxml/wordprocessingml/main")
    assert read_document(write_docx(tmp_path / "d.docx", xml)).text == "前\n控件"


@pytest.mark.parametrize("document_xml, raw, error", [
    (None, b"this is not a zip archive", "corrupt"),
    (None, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1legacy word", "corrupt"),
    (None, None, "corrupt"),  # a zip without word/document.xml
    ("<w:document><w:body><w:p>", None, "corrupt"),  # not well-formed
    (docx_xml([]), None, "empty"),
])
def test_ingest_docx_rejects(tmp_path, document_xml, raw, error):
    path = tmp_path / "fake.docx"
    if raw is None:
        write_docx(path, document_xml)
    else:
        path.write_bytes(raw)
    assert _error(path).error == error


def test_ingest_docx_zip_bomb(tmp_path):
    path = write_zip_bomb_docx(tmp_path / "bomb.docx")
    assert path.stat().st_size < 2 * 2**20
    start = time.perf_counter()
    exc = _error(path)
    assert exc.error == "too_large" and "document.xml" in exc.message
    assert time.perf_counter() - start < 0.5  # refused from the declared size, nothing inflated


def test_ingest_docx_inflation_is_capped(tmp_path, monkeypatch):
    # Even when the declared size passes, inflating stops at the limit.
    path = write_docx(tmp_path / "d.docx", docx_xml(["政务公开" * 5000]))
    monkeypatch.setattr(ingest_docx, "_check_sizes", lambda info: None)
    monkeypatch.setattr(ingest_docx, "MAX_XML_BYTES", 10_000)
    monkeypatch.setattr(ingest_docx, "CHUNK", 4096)
    assert _error(path).error == "too_large"


def test_ingest_docx_lying_size(tmp_path):
    # A member that declares 1000 bytes but holds 3 MB: zipfile stops at the declared size.
    path = write_docx(tmp_path / "d.docx", docx_xml(["政务公开" * 250_000]))
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02", raw.index(b"word/document.xml") + 1)
    while raw[central + 46:central + 63] != b"word/document.xml":
        central = raw.index(b"PK\x01\x02", central + 1)
    struct.pack_into("<I", raw, central + 24, 1000)
    path.write_bytes(bytes(raw))
    assert _error(path).error == "corrupt"


# --- PDF -----------------------------------------------------------------------------------------

def test_ingest_pdf_text_layer(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf_bytes(["Hello zwgk 2020", "Second line (2)"]))
    assert read_document(path) == Ingested("Hello zwgk 2020\nSecond line (2)", "pdf", "binary")


@pytest.mark.parametrize("raw, error", [
    (pdf_bytes([]), "no_text_layer"),
    (b"%PDF-1.4\ngarbage garbage\n", "corrupt"),
    (pdf_bytes(["Hello"])[:150], "corrupt"),
    (b"<html><body>404 Not Found</body></html>", "corrupt"),
])
def test_ingest_pdf_rejects(tmp_path, raw, error):
    path = tmp_path / "doc.pdf"
    path.write_bytes(raw)
    assert _error(path).error == error


# --- module contract -----------------------------------------------------------------------------

def test_ingest_import_is_light():
    code = "import sys, pipeline.ingest; print(sorted(m for m in sys.modules if m.startswith(('pdfminer', 'pandas'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


def test_ingest_error_pickles():
    exc = pickle.loads(pickle.dumps(IngestError("binary", "binary file: PNG image")))
    assert (exc.stage, exc.error, exc.message, str(exc)) == ("ingest", "binary", "binary file: PNG image",
                                                             "binary file: PNG image")


def test_ingest_ingested_is_frozen():
    doc = Ingested("x", "txt", "utf-8")
    with pytest.raises(AttributeError):
        doc.text = "y"


def test_ingest_hostile_folder(tmp_path):
    expected = make_hostile_folder(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)
    outcomes = {}
    for name in expected:
        try:
            outcomes[name] = f"documents:{read_document(tmp_path / name).encoding}"
        except IngestError as exc:
            outcomes[name] = f"errors:{exc.error}"
    assert outcomes == expected
    assert read_document(tmp_path / "script.html").text == f"{SENTENCE}\n一、政务公开\xa0&中\n二、结尾"
    assert "SCRIPT-LEAK" in SCRIPT_HTML and "COMMENT-LEAK" in SCRIPT_HTML
