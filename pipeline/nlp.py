"""spaCy view of a processed document: a `spacy.blank("zh")` pipeline whose tokenizer is jieba with
the government user dictionary, and the extractors' records mapped onto `doc.spans[field]`.

Records are found on the raw text; the tokenizer keeps `Doc.text` identical to the input, so every
record maps onto tokens with `char_span(..., alignment_mode="expand")`. Used for token features and
displaCy views, never on the extraction path.
"""
from __future__ import annotations

import functools

from .document import Document

SPAN_FIELDS = ("items", "paragraphs", "quantities", "dates", "responsibilities", "references")


class JiebaTokenizer:
    """A spaCy tokenizer: jieba words, whitespace kept as tokens so that text round-trips."""

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str):
        from spacy.tokens import Doc
        from .words import words
        toks = [w for w in words(text) if w]
        spaces = [False] * len(toks)
        return Doc(self.vocab, words=toks, spaces=spaces)

    # spaCy serializes tokenizers with the pipeline; this one has no state of its own.
    def to_bytes(self, **kw):
        return b""

    def from_bytes(self, data, **kw):
        return self

    def to_disk(self, path, **kw):
        pass

    def from_disk(self, path, **kw):
        return self


@functools.lru_cache(maxsize=1)
def make_nlp():
    """spacy.blank("zh") with the jieba + user-dictionary tokenizer (built once per process)."""
    import spacy
    from spacy.tokens import Span
    nlp = spacy.blank("zh")
    nlp.tokenizer = JiebaTokenizer(nlp.vocab)
    for ext in ("value", "unit", "label", "record"):
        if not Span.has_extension(ext):
            Span.set_extension(ext, default=None)
    return nlp


def to_spacy(doc: Document):
    """A spaCy Doc of `doc.text` with one span group per extracted field."""
    nlp = make_nlp()
    sdoc = nlp(doc.text)
    for field in SPAN_FIELDS:
        spans = []
        for rec in getattr(doc, field):
            span = sdoc.char_span(rec.start, rec.end, label=field, alignment_mode="expand")
            if span is None:
                continue
            span._.record = rec
            span._.value = next((getattr(rec, a) for a in ("value", "date", "unit", "doc_number", "number")
                                 if hasattr(rec, a)), None)
            span._.unit = getattr(rec, "unit", None)
            span._.label = getattr(rec, "category", None) or getattr(rec, "role", None)
            spans.append(span)
        sdoc.spans[field] = spans
    return sdoc
