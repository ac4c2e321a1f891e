"""pipeline.extract.dates: date mentions of whole documents."""
from __future__ import annotations

import doctest
import json
from collections import Counter
from pathlib import Path

import pytest

import pipeline.extract.dates
from pipeline.document import Document
from pipeline.extract.dates import document_year, extract
from pipeline.records import DocNumber, Item, Paragraph

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SCORED = {"day", "month", "month_end", "year_end"}

_CASES = json.loads((DATA / "extract_dates_cases.json").read_text(encoding="utf-8"))["cases"]


def _doc(text: str, period_year: int | None = None, date: str | None = None) -> Document:
    doc = Document(text)
    doc.meta.period_year, doc.meta.date = period_year, date
    return doc


@pytest.mark.parametrize("case", _CASES, ids=[c["id"] for c in _CASES])
def test_extract_dates_real_sentences(case):
    doc = _doc(case["text"], case["period_year"])
    got = [[d.text, d.date, d.precision, d.kind] for d in extract(doc)]
    assert got == case["dates"]


@pytest.mark.parametrize("text", [
    "２０２０年９月底前完成，１１月１５日前报送",  # full-width digits: offsets still those of doc.text
    "发布时间: 2023-09-08 09:59\n\n当前位置： 首页 时间：2023-09-08 09:59",
])
def test_extract_dates_offsets_point_into_text(text):
    doc = _doc(text, 2020)
    mentions = list(extract(doc))
    assert mentions
    for d in mentions:
        assert doc.text[d.start:d.end] == d.text


@pytest.mark.parametrize(("period_year", "date", "expected"), [
    (2020, "2021-01-12", "2020-11-15"),   # period_year first
    (None, "2021-01-12", "2021-11-15"),   # else the year of the document's date
    (None, None, None),                   # else no year: no mention
])
def test_extract_dates_yearless_takes_document_year(period_year, date, expected):
    doc = _doc("请于11月15日前报送区府办。", period_year, date)
    assert document_year(doc) == (period_year or (int(date[:4]) if date else None))
    assert [d.date for d in extract(doc)] == ([expected] if expected else [])


@pytest.mark.parametrize(("text", "expected"), [
    ("种对象和顺序安排2021年6月6日至6月8日，每天接种3个时间段", ["2021-06-06", "2021-06-08"]),
    ("施工时间为2020年12月29日至1月6日。", ["2020-12-29", "2021-01-06"]),
    ("案落实情况分别于2020年9月10日、11月21日前报送", ["2020-09-10", "2020-11-21"]),
    ("2020年12月29日召开会议。1月6日", ["2020-12-29", "2019-01-06"]),  # no connector: the document's year
])
def test_extract_dates_range_tail_shares_year(text, expected):
    doc = _doc(text, 2019)  # deliberately another year than the range's
    assert [d.date for d in extract(doc)] == expected


def test_extract_dates_nothing_inside_doc_number():
    text = "根据（岚综管〔2020年12月1日〕3号）文件，于2020年12月1日印发。"
    doc = _doc(text, 2020)
    start = text.index("岚")
    end = text.index("号") + 1
    doc.doc_numbers = [DocNumber("岚综管〔2020〕3号", "岚综管", 2020, 3, start, end, text[start:end])]
    assert [(d.start, d.text) for d in extract(doc)] == [(text.rindex("2020年12月1日"), "2020年12月1日")]


def test_extract_dates_item_and_paragraph_ids():
    text = "一、工作安排\n1.2020年9月底前完成目录编制。\n盏西镇人民政府\n2020年11月30日"
    doc = _doc(text, 2020)
    line2 = text.index("1.")
    sig = text.index("盏西镇")
    doc.items = [Item(0, None, 1, "一、", 1, "1", "工作安排", 0, sig, text[:sig]),
                 Item(1, 0, 2, "1.", 1, "1.1", "2020年9月底前完成目录编制", line2, sig, text[line2:sig])]
    doc.paragraphs = [Paragraph(0, 1, line2, sig, text[line2:sig]), Paragraph(1, None, sig, len(text), text[sig:])]
    got = [(d.text, d.item_id, d.paragraph_id) for d in extract(doc)]
    assert got == [("2020年9月底前", 1, 0), ("2020年11月30日", None, 1)]


def test_extract_dates_doctests():
    result = doctest.testmod(pipeline.extract.dates)
    assert result.attempted > 0 and result.failed == 0


# --- shared seeds and corpus ----------------------------------------------------------------------
def _read(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline=None) as f:
        return f.read()


def _analyzed(text: str, source: str) -> Document:
    doc = Document(text, source=source)
    try:
        from pipeline.layout import analyze
    except ImportError:
        return doc
    analyze(doc)
    return doc


def test_extract_dates_seed_f1():
    """(date, precision) multisets against the five seeds' gold: F1 >= 0.97.

    The document year comes from the gold, so that this measures the extractor, not the layout.
    """
    gold_dir = SHARED / "gold" / "seeds"
    if not gold_dir.is_dir():
        pytest.skip("shared/gold/seeds absent")
    tp = n_gold = n_pred = 0
    for gf in sorted(gold_dir.glob("*.json")):
        gold = json.loads(gf.read_text(encoding="utf-8"))
        doc = _analyzed(_read(SHARED / "seeds" / gold["source"]), gold["source"])
        doc.meta.period_year, doc.meta.date = gold["doc"].get("period_year"), gold["doc"].get("date")
        want = Counter((d["date"], d["precision"]) for d in gold["dates"])
        got = Counter((d.date, d.precision) for d in extract(doc) if d.precision in SCORED)
        tp += sum((want & got).values())
        n_gold += sum(want.values())
        n_pred += sum(got.values())
    f1 = 2 * tp / (n_gold + n_pred)
    assert f1 >= 0.97, (tp, n_gold, n_pred)


def _corpus_files():
    folder = SHARED / "corpus" / "pingtan"
    files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="shared/corpus/pingtan absent"))]
    return [pytest.param(f, id=f.name[:3]) for f in files]


@pytest.mark.parametrize("path", _corpus_files())
def test_extract_dates_corpus_invariants(path):
    """On every crawled page: offsets hold, values are ISO of their precision, no 文号 overlap."""
    doc = _analyzed(_read(path), path.name)
    iso_len = {"day": 10, "month_end": 10, "year_end": 10, "month": 7, "month_part": 7}
    for d in extract(doc):
        assert doc.text[d.start:d.end] == d.text
        assert len(d.date) == iso_len[d.precision] and d.kind in {"deadline", "since", "point"}
        assert not doc.in_doc_number(d.start, d.end)
