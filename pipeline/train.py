"""`zwgk train`: fit the paragraph classifier on corpus/labels and measure it.

Cross-validation is grouped by document (no document on both sides) and classifies each held-out
document the way a run does (pipeline.classify.document_scores). The same folds score the
chosen model, a character-only variant, a spacy-pkuseg variant (when its model is installed) and the
keyword-lexicon baseline; the winner is fitted on all labels and saved with skops, and
models/metrics.json records per-label precision/recall/F1, the confusion matrix, the training data's
hash and the package versions.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .classify import LABELS, MODEL_PATH, build_classifier, document_scores, keyword_baseline_predict, span_features
from .document import Document

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = {"seeds": ROOT / "corpus" / "seeds",
               "pingtan": ROOT.parent / "shared" / "corpus" / "pingtan",
               "bulk": ROOT.parent / "shared" / "bulk" / "national_gov_work_reports"}
FOLDS = 5
# National government work reports are another genre (long policy paragraphs, few of the disclosure
# labels): they teach the policy fields' vocabulary, but at full weight they pulled the local
# documents' units down (grouped CV on seeds + Pingtan units: macro-F1 0.746 at weight 0.4, 0.736 at 1.0).
BULK_WEIGHT = 0.4


def load_labels(labels_dir: Path) -> list[dict]:
    rows = []
    for f in sorted(labels_dir.glob("part*.jsonl")):
        rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def labels_hash(labels_dir: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(labels_dir.glob("part*.jsonl")):
        h.update(f.read_bytes())
    return h.hexdigest()


@dataclass
class LabeledSet:
    """Every labeled unit: its features (X, one row per unit), label, document and kind of unit, with the
    processed documents themselves (cross-validation classifies them the way a run does)."""
    X: "pd.DataFrame"
    y: list[str]
    groups: list[str]
    units: list[str]
    collections: list[str]
    spans: list[tuple[int, int]]
    docs: dict[str, Document]
    missing: list[str]


def training_table(labels: list[dict]) -> LabeledSet:
    """Features of every labeled span (documents processed once each), its label, its document and
    its kind of unit (paragraph or item)."""
    import pandas as pd
    from .ingest import read_document
    from .run import STAGES, process
    stages = [(n, f) for n, f in STAGES if n != "classify"]
    by_file: dict[tuple, list[dict]] = {}
    for r in labels:
        by_file.setdefault((r["collection"], r["file"]), []).append(r)
    data = LabeledSet(None, [], [], [], [], [], {}, [])
    rows = []
    for (collection, name), recs in sorted(by_file.items()):
        path = COLLECTIONS[collection] / name
        if not path.exists():
            data.missing.append(str(path))
            continue
        doc = process(Document(read_document(path).text, source=name), stages)
        spans = [(r["start"], r["end"]) for r in recs]
        rows += span_features(doc, spans)
        data.docs[name] = doc
        data.spans += spans
        data.y += [r["label"] for r in recs]
        data.groups += [name] * len(recs)
        data.units += [r.get("unit", "paragraph") for r in recs]
        data.collections += [collection] * len(recs)
    data.X = pd.DataFrame(rows)
    return data


def _scores(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
    return {"accuracy": accuracy_score(y_true, y_pred),
            "macro_f1": f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0),
            "per_label": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                          for i, lab in enumerate(LABELS)}}


def _by(y, pred, keys) -> dict:
    """Accuracy and macro-F1 of each kind of unit apart (keys: one per unit, e.g. paragraph/item)."""
    out = {}
    for kind in sorted(set(keys)):
        idx = [i for i, k in enumerate(keys) if k == kind]
        s = _scores([y[i] for i in idx], [pred[i] for i in idx])
        out[kind] = {"units": len(idx), "accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}
    return out


def fit(data: LabeledSet, words: str, rows=None, seed: int = 0):
    """The classifier fitted on the labeled units `rows` (all when None), national reports at BULK_WEIGHT."""
    import numpy as np
    rows = np.arange(len(data.y)) if rows is None else rows
    weights = np.array([BULK_WEIGHT if c == "bulk" else 1.0 for c in data.collections])
    return build_classifier(words=words, seed=seed).fit(
        data.X.iloc[rows], np.array(data.y, dtype=object)[rows], clf__sample_weight=weights[rows])


def cross_validate(data: LabeledSet, words: str, seed: int = 0) -> list[str]:
    """Out-of-fold labels of every unit, as a run would give them: each held-out document is
    classified whole (document_scores) and a unit takes the label of the paragraph or item with its
    span; a labeled span that is neither (cut by an older layout) is classified on its own."""
    import numpy as np
    from sklearn.model_selection import GroupKFold
    y = np.array(data.y, dtype=object)
    groups = np.array(data.groups)
    pred = np.empty(len(y), dtype=object)
    for train_idx, test_idx in GroupKFold(n_splits=FOLDS).split(data.X, y, groups):
        model = fit(data, words, train_idx, seed)
        classes, unmatched = model.classes_, []
        for name in set(groups[test_idx]):
            doc = data.docs[name]
            P, I = document_scores(model, doc)
            paragraph_row = {(p.start, p.end): P[i] for i, p in enumerate(doc.paragraphs)}
            item_row = {(it.start, it.end): I[j] for j, it in enumerate(doc.items)}
            for k in np.flatnonzero(groups == name):
                row = (item_row if data.units[k] == "item" else paragraph_row).get(data.spans[k])
                if row is None:
                    unmatched.append(k)
                else:
                    pred[k] = classes[row.argmax()]
        if unmatched:
            pred[unmatched] = model.predict(data.X.iloc[unmatched])
    return list(pred)


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("scikit-learn", "jieba", "skops", "numpy", "scipy", "pandas", "spacy-pkuseg"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def train(labels_dir: Path = ROOT / "corpus" / "labels", model_path: Path = MODEL_PATH, log=sys.stderr) -> dict:
    import skops.io as sio
    from sklearn.metrics import confusion_matrix
    try:
        from .words import pkuseg_available
    except ImportError:  # the optional segmenter is not part of this install
        def pkuseg_available():
            return False

    t0 = time.perf_counter()
    labels = load_labels(labels_dir)
    data = training_table(labels)
    X, y, groups, units, missing = data.X, data.y, data.groups, data.units, data.missing
    print(f"[zwgk train] {len(y)} labeled units from {len(set(groups))} documents"
          + (f" ({len(missing)} documents not found)" if missing else ""), file=log)
    variants = ["jieba", "none"] + (["pkuseg"] if pkuseg_available() else [])
    comparison, predictions = {}, {}
    for v in variants:
        ts = time.perf_counter()
        predictions[v] = cross_validate(data, v)
        comparison[v] = _scores(y, predictions[v]) | {"seconds": round(time.perf_counter() - ts, 1)}
        print(f"[zwgk train] {v}: macro-F1 {comparison[v]['macro_f1']:.3f} accuracy {comparison[v]['accuracy']:.3f}",
              file=log)
    comparison["keyword_baseline"] = _scores(y, keyword_baseline_predict(list(X["text"])))
    chosen = "jieba"
    model = fit(data, chosen)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, model_path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    cm = confusion_matrix(y, predictions[chosen], labels=LABELS)
    metrics = {
        "model": {"file": model_path.name, "words": chosen, "estimator": "LinearSVC over TF-IDF "
                  "char 1-3 grams + jieba words + heading and neighbour char n-grams + layout features",
                  "national_report_weight": BULK_WEIGHT},
        "cross_validation": {"scheme": f"GroupKFold({FOLDS}) by document", **comparison[chosen],
                             "by_unit": _by(y, predictions[chosen], units),
                             "by_collection": _by(y, predictions[chosen], data.collections),
                             "by_genre": _by(y, predictions[chosen], ["national report" if c == "bulk" else "local"
                                                                      for c in data.collections])},
        "comparison": {k: {"macro_f1": v["macro_f1"], "accuracy": v["accuracy"]} for k, v in comparison.items()},
        "confusion_matrix": {"labels": LABELS, "rows_true_columns_predicted": cm.tolist()},
        "data": {"units": len(y), "documents": len(set(groups)), "label_counts": dict(Counter(y)),
                 "labels_sha256": labels_hash(labels_dir), "missing_documents": missing},
        "versions": _versions(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (model_path.parent / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    return metrics
