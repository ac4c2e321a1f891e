"""Shared fixtures: paths to ../shared (tests that need it skip cleanly when it is absent)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = ROOT / "corpus" / "seeds"
PINGTAN = SHARED / "corpus" / "pingtan"
GOLD_SEEDS = SHARED / "gold" / "seeds"
GOLD_PINGTAN = ROOT / "corpus" / "gold" / "pingtan"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")


def gold_cases(gold_dir: Path, doc_dir: Path) -> list[tuple[Path, dict]]:
    """(document path, gold) pairs for every gold file whose document exists."""
    if not gold_dir.is_dir():
        return []
    out = []
    for g in sorted(gold_dir.glob("*.json")):
        gold = json.loads(g.read_text(encoding="utf-8"))
        path = doc_dir / gold["source"]
        if path.exists():
            out.append((path, gold))
    return out


@functools.lru_cache(maxsize=None)
def processed(path: Path):
    """The processed Document of a file (cached: several tests look at the same documents)."""
    from pipeline.document import Document
    from pipeline.ingest import read_document
    from pipeline.run import process
    ing = read_document(path)
    return process(Document(ing.text, source=path.name, format=ing.format, encoding=ing.encoding))
