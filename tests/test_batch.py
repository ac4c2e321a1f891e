"""pipeline.batch and the `zwgk` command: every input accounted for, hostile inputs survived."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import SEEDS
from hostile import make_hostile_folder
from pipeline.batch import run_batch
from pipeline.cli import main
from pipeline.tables import COLUMNS


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    expected = make_hostile_folder(folder)
    out = tmp_path_factory.mktemp("out")
    summary = run_batch([folder], out, jobs=2, progress=False)
    return expected, summary, out


def test_batch_every_hostile_input_lands_in_exactly_one_table(hostile_run):
    expected, summary, out = hostile_run
    docs = pd.read_parquet(out / "documents.parquet")
    errors = pd.read_parquet(out / "errors.parquet")
    in_docs, in_errors = set(docs["source"]), set(errors["source"])
    assert not in_docs & in_errors
    assert in_docs | in_errors == set(expected)
    for name, outcome in expected.items():
        table, _, detail = outcome.partition(":")
        if table == "documents":
            assert name in in_docs, name
            assert docs.loc[docs["source"] == name, "encoding"].item() == detail, name
        else:
            assert name in in_errors, name
            assert errors.loc[errors["source"] == name, "error"].item() == detail, name


def test_batch_script_text_never_reaches_documents(hostile_run):
    _, _, out = hostile_run
    docs = pd.read_parquet(out / "documents.parquet")
    html = docs.loc[docs["source"] == "script.html", "text"].item()
    assert "SCRIPT-LEAK" not in html and "COMMENT-LEAK" not in html
    assert "一、政务公开" in html


def test_batch_encodings_decode_to_the_same_text(hostile_run):
    _, _, out = hostile_run
    docs = pd.read_parquet(out / "documents.parquet").set_index("source")
    texts = {docs.loc[n, "text"] for n in ("gb18030.txt", "utf16_bom.txt", "utf16le_no_bom.txt", "utf8_bom.txt",
                                          "utf8.txt")}
    assert len(texts) == 1
    assert "\r" not in texts.pop()


@pytest.mark.parametrize("fmt", ["parquet", "csv", "xlsx", "duckdb"])
def test_cli_extract_writes_every_table(tmp_path, fmt, capsys):
    if not SEEDS.is_dir():
        pytest.skip("no seeds")
    assert main(["extract", str(SEEDS), "--out", str(tmp_path), "--format", fmt, "--jobs", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "5 documents, 0 errors" in printed
    if fmt in ("parquet", "csv"):
        for table, cols in COLUMNS.items():
            path = tmp_path / f"{table}.{fmt}"
            df = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path, encoding="utf-8-sig")
            assert list(df.columns) == [c for c, _ in cols]
        if fmt == "csv":
            assert (tmp_path / "documents.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    elif fmt == "xlsx":
        sheets = pd.read_excel(tmp_path / "zwgk.xlsx", sheet_name=None)
        assert set(sheets) == set(COLUMNS) and len(sheets["documents"]) == 5
    else:
        import duckdb
        con = duckdb.connect(str(tmp_path / "zwgk.duckdb"), read_only=True)
        assert con.execute("select count(*) from documents").fetchone()[0] == 5
        assert con.execute("select count(*) from items where level = 1").fetchone()[0] > 10


def test_cli_reports_missing_input(tmp_path, capsys):
    assert main(["extract", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_cli_help_explains_formats(capsys):
    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    assert "UTF-8 with BOM" in capsys.readouterr().out
