"""The Python API: extract_text tables, and nothing heavy at import time."""
from __future__ import annotations

import subprocess
import sys

from pipeline import extract_text
from pipeline.tables import COLUMNS


def test_api_import_loads_nothing_heavy():
    code = ("import sys, pipeline, pipeline.numbers, pipeline.dates;"
            "heavy = {'pandas', 'jieba', 'spacy', 'sklearn', 'pdfminer', 'skops'} & set(sys.modules);"
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_api_extract_text_returns_every_table_with_schema_columns():
    text = ("关于做好2021年政务公开工作的通知\n各村（社区）：\n一、公开信息\n全年共计发布信息217条，其中政策解读5000余条。\n"
            "（责任单位：党政办、各村）\n二、时间要求\n2021年9月底前完成，依据《某某办法》（某政发〔2020〕1号）。\n某某镇人民政府\n2021年3月2日\n")
    tables = extract_text(text, source="notice.txt")
    assert set(tables) == set(COLUMNS)
    for name, cols in COLUMNS.items():
        assert list(tables[name].columns) == [c for c, _ in cols]
    doc = tables["documents"].iloc[0]
    assert (doc["title"], doc["doc_type"], doc["issuer"], doc["date"], doc["period_year"]) == (
        "关于做好2021年政务公开工作的通知", "通知", "某某镇人民政府", "2021-03-02", 2021)
    q = tables["quantities"]
    assert list(zip(q["value"], q["unit"])) == [(217.0, "条"), (5000.0, "条")]
    assert bool(q["is_total"].iloc[0]) and q["approx"].iloc[1] == "余"
    assert list(tables["references"]["doc_number"]) == ["某政发〔2020〕1号"]
    r = tables["responsibilities"]
    assert list(zip(r["unit"], r["role"], r["catch_all"], r["item_number"])) == [
        ("党政办", "responsible", False, 1), ("各村", "responsible", True, 1)]
    d = tables["dates"]
    assert list(zip(d["date"], d["precision"], d["kind"]))[0] == ("2021-09-30", "month_end", "deadline")
