"""`zwgk train`: fit the paragraph classifier on corpus/labels and measure it.

Cross-validation is grouped by document (no document on both sides). The same folds score the
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
from importlib import metadata
from pathlib import Path

from .classify import LABELS, MODEL_PATH, build_classifier, keyword_baseline_predict, span_features

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = {"seeds": ROOT / "corpus" / "seeds",
               "pingtan": ROOT.parent / "shared" / "corpus" / "pingtan",
               "bulk": ROOT.parent / "shared" / "bulk" / "national_gov_work_reports"}
FOLDS = 5


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


def training_table(labels: list[dict]):
    """Features of every labeled span (documents processed once each), its label, its document and
    its kind of unit (paragraph or item)."""
    import pandas as pd
    from .document import Document
    from .ingest import read_document
    from .run import STAGES, process
    stages = [(n, f) for n, f in STAGES if n != "classify"]
    by_file: dict[tuple, list[dict]] = {}
    for r in labels:
        by_file.setdefault((r["collection"], r["file"]), []).append(r)
    rows, y, groups, units, missing = [], [], [], [], []
    for (collection, name), recs in sorted(by_file.items()):
        path = COLLECTIONS[collection] / name
        if not path.exists():
            missing.append(str(path))
            continue
        doc = process(Document(read_document(path).text, source=name), stages)
        rows += span_features(doc, [(r["start"], r["end"]) for r in recs])
        y += [r["label"] for r in recs]
        groups += [name] * len(recs)
        units += [r.get("unit", "paragraph") for r in recs]
    return pd.DataFrame(rows), y, groups, units, missing


def _scores(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
    return {"accuracy": accuracy_score(y_true, y_pred),
            "macro_f1": f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0),
            "per_label": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                          for i, lab in enumerate(LABELS)}}


def _by_unit(y, pred, units) -> dict:
    """Accuracy and macro-F1 of the paragraphs and of the items, apart."""
    out = {}
    for kind in sorted(set(units)):
        idx = [i for i, u in enumerate(units) if u == kind]
        s = _scores([y[i] for i in idx], [pred[i] for i in idx])
        out[kind] = {"units": len(idx), "accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}
    return out


def cross_validate(X, y, groups, words: str, seed: int = 0) -> list[str]:
    from sklearn.model_selection import GroupKFold
    import numpy as np
    pred = np.empty(len(y), dtype=object)
    y_arr = np.array(y, dtype=object)
    for train_idx, test_idx in GroupKFold(n_splits=FOLDS).split(X, y, groups):
        model = build_classifier(words=words, seed=seed).fit(X.iloc[train_idx], y_arr[train_idx])
        pred[test_idx] = model.predict(X.iloc[test_idx])
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
    X, y, groups, units, missing = training_table(labels)
    print(f"[zwgk train] {len(y)} labeled units from {len(set(groups))} documents"
          + (f" ({len(missing)} documents not found)" if missing else ""), file=log)
    variants = ["jieba", "none"] + (["pkuseg"] if pkuseg_available() else [])
    comparison, predictions = {}, {}
    for v in variants:
        ts = time.perf_counter()
        predictions[v] = cross_validate(X, y, groups, v)
        comparison[v] = _scores(y, predictions[v]) | {"seconds": round(time.perf_counter() - ts, 1)}
        print(f"[zwgk train] {v}: macro-F1 {comparison[v]['macro_f1']:.3f} accuracy {comparison[v]['accuracy']:.3f}",
              file=log)
    comparison["keyword_baseline"] = _scores(y, keyword_baseline_predict(list(X["text"])))
    chosen = "jieba"
    model = build_classifier(words=chosen).fit(X, y)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, model_path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    cm = confusion_matrix(y, predictions[chosen], labels=LABELS)
    metrics = {
        "model": {"file": model_path.name, "words": chosen, "estimator": "LinearSVC over TF-IDF "
                  "char 1-3 grams + jieba words + heading and neighbour char n-grams + layout features"},
        "cross_validation": {"scheme": f"GroupKFold({FOLDS}) by document", **comparison[chosen],
                             "by_unit": _by_unit(y, predictions[chosen], units)},
        "comparison": {k: {"macro_f1": v["macro_f1"], "accuracy": v["accuracy"]} for k, v in comparison.items()},
        "confusion_matrix": {"labels": LABELS, "rows_true_columns_predicted": cm.tolist()},
        "data": {"units": len(y), "documents": len(set(groups)), "label_counts": dict(Counter(y)),
                 "labels_sha256": labels_hash(labels_dir), "missing_documents": missing},
        "versions": _versions(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (model_path.parent / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    return metrics
