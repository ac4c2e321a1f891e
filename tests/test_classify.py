"""The paragraph classifier: its fast feature path, the saved model and its metrics, and what a run
fills in."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ROOT, SEEDS, needs_shared, processed
from pipeline.classify import LABELS, MODEL_PATH, TRUSTED_TYPES, decision_function, jieba_tokens, load_model, span_features
from pipeline.tfidf import FastTfidfVectorizer

LABELS_DIR = ROOT / "corpus" / "labels"


def _seed_paragraphs() -> list[str]:
    return [line for p in sorted(SEEDS.glob("*.txt")) for line in p.read_text(encoding="utf-8").splitlines()
            if line.strip()]


@pytest.mark.parametrize("params", [
    dict(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
    dict(analyzer="char", ngram_range=(2, 2), lowercase=False),
    dict(tokenizer=jieba_tokens, token_pattern=None, lowercase=False, sublinear_tf=True, min_df=2),
])
def test_fast_tfidf_gives_scikit_learns_numbers(params):
    from sklearn.feature_extraction.text import TfidfVectorizer
    texts = _seed_paragraphs()
    fast = FastTfidfVectorizer(**params).fit(texts[::2])
    unseen = texts[1::2] + ["", "  空  格\t\t和 ABC abc ", "𠀀𠀁 rare plane characters"]
    ours, theirs = fast.transform(unseen), TfidfVectorizer.transform(fast, unseen)
    assert ours.shape == theirs.shape and ours.nnz == theirs.nnz > 1000
    assert abs(ours - theirs).max() < 1e-12


def test_fast_tfidf_survives_a_skops_round_trip(tmp_path):
    import skops.io as sio
    texts = _seed_paragraphs()
    fast = FastTfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2).fit(texts)
    sio.dump(fast, tmp_path / "v.skops")
    back = sio.load(tmp_path / "v.skops", trusted=TRUSTED_TYPES)
    assert back.vocabulary_ == fast.vocabulary_
    assert abs(back.transform(texts) - fast.transform(texts)).max() == 0


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model")
def test_fast_decision_function_equals_the_pipelines():
    import pandas as pd
    model = load_model()
    doc = processed(SEEDS / "000_46ec87d9369d40f2.txt")
    rows = span_features(doc, [(p.start, p.end) for p in doc.paragraphs])
    np.testing.assert_allclose(decision_function(model, rows), model.decision_function(pd.DataFrame(rows)),
                               rtol=0, atol=1e-12)


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model")
@pytest.mark.parametrize("name", [p.name for p in sorted(SEEDS.glob("*.txt"))])
def test_every_paragraph_and_item_gets_a_category_and_score(name):
    doc = processed(SEEDS / name)
    assert doc.paragraphs
    for p in doc.paragraphs:
        assert p.category in LABELS and 0 < p.score <= 1
    for it in doc.items:
        assert it.category in LABELS
    # an item that is a single paragraph is that paragraph
    by_span = {(p.start, p.end): p.category for p in doc.paragraphs}
    for it in doc.items:
        assert by_span.get((it.start, it.end), it.category) == it.category


def test_a_missing_model_means_no_categories(tmp_path, monkeypatch):
    monkeypatch.setenv("ZWGK_MODEL", str(tmp_path / "none.skops"))
    assert load_model() is None


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model")
def test_metrics_describe_the_committed_model_and_labels():
    from pipeline.train import labels_hash, load_labels
    metrics = json.loads((MODEL_PATH.parent / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["data"]["labels_sha256"] == labels_hash(LABELS_DIR), "labels changed: run `zwgk train`"
    assert metrics["data"]["units"] == len(load_labels(LABELS_DIR))
    cv = metrics["cross_validation"]
    assert set(cv["per_label"]) == set(LABELS)
    assert set(cv["by_unit"]) == {"paragraph", "item"}
    assert set(cv["by_genre"]) == {"local", "national report"}
    assert sum(v["units"] for v in cv["by_collection"].values()) == metrics["data"]["units"]
    assert {"jieba", "none", "keyword_baseline"} <= set(metrics["comparison"])
    # the learned model beats the keyword lexicon by a wide margin
    assert cv["macro_f1"] > metrics["comparison"]["keyword_baseline"]["macro_f1"] + 0.2
    assert np.array(metrics["confusion_matrix"]["rows_true_columns_predicted"]).shape == (16, 16)
    assert {"scikit-learn", "skops", "jieba"} <= set(metrics["versions"])


def test_labels_point_into_the_documents_and_use_the_taxonomy():
    from pipeline.train import load_labels
    labels = load_labels(LABELS_DIR)
    from_corpus = [r for r in labels if r["collection"] in ("seeds", "pingtan")]
    assert len(from_corpus) >= 1500
    assert {r["label"] for r in labels} == set(LABELS)
    for r in labels:
        assert 0 <= r["start"] < r["end"] and r["unit"] in ("paragraph", "item")
    seed_text = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    for r in labels:
        if r["collection"] == "seeds":
            assert r["end"] <= len(seed_text[r["file"]]) and seed_text[r["file"]][r["start"]:r["end"]].strip()


@needs_shared
def test_a_held_out_seed_document_is_mostly_labeled_right():
    """Trained without one seed document, the classifier labels that document's paragraphs."""
    from pipeline.classify import build_classifier
    from pipeline.train import load_labels, training_table
    held_out = "003_35af8c204471a007.txt"
    data = training_table(load_labels(LABELS_DIR))
    X, y, groups = data.X, np.array(data.y, dtype=object), np.array(data.groups)
    train, test = groups != held_out, (groups == held_out) & (np.array(data.units) == "paragraph")
    assert test.sum() >= 20
    model = build_classifier().fit(X[train], y[train])
    accuracy = (model.predict(X[test]) == y[test]).mean()
    assert accuracy >= 0.6


@needs_shared
def test_a_held_out_seed_documents_sections_are_mostly_labeled_right():
    """Trained without one seed document, a run labels that document's outline sections (items, each
    classified on its own span) mostly as the annotators did."""
    from pipeline.classify import build_classifier, document_scores
    from pipeline.train import load_labels, training_table
    held_out = "003_35af8c204471a007.txt"
    data = training_table(load_labels(LABELS_DIR))
    groups = np.array(data.groups)
    model = build_classifier().fit(data.X[groups != held_out], np.array(data.y, dtype=object)[groups != held_out])
    doc = data.docs[held_out]
    _, item_scores = document_scores(model, doc)
    predicted = {(it.start, it.end): model.classes_[row.argmax()] for it, row in zip(doc.items, item_scores)}
    gold = [(data.spans[k], data.y[k]) for k in np.flatnonzero(groups == held_out) if data.units[k] == "item"]
    assert len(gold) >= 10
    assert np.mean([predicted[span] == label for span, label in gold]) >= 0.6
