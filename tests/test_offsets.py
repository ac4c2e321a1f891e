"""Offsets are sacred: text[start:end] == the row's text, for every row of every table."""
from __future__ import annotations

import pytest

from conftest import PINGTAN, SEEDS
from pipeline import extract_text

FILES = sorted(SEEDS.glob("*.txt")) + sorted(PINGTAN.glob("*.txt"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_offsets_every_row_points_at_its_text(path):
    text = path.read_text(encoding="utf-8")
    tables = extract_text(text, source=path.name)
    doc_text = tables["documents"]["text"].item()
    assert doc_text == text
    for name, df in tables.items():
        if "start" not in df.columns:
            continue
        for start, end, value in zip(df["start"], df["end"], df["text"]):
            assert doc_text[start:end] == value, (name, start, end)
