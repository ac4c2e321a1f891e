"""pipeline.nlp: the spaCy view, with extracted fields as span groups on jieba tokens."""
from __future__ import annotations

import pytest

from pipeline import process_text

spacy = pytest.importorskip("spacy")


def test_nlp_spans_map_records_onto_tokens():
    from pipeline.nlp import to_spacy
    text = "一、公开情况\n全年共计发布政务公开信息217条，2020年9月底前完成。\n二、下一步\n依据（某政发〔2020〕1号）推进。\n"
    doc = process_text(text)
    sdoc = to_spacy(doc)
    assert sdoc.text == text
    assert [s.text for s in sdoc.spans["quantities"]] == ["217条"]
    assert sdoc.spans["quantities"][0]._.value == 217.0 and sdoc.spans["quantities"][0]._.record.is_total
    assert [s.text for s in sdoc.spans["dates"]] == ["2020年9月底前"]
    assert [s.text for s in sdoc.spans["references"]] == ["某政发〔2020〕1号"]
    assert [s.text.strip() for s in sdoc.spans["items"]][0].startswith("一、公开情况")
    # the government user dictionary keeps domain terms whole
    assert "政务公开" in [t.text for t in sdoc]
