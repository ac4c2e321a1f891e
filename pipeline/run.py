"""The staged pipeline for one document: layout -> extractors -> classifier.

Each stage is a plain function over the Document; `process` times every stage into
`doc.timings` so that benchmarks can report where the time goes.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from .document import Document


def _layout(doc: Document) -> None:
    from .layout import analyze
    analyze(doc)


def _regions(doc: Document) -> None:
    from .regions import resolve
    doc.meta.extra["region"] = resolve(doc)


def _extractor(field: str) -> Callable[[Document], None]:
    def stage(doc: Document) -> None:
        from importlib import import_module
        module = import_module(f"pipeline.extract.{field}")
        setattr(doc, field, list(module.extract(doc)))
    stage.__name__ = field
    return stage


def _classify(doc: Document) -> None:
    from .classify import classify_document
    classify_document(doc)


STAGES: list[tuple[str, Callable[[Document], None]]] = [
    ("layout", _layout),
    ("regions", _regions),
    ("references", _extractor("references")),
    ("quantities", _extractor("quantities")),
    ("dates", _extractor("dates")),
    ("responsibilities", _extractor("responsibilities")),
    ("metrics", _extractor("metrics")),
    ("classify", _classify),
]


def process(doc: Document, stages=None) -> Document:
    for name, fn in stages or STAGES:
        t0 = time.perf_counter()
        fn(doc)
        doc.timings[name] = time.perf_counter() - t0
    return doc


def process_text(text: str, source: str = "<text>", **kw) -> Document:
    return process(Document(text, source=source, **kw))
