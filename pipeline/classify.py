"""Key-area classification of every paragraph and task item (shared/taxonomy.md).

One scikit-learn Pipeline: character n-grams of the text, jieba words (government user dictionary),
character n-grams of the enclosing headings, and layout features (outline level, position in the
document, whether the unit carries a deadline or figures, the document type). The fitted model is
saved with skops beside models/metrics.json and loaded lazily, once per process.
"""
from __future__ import annotations

import bisect
import functools
import os
import re
from pathlib import Path

from .document import Document

LABELS = ["power_enforcement", "decision_rules", "business_services", "public_finance", "projects_resources",
          "emergency_health", "poverty_rural", "livelihood", "environment", "interpretation_response",
          "request_disclosure", "platforms", "standardization", "organization", "problems_next", "general"]
NUMERIC_COLUMNS = ["level", "position", "has_deadline", "has_figures"]
# The project's own types in a saved model (skops trusts scikit-learn's, numpy's and scipy's itself).
TRUSTED_TYPES = ["pipeline.classify.jieba_tokens", "pipeline.classify.pkuseg_tokens", "pipeline.tfidf.FastTfidfVectorizer"]
MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "classifier.skops"
# What a paragraph is classified on: its first 300 characters (n-grams) and first 120 (words). Longer
# inputs gained at most 0.005 macro-F1 in cross-validation and cost time: words are the costliest
# feature (segmenting is most of the classifier's time).
_MAX_UNIT_CHARS = 300
_MAX_WORD_CHARS = 120
_AROUND_CHARS = 100  # of the paragraphs before and after: sections run on, and headings announce
# A report's 存在问题 / 下一步 parts (GUIDE.md: everything under them is problems_next).
_PROBLEMS_SECTION = re.compile("存在问题|存在的问题|不足|下一步|工作打算|工作思路|工作计划|明年|努力方向|改进")
FLAG_COLUMNS = ["problems_section", "preamble"]


# --- features ------------------------------------------------------------------------------------
def span_features(doc: Document, spans: list[tuple[int, int]]) -> list[dict]:
    """The classifier's input for each paragraph span [start, end) of a processed document."""
    n = max(len(doc.text), 1)
    deadlines = sorted(d.start for d in doc.dates if d.kind == "deadline")
    figures = sorted(q.start for q in doc.quantities)
    title = doc.meta.title or ""
    paragraphs, starts = doc.paragraphs, doc._paragraph_starts()
    rows = []
    for start, end in spans:
        chain, it = [], doc.item_at(start)
        level = it.level if it else 0
        while it is not None:
            chain.append(it.heading[:40])
            it = doc.items[it.parent_id] if it.parent_id is not None else None
        headings = " / ".join(reversed(chain))
        before = bisect.bisect_right(starts, start) - 2  # the paragraph before the one holding `start`
        after = bisect.bisect_left(starts, end)
        rows.append({
            "text": doc.text[start:min(end, start + _MAX_UNIT_CHARS)],
            "head": doc.text[start:min(end, start + _MAX_WORD_CHARS)],
            "context": headings + " | " + title,
            "around": (paragraphs[before].text[:_AROUND_CHARS] if before >= 0 else "") + " | "
                      + (paragraphs[after].text[:_AROUND_CHARS] if after < len(paragraphs) else ""),
            "doc_type": doc.meta.doc_type or "其他",
            "level": float(level),
            "position": start / n,
            "has_deadline": float(_any_between(deadlines, start, end)),
            "has_figures": float(_any_between(figures, start, end)),
            "problems_section": float(bool(_PROBLEMS_SECTION.search(headings))),
            "preamble": float(level == 0),
        })
    return rows


def _any_between(sorted_starts: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_left(sorted_starts, start)
    return i < len(sorted_starts) and sorted_starts[i] < end


def jieba_tokens(text: str) -> list[str]:
    from .words import words
    return [w for w in words(text) if w.strip()]


def pkuseg_tokens(text: str) -> list[str]:
    from .words import pkuseg_words
    return [w for w in pkuseg_words(text) if w.strip()]


def build_classifier(words: str = "jieba", seed: int = 0, C: float = 0.25):
    """The classifier as one Pipeline. `words`: "jieba" (default), "pkuseg", or "none" (chars only).

    A linear SVM beat logistic regression by about 0.08 macro-F1 in grouped cross-validation (and
    sigmoid calibration cost 0.03, so `score` is a softmax of the margins instead: a confidence to
    rank and threshold by, not a calibrated probability). Layout and document-type features are
    down-weighted: at full weight they drown the text features. The paragraphs before and after
    (sections run on; a heading announces what follows) and the problems-section flag added 0.017
    macro-F1 together, with C lowered from 0.5 to 0.25."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder
    from sklearn.svm import LinearSVC

    from .tfidf import FastTfidfVectorizer as TfidfVectorizer
    parts = [
        ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2,
                                  max_features=40000), "text"),
        ("context", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                    max_features=5000), "context"),
        ("around", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                   max_features=8000), "around"),
        ("doc_type", OneHotEncoder(handle_unknown="ignore"), ["doc_type"]),
        ("layout", MinMaxScaler(), NUMERIC_COLUMNS),
        ("flags", "passthrough", FLAG_COLUMNS),
    ]
    if words != "none":
        tokenizer = {"jieba": jieba_tokens, "pkuseg": pkuseg_tokens}[words]
        parts.insert(1, ("words", TfidfVectorizer(tokenizer=tokenizer, token_pattern=None, lowercase=False,
                                                  sublinear_tf=True, min_df=2, max_features=15000), "head"))
    svm = LinearSVC(C=C, class_weight="balanced", random_state=seed)
    return Pipeline([
        ("features", ColumnTransformer(parts, transformer_weights={"layout": 0.3, "doc_type": 0.3,
                                                                   "around": 0.5, "flags": 0.5})),
        ("clf", svm),
    ])


# --- the keyword baseline -----------------------------------------------------------------------
def keyword_baseline_predict(texts: list[str]) -> list[str]:
    """Label by the taxonomy's typical words: the label whose words occur most often wins."""
    lexicon = _taxonomy_lexicon()
    out = []
    for t in texts:
        scores = {lab: sum(t.count(w) for w in ws) for lab, ws in lexicon.items()}
        best = max(scores, key=scores.get)
        out.append(best if scores[best] > 0 else "general")
    return out


@functools.lru_cache(maxsize=1)
def _taxonomy_lexicon() -> dict[str, list[str]]:
    import json
    from importlib import resources
    data = resources.files("pipeline.resources").joinpath("taxonomy_words.json").read_text(encoding="utf-8")
    return json.loads(data)


# --- applying the model --------------------------------------------------------------------------
def load_model(path: str | None = None):
    """The trained Pipeline from models/classifier.skops or $ZWGK_MODEL (None when no model has been
    trained). Loaded once per process and file version: a worker forked from a warm parent reuses it."""
    path = Path(path or os.environ.get("ZWGK_MODEL", MODEL_PATH))
    if not path.exists():
        return None
    return _load_model(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _load_model(path: str, mtime_ns: int):
    import skops.io as sio
    model = sio.load(path, trusted=TRUSTED_TYPES)
    _release_freed_memory()
    return model


def _release_freed_memory() -> None:
    """Loading parses a JSON schema; hand the freed heap back to the OS."""
    import gc
    from .memory import malloc_trim
    gc.collect()
    malloc_trim()


def decision_function(model, rows: list[dict]):
    """model.decision_function on plain rows, without the DataFrame and ColumnTransformer machinery
    (which costs ~30 ms per call, more than classifying a short document, and pandas' memory in
    every worker); same numbers."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder
    features = model.named_steps["features"]
    weights = features.transformer_weights or {}
    blocks = []
    for name, transformer, columns in features.transformers_:
        if transformer == "drop" or name == "remainder":
            continue
        if isinstance(columns, str):
            block = transformer.transform([r[columns] for r in rows])
        elif isinstance(transformer, FunctionTransformer) and transformer.func is None:  # "passthrough" once fitted
            block = np.array([[r[c] for c in columns] for r in rows], dtype=float)
        elif isinstance(transformer, MinMaxScaler):  # its transform, on an array instead of a DataFrame
            block = np.array([[r[c] for c in columns] for r in rows], dtype=float) * transformer.scale_ + transformer.min_
        elif isinstance(transformer, OneHotEncoder) and len(columns) == 1:  # one column, unknowns ignored
            index = {c: i for i, c in enumerate(transformer.categories_[0].tolist())}
            hits = [(i, index[r[columns[0]]]) for i, r in enumerate(rows) if r[columns[0]] in index]
            block = sp.csr_matrix((np.ones(len(hits)), ([i for i, _ in hits], [j for _, j in hits])),
                                  shape=(len(rows), len(index)))
        else:
            raise TypeError(f"decision_function: no fast path for feature block {name!r}")
        blocks.append(sp.csr_matrix(block) * weights.get(name, 1.0))
    return model.named_steps["clf"].decision_function(sp.hstack(blocks).tocsr())


def _softmax(margins, temperature: float = 0.3):
    import numpy as np
    z = np.asarray(margins) / temperature
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def document_scores(model, doc: Document):
    """Label confidences of every paragraph and every item of a processed document: (P, I), rows in
    the order of doc.paragraphs / doc.items, columns in the order of model.classes_.

    An item is classified on its own span (its heading and the start of its text): in grouped
    cross-validation that beat a vote of its paragraphs by 0.05 macro-F1 on items. A paragraph that
    is only the heading line of a longer item is about what the item is about (GUIDE.md rule 4), so
    its confidences are averaged with the item's (+0.008 macro-F1 on paragraphs)."""
    import numpy as np
    paragraph_index = {(p.start, p.end): i for i, p in enumerate(doc.paragraphs)}
    own = [j for j, it in enumerate(doc.items) if (it.start, it.end) not in paragraph_index]
    spans = [(p.start, p.end) for p in doc.paragraphs] + [(doc.items[j].start, doc.items[j].end) for j in own]
    scores = _softmax(decision_function(model, span_features(doc, spans)))  # one call: its overhead is per call
    P = scores[:len(doc.paragraphs)]
    I = np.zeros((len(doc.items), P.shape[1]))
    I[own] = scores[len(doc.paragraphs):]
    item_at_start = {}
    for j, it in enumerate(doc.items):
        item_at_start.setdefault(it.start, j)  # the outermost item starting here
    for i, p in enumerate(doc.paragraphs):
        j = item_at_start.get(p.start)
        if j is not None and doc.items[j].end > p.end:
            P[i] = (P[i] + I[j]) / 2
    for j, it in enumerate(doc.items):
        i = paragraph_index.get((it.start, it.end))
        if i is not None:
            I[j] = P[i]  # a one-paragraph item is that paragraph, as finally scored
    return P, I


def classify_document(doc: Document) -> None:
    """Fill paragraphs' category/score and items' category."""
    model = load_model()
    if model is None or not doc.paragraphs:
        return
    P, I = document_scores(model, doc)
    classes = model.classes_
    for p, row in zip(doc.paragraphs, P):
        best = row.argmax()
        p.category, p.score = str(classes[best]), float(row[best])
    for it, row in zip(doc.items, I):
        it.category = str(classes[row.argmax()])
