"""The document that flows through the stages: text in, records out.

Each stage is a plain function `stage(doc) -> None` that fills in some fields (layout fills
zones, meta, items, paragraphs; each extractor fills its own record list).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .records import DateMention, DocNumber, Item, Meta, Paragraph, Quantity, Reference, Responsibility, Zone
from .textnorm import doc_id_for, fold


@dataclass
class Document:
    text: str
    source: str = "<text>"
    format: str = "txt"
    encoding: str | None = None
    doc_id: str = field(init=False)
    folded: str = field(init=False, repr=False)
    zones: list[Zone] = field(default_factory=list)
    meta: Meta = field(default_factory=Meta)
    items: list[Item] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    doc_numbers: list[DocNumber] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    responsibilities: list[Responsibility] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    metrics: list | None = None  # canonical metric records (pipeline.extract.metrics), None until that stage
    timings: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.doc_id = doc_id_for(self.text)
        self.folded = fold(self.text)

    # --- lookups used by extractors -------------------------------------------------------
    def item_at(self, pos: int) -> Item | None:
        """The innermost item whose span contains `pos` (items nest: walk up from the last start)."""
        starts = self._cached("_istarts", self.items, lambda: [it.start for it in self.items])
        i = bisect.bisect_right(starts, pos) - 1
        it = self.items[i] if i >= 0 else None
        while it is not None and not (it.start <= pos < it.end):
            it = self.items[it.parent_id] if it.parent_id is not None else None
        return it

    def paragraph_at(self, pos: int) -> Paragraph | None:
        starts = self._paragraph_starts()
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and self.paragraphs[i].start <= pos < self.paragraphs[i].end:
            return self.paragraphs[i]
        return None

    def _paragraph_starts(self) -> list[int]:
        return self._cached("_pstarts", self.paragraphs, lambda: [p.start for p in self.paragraphs])

    def _cached(self, name: str, source: list, build):
        """A start-offset index, rebuilt when the list it indexes was replaced or resized."""
        key, value = getattr(self, name, (None, None))
        if key != (id(source), len(source)):
            value = build()
            setattr(self, name, ((id(source), len(source)), value))
        return value

    def in_doc_number(self, start: int, end: int) -> bool:
        """True when [start, end) overlaps any 发文字号 of the text (own or cited)."""
        return any(d.start < end and start < d.end for d in self.doc_numbers)
