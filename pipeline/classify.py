"""Key-area classification of paragraphs and items (placeholder until the model is trained)."""
from __future__ import annotations

from .document import Document


def classify_document(doc: Document) -> None:
    return None
