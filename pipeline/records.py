"""Typed records: one frozen dataclass per table row, every one carrying its span.

`text[start:end]` of the document is always the record's `text` (SCHEMA.md: offsets are sacred).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Zone:
    """A layout element: chrome, header, doc_number, signer, title, addressee, body, signature,
    date, note, imprint (版记), printed (印发 line), attachment."""
    kind: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Item:
    item_id: int
    parent_id: int | None
    level: int
    marker: str
    number: int
    path: str
    heading: str
    start: int
    end: int
    text: str
    style: str = ""
    category: str | None = None


@dataclass(slots=True)
class Paragraph:
    paragraph_id: int
    item_id: int | None
    start: int
    end: int
    text: str
    category: str | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    unit: str
    approx: str | None
    is_total: bool
    subject: str | None
    start: int
    end: int
    text: str
    item_id: int | None = None
    paragraph_id: int | None = None


@dataclass(frozen=True, slots=True)
class DateMention:
    date: str
    precision: str
    kind: str
    start: int
    end: int
    text: str
    item_id: int | None = None
    paragraph_id: int | None = None


@dataclass(frozen=True, slots=True)
class Responsibility:
    item_id: int | None
    item_number: int | None
    role: str
    role_text: str
    unit: str
    catch_all: bool
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Reference:
    title: str | None
    doc_number: str | None
    start: int
    end: int
    text: str
    agency: str | None = None
    year: int | None = None
    serial: int | None = None


@dataclass(slots=True)
class DocNumber:
    """A 发文字号 found in the text, normalized (brackets 〔〕, ASCII digits, no spaces)."""
    normalized: str
    agency: str
    year: int | None
    serial: int
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Meta:
    title: str | None = None
    title_span: tuple[int, int] | None = None
    doc_type: str | None = None
    doc_number: DocNumber | None = None
    issuer: str | None = None
    signer: str | None = None
    date: str | None = None
    printed_date: str | None = None
    published_date: str | None = None
    period_year: int | None = None
    extra: dict = field(default_factory=dict)
