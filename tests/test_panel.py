"""pipeline.panel: metrics by place and year, long and wide, from an output folder of zwgk extract."""
from __future__ import annotations

import doctest
from pathlib import Path

import pandas as pd
import pytest

import pipeline.panel
from pipeline import extract_paths
from pipeline.cli import main
from pipeline.metrics_table import METRICS_COLUMNS, metrics_frame
from pipeline.panel import LONG_COLUMNS, WIDE_KEYS, build_panel

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "corpus" / "seeds"
REQUIRED_LONG = ["region_code", "province", "city", "county", "township", "year", "doc_type", "metric", "value",
                 "doc_id", "start", "end"]


def test_panel_doctests():
    result = doctest.testmod(pipeline.panel)
    assert result.attempted > 0 and result.failed == 0


# --- hand-made tables: the reduction rule ---------------------------------------------------------

def _doc(doc_id, text, doc_type, year, issuer, **region):
    row = {"doc_id": doc_id, "source": f"{doc_id}.txt", "format": "txt", "encoding": "utf-8", "text": text,
           "doc_type": doc_type, "period_year": year, "issuer": issuer}
    row.update({c: region.get(c) for c in ("province", "city", "county", "township", "region_code")})
    return row


def _metric(doc_id, text, metric, value, source, needle):
    start = text.index(needle)
    return {"doc_id": doc_id, "metric": metric, "label": None, "value": value, "unit": "条", "source": source,
            "row_label": None, "column_label": None, "text": needle, "start": start, "end": start + len(needle),
            "quantity_start": start if source == "prose" else None}


@pytest.fixture()
def handmade(tmp_path):
    t_report = "甲镇2021年年度报告。全年主动公开政府信息120条。统计表 主动公开信息数 条 118 900"
    t_summary = "甲镇2021年工作总结。全年主动公开政府信息130条。"
    t_other = "乙镇2021年年度报告。全年在政府网站公示各类信息75条，另在网站发布信息80条。"
    t_2022 = "甲镇2022年年度报告。全年主动公开政府信息140条。"
    docs = pd.DataFrame([
        _doc("a1", t_report, "年度报告", 2021, "甲镇人民政府"),
        _doc("a2", t_summary, "总结", 2021, "甲镇人民政府办公室"),
        _doc("b1", t_other, "年度报告", 2021, "乙镇人民政府"),
        _doc("a3", t_2022, "年度报告", 2022, "甲镇人民政府"),
        _doc("c1", "没有数字的通知。", "通知", 2021, "丙镇人民政府"),
    ])
    metrics = metrics_frame([
        _metric("a1", t_report, "active_disclosure", 120, "prose", "全年主动公开政府信息120条"),
        _metric("a1", t_report, "active_disclosure", 118, "table", "118"),
        _metric("a2", t_summary, "active_disclosure", 130, "prose", "全年主动公开政府信息130条"),
        _metric("b1", t_other, "website_posts", 75, "prose", "全年在政府网站公示各类信息75条"),
        _metric("b1", t_other, "website_posts", 80, "prose", "另在网站发布信息80条"),
        _metric("a3", t_2022, "active_disclosure", 140, "prose", "全年主动公开政府信息140条"),
    ])
    docs.to_parquet(tmp_path / "documents.parquet", index=False)
    metrics.to_parquet(tmp_path / "metrics.parquet", index=False)
    return tmp_path


def test_panel_long_columns_and_spans(handmade):
    long, _ = build_panel(handmade)
    assert list(long.columns)[:12] == REQUIRED_LONG
    assert list(long.columns) == [c for c, _ in LONG_COLUMNS]
    docs = pd.read_parquet(handmade / "documents.parquet").set_index("doc_id")
    for r in long.itertuples(index=False):
        assert docs.loc[r.doc_id, "text"][r.start:r.end] == r.text
    assert len(long) == 6 and set(long["place"]) == {"甲镇", "乙镇"}
    assert (handmade / "panel_long.parquet").exists() and (handmade / "panel_wide.parquet").exists()


def test_panel_wide_one_row_per_place_year_and_reduction(handmade):
    _, wide = build_panel(handmade)
    assert list(wide.columns)[:len(WIDE_KEYS)] == WIDE_KEYS
    assert not wide.duplicated(["place", "year"]).any()
    cell = wide.set_index(["place", "year"])
    # 甲镇 2021: the 年度报告's table cell (118) beats its prose (120) and the 总结's larger 130
    assert cell.loc[("甲镇", 2021), "active_disclosure"] == 118
    # 乙镇 2021: two prose figures of one report: the larger
    assert cell.loc[("乙镇", 2021), "website_posts"] == 80
    assert cell.loc[("甲镇", 2022), "active_disclosure"] == 140
    assert pd.isna(cell.loc[("乙镇", 2021), "active_disclosure"])
    assert list(wide.columns[len(WIDE_KEYS):]) == ["active_disclosure", "website_posts"]  # catalog order


def test_panel_region_columns_win_over_issuer(tmp_path, handmade):
    docs = pd.read_parquet(handmade / "documents.parquet")
    docs.loc[docs["doc_id"].isin(["a1", "a2", "a3"]), ["province", "county", "township", "region_code"]] = \
        ["福建省", "平潭县", "甲镇", "350128100"]
    docs.to_parquet(handmade / "documents.parquet", index=False)
    long, wide = build_panel(handmade, write=False)
    jia = wide[wide["township"] == "甲镇"]
    assert len(jia) == 2 and set(jia["region_code"]) == {"350128100"} and set(jia["place"]) == {"甲镇"}
    yi = wide[wide["place"] == "乙镇"]
    assert len(yi) == 1 and pd.isna(yi["region_code"].iloc[0]) and pd.isna(yi["township"].iloc[0])
    assert not (handmade / "panel_long.parquet").exists()      # write=False


def test_panel_csv_has_bom(handmade):
    build_panel(handmade, fmt="csv")
    raw = (handmade / "panel_wide.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    wide = pd.read_csv(handmade / "panel_wide.csv", encoding="utf-8-sig")
    assert "甲镇" in set(wide["place"])


def test_panel_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError):
        build_panel(tmp_path)
    with pytest.raises(ValueError):
        build_panel(tmp_path, fmt="xlsx")
    assert main(["panel", str(tmp_path / "missing")]) == 2


# --- end to end: zwgk extract, then the panel ----------------------------------------------------

REPORT = ("丁镇人民政府2021年政府信息公开工作年度报告\n"
          "一、总体情况\n全年在政府网站公示各类信息88条，主动公开规范性文件数4个。本年度共收到3件申请，及时办结3件。\n")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    for name in ("000_46ec87d9369d40f2.txt", "004_c3329c0d0ce8bcc7.txt"):
        (src / name).write_bytes((SEEDS / name).read_bytes())
    (src / "ding_2021.txt").write_text(REPORT, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    extract_paths([src], out, jobs=1, progress=False)
    return out


def test_panel_end_to_end(extracted):
    if (extracted / "metrics.parquet").exists():   # the extract stage writes the table once it is wired
        (extracted / "metrics.parquet").unlink()
    long, wide = build_panel(extracted)            # without a metrics table: computed from documents.text
    cell = wide.set_index(["place", "year"])
    assert cell.loc[("古木镇", 2018), "normative_docs"] == 30
    assert cell.loc[("古木镇", 2018), "website_posts"] == 75
    assert cell.loc[("盏西镇", 2020), "trainings"] == 1
    assert cell.loc[("丁镇", 2021), "website_posts"] == 88
    assert cell.loc[("丁镇", 2021), "applications_new"] == 3
    docs = pd.read_parquet(extracted / "documents.parquet").set_index("doc_id")
    for r in long.itertuples(index=False):
        assert docs.loc[r.doc_id, "text"][r.start:r.end] == r.text


def test_panel_from_a_metrics_table_gives_the_same(extracted):
    recomputed, _ = build_panel(extracted, write=False)
    from pipeline.document import Document
    from pipeline.metrics_table import metric_rows
    from pipeline.run import process
    docs = pd.read_parquet(extracted / "documents.parquet")
    rows = []
    for r in docs.itertuples(index=False):
        rows.extend(metric_rows(process(Document(r.text, source=r.source, format=r.format, encoding=r.encoding))))
    frame = metrics_frame(rows)
    assert list(frame.columns) == [c for c, _ in METRICS_COLUMNS]
    frame.to_parquet(extracted / "metrics.parquet", index=False)
    try:
        stored, _ = build_panel(extracted, write=False)
    finally:
        (extracted / "metrics.parquet").unlink()
    pd.testing.assert_frame_equal(recomputed, stored)


def test_panel_cli(extracted, capsys):
    assert main(["panel", str(extracted), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "place-years" in out and "panel_wide.csv" in out
    assert (extracted / "panel_long.csv").read_bytes().startswith(b"\xef\xbb\xbf")
