"""pipeline.extract.quantities: reported figures on real sentences, the seeds and the pingtan corpus."""
from __future__ import annotations

import doctest
import json
import math
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import pipeline.extract.quantities
from pipeline.document import Document
from pipeline.extract.quantities import extract
from pipeline.records import DocNumber, Item, Paragraph

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
GOLD = SHARED / "gold" / "seeds"
PINGTAN = SHARED / "corpus" / "pingtan"
needs_shared = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared is absent")

_CASES = json.loads((DATA / "quantities_cases.json").read_text(encoding="utf-8"))
_NOT_UNITS = {"年", "月", "日", "天", "周", "小时", "个月", "工作日", "号", "届"}


def _layout(doc: Document) -> Document:
    """Run pipeline.layout.analyze when it exists; the extractor must work either way."""
    try:
        from pipeline.layout import analyze
    except ImportError:
        return doc
    analyze(doc)
    return doc


def test_quantities_doctests():
    result = doctest.testmod(pipeline.extract.quantities)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("case", _CASES["figures"], ids=[c["text"][:24] for c in _CASES["figures"]])
def test_quantities_figures(case):
    doc = Document(case["text"])
    got = list(extract(doc))
    assert len(got) == len(case["expected"]), [q.text for q in got]
    for q, want in zip(got, case["expected"]):
        assert math.isclose(q.value, want["value"], rel_tol=1e-9)
        for key in ("unit", "approx", "is_total", "text", "subject"):
            if key in want:
                assert getattr(q, key) == want[key], (key, q)


@pytest.mark.parametrize("text", _CASES["not_figures"])
def test_quantities_not_figures(text):
    assert [q.text for q in extract(Document(text))] == []


def test_quantities_offsets_on_fullwidth_text():
    text = "全年共计受理申请１２１５１０件，占比８１．０１％。"
    doc = Document(text)
    got = list(extract(doc))
    assert [(q.value, q.unit, q.text, q.is_total) for q in got] == [(121510.0, "件", "１２１５１０件", True),
                                                                     (81.01, "%", "８１．０１％", False)]
    assert all(text[q.start:q.end] == q.text for q in got)


def test_quantities_item_and_paragraph_ids():
    text = "一、工作情况\n1.公开信息共计217条，政策解读5条。\n2.办理建议10件。"
    doc = Document(text)
    second = text.index("2.")
    doc.items = [Item(0, None, 1, "一、", 1, "1", "工作情况", 0, len(text), text),
                 Item(1, 0, 2, "1.", 1, "1.1", "公开信息共计217条", 7, second, text[7:second]),
                 Item(2, 0, 2, "2.", 2, "1.2", "办理建议10件", second, len(text), text[second:])]
    doc.paragraphs = [Paragraph(0, 1, 7, second - 1, text[7:second - 1]),
                      Paragraph(1, 2, second, len(text), text[second:])]
    got = [(q.value, q.item_id, q.paragraph_id) for q in extract(doc)]
    assert got == [(217.0, 1, 0), (5.0, 1, 0), (10.0, 2, 1)]


def test_quantities_bare_document_has_no_ids():
    assert [(q.item_id, q.paragraph_id) for q in extract(Document("发布信息8条。"))] == [(None, None)]


def test_quantities_skip_doc_numbers():
    """Whatever layout marks as a 发文字号 is never a figure (synthetic span: the rule, not the finder)."""
    text = "办理10件，受理5件。"
    doc = Document(text)
    doc.doc_numbers = [DocNumber("办〔2020〕10号", "办", 2020, 10, 0, 5, text[:5])]
    assert [q.value for q in extract(doc)] == [5.0]


def test_quantities_skip_outline_markers():
    text = "2 个人信息保护\n3 项工作要求"
    doc = Document(text)
    assert len(list(extract(doc))) == 2  # bare: numbers followed by measure words
    doc.items = [Item(0, None, 1, "2 ", 2, "2", "个人信息保护", 0, 8, text[:8]),
                 Item(1, None, 1, "3 ", 3, "3", "项工作要求", 9, len(text), text[9:])]
    assert list(extract(doc)) == []


def _seed_scores(layout: bool) -> tuple[int, int, int, list]:
    tp = fp = fn = 0
    errors = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = Document(text, source=path.name)
        if layout:
            _layout(doc)
        gold = json.loads((GOLD / f"{path.name}.json").read_text(encoding="utf-8"))
        want = Counter((float(q["value"]), q["unit"]) for q in gold["quantities"])
        got = list(extract(doc))
        assert all(text[q.start:q.end] == q.text for q in got)
        have = Counter((q.value, q.unit) for q in got)
        tp += sum((want & have).values())
        fp += sum((have - want).values())
        fn += sum((want - have).values())
        errors += [(path.name, "fp", k) for k in have - want] + [(path.name, "fn", k) for k in want - have]
    return tp, fp, fn, errors


@needs_shared
@pytest.mark.parametrize("layout", [False, True], ids=["bare", "layout"])
def test_quantities_seed_f1(layout):
    tp, fp, fn, errors = _seed_scores(layout)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.97, errors


def _pingtan_docs():
    return sorted(PINGTAN.glob("*.txt")) if PINGTAN.is_dir() else []


@needs_shared
@pytest.mark.parametrize("path", _pingtan_docs(), ids=lambda p: p.name[:40])
def test_quantities_pingtan_sane(path):
    """On crawled pages: offsets hold, no date or ordinal unit, nothing cut out of glued digits."""
    text = path.read_text(encoding="utf-8")
    for q in extract(_layout(Document(text, source=path.name))):
        assert text[q.start:q.end] == q.text
        assert q.unit not in _NOT_UNITS
        assert not re.match(r"[\d.]", text[q.start - 1:q.start]), q  # "屿头乡30.610.50" invents nothing
        assert not re.search(r"第\s?$", text[max(0, q.start - 2):q.start]), q


def test_quantities_import_is_light():
    code = ("import sys, pipeline; before = set(sys.modules); import pipeline.extract.quantities as q; "
            "heavy = {'jieba', 'spacy', 'pandas', 'numpy', 'sklearn'} & {m.split('.')[0] for m in set(sys.modules) - before}; "
            "print(sorted(heavy), q._lexicon.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "0"]
