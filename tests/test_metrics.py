"""pipeline.extract.metrics: canonical metrics from prose and from the flattened 年度报告 tables.

The expected values of the Pingtan annual reports were read off the pages by hand (the rows of the
收到和处理 table add up: 新收 + 上年结转 = 办理结果总计 + 结转下年度, and the outcome rows sum
to 总计, so a wrong split shows); tests that read ../shared skip when it is absent.
"""
from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest

import pipeline.extract.metrics
from conftest import processed
from pipeline.extract.metrics import Metric, catalog, extract, split_cells
from pipeline.metrics_table import METRICS_COLUMNS, metric_rows, metrics_frame
from pipeline.run import process_text

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "corpus" / "seeds"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PINGTAN = SHARED / "corpus" / "pingtan"
needs_pingtan = pytest.mark.skipif(not PINGTAN.is_dir(), reason="../shared/corpus/pingtan is absent")
RESOURCE = ROOT / "pipeline" / "resources" / "metrics.json"


def _pingtan(prefix: str) -> Path:
    return next(PINGTAN.glob(f"{prefix}_*.txt"))


def _table(doc) -> dict[str, float]:
    return {m.metric: m.value for m in extract(doc) if m.source == "table"}


def _prose(doc) -> list[tuple[str, float]]:
    return [(m.metric, m.value) for m in extract(doc) if m.source == "prose"]


# --- the module and its resources ----------------------------------------------------------------

def test_metrics_doctests():
    result = doctest.testmod(pipeline.extract.metrics)
    assert result.attempted > 0 and result.failed == 0


def test_metrics_resource_is_complete():
    res = json.loads(RESOURCE.read_text(encoding="utf-8"))
    keys = [m["key"] for m in res["metrics"]]
    assert len(keys) == len(set(keys))
    for m in res["metrics"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", m["key"]), m["key"]
        assert m["label"] and m["en"] and m["unit"], m["key"]
        for field in ("patterns", "excludes", "requires", "sentence_excludes", "zero_patterns"):
            for rx in m.get(field, []):
                re.compile(rx)
        if m.get("patterns"):
            assert m.get("units"), f"{m['key']}: a prose rule needs its measure words"
    for t in res["tables"]:
        for r in t["rows"]:
            for k in ([r["key"]] if "key" in r else r["keys"]):
                assert not k or k in keys, (t["name"], k)
        for s in t.get("subtotals", []) + t.get("sums", []):
            assert s["key"] in keys and all(p in keys for p in s["parts"])


def test_metrics_catalog_keys_unique():
    keys = [c["key"] for c in catalog()]
    assert len(keys) == len(set(keys))
    assert "applications_new.natural_person" in keys and "active_disclosure.cumulative" in keys


# --- splitting glued digits ----------------------------------------------------------------------

APPLICANTS = [(6, [0, 1, 2, 3, 4, 5])]
REVIEWS = [(4, [0, 1, 2, 3]), (9, [5, 6, 7, 8]), (14, [10, 11, 12, 13])]


def _cells(s, types, **kw):
    return [[s[a:b] for a, b in cut] for cut in split_cells(s, types, **kw)]


@pytest.mark.parametrize("run, n, kw, expected", [
    ("640020470", 7, {"sums": APPLICANTS}, [["64", "0", "0", "2", "0", "4", "70"]]),
    ("630020469", 7, {"sums": APPLICANTS}, [["63", "0", "0", "2", "0", "4", "69"]]),
    ("21710000218", 7, {"sums": APPLICANTS}, [["217", "1", "0", "0", "0", "0", "218"]]),
    ("320000032", 7, {"sums": APPLICANTS}, [["32", "0", "0", "0", "0", "0", "32"]]),
    ("1100002", 7, {"sums": APPLICANTS}, [["1", "1", "0", "0", "0", "0", "2"]]),
    ("10203120001200000", 15, {"sums": REVIEWS},
     [["1", "0", "2", "0", "3", "12", "0", "0", "0", "12", "0", "0", "0", "0", "0"]]),
    ("21317000001324019", 15, {"sums": REVIEWS},
     [["2", "1", "3", "1", "7", "0", "0", "0", "0", "0", "13", "2", "4", "0", "19"]]),
    ("728", 2, {"le": [(0, 1)]}, [["7", "28"]]),
    ("018", 2, {"le": [(0, 1)]}, [["0", "18"]]),
    ("4251516", 2, {"breaks": [3], "le": [(0, 1)]}, [["425", "1516"]]),
    ("000", 3, {}, [["0", "0", "0"]]),
])
def test_metrics_split_cells_unique(run, n, kw, expected):
    assert _cells(run, ["int"] * n, **kw) == expected


@pytest.mark.parametrize("run, n, kw", [
    ("640020471", 7, {"sums": APPLICANTS}),     # no split adds up: nothing
    ("12", 7, {}),                              # fewer digits than cells
    ("0123", 2, {"sums": [(1, [0])]}),          # a cell with a leading zero is no number
])
def test_metrics_split_cells_inconsistent(run, n, kw):
    assert split_cells(run, ["int"] * n, **kw) == []


def test_metrics_split_cells_ambiguous_keeps_every_split():
    assert _cells("20263542", ["int", "int"], le=[(0, 1)]) == [["20", "263542"], ["202", "63542"], ["2026", "3542"]]
    assert len(split_cells("693665", ["int"] * 3)) > 1
    # 070, 本机关不掌握相关政府信息: both add up; the column identities of the table decide (22, 0)
    assert _cells("220000325", ["int"] * 7, sums=APPLICANTS) == [["2", "20", "0", "0", "0", "3", "25"],
                                                                  ["22", "0", "0", "0", "0", "3", "25"]]


def test_metrics_split_cells_types():
    assert _cells("18651.06", ["amount"]) == [["18651.06"]]
    assert _cells("24252.311082", ["amount"]) == []            # 6 decimals: not a 万元 amount
    assert _cells("120-5356", ["int", "signed", "int"], breaks=[3, 5]) == [["120", "-5", "356"]]


# --- prose ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("全年在政府网站公示各类信息75条，公示栏公示各类文件、信息71条。", [("website_posts", 75)]),
    ("古木镇严格审查公文公开属性，主动公开规范性文件数30个。", [("normative_docs", 30)]),
    ("全年主动公开我区各级单位政府信息2645条，主要通过政府网站进行公开。", [("active_disclosure", 2645)]),
    ("通过政府门户网站全年主动公开各类政府信息10407条。", [("active_disclosure", 10407)]),
    ("全年发布政策文件解读96篇，获得良好的传播效果。", [("policy_interpretations", 96)]),
    ("对29项涉及群众切身利益的重要政策文件进行解读。", [("policy_interpretations", 29)]),
    ("盏西镇于2020年7月21日开展政府信息与政务公开培训1次。", [("trainings", 1)]),
    ("本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。",
     [("applications_new", 70), ("resp_total", 69), ("applications_carried_over", 1)]),
    ("全年办理政府信息公开申请218件。", [("applications_new", 218)]),
    ("新浪中国平潭官方微博共发布微博1288条，拥有粉丝10659名。", [("media_posts", 1288), ("media_followers", 10659)]),
    ("全年共召开新闻发布会12场。", [("press_conferences", 12)]),
    ("2018年度我镇有行政复议2件，2件均维持原行政行为；行政诉讼2件，现法院还未判决。",
     [("review_total", 2), ("review_upheld", 2), ("suits_total", 2)]),
    ("2011年全区未收到有关政府信息公开的申请，未收到有关政府信息公开行政复议申请。",
     [("applications_new", 0), ("review_total", 0)]),
    ("2012年政府信息公开专栏访问量达24745人次。", [("column_visits", 24745)]),
    ("先后关停未进行规范管理的政务新媒体2个。", [("media_closed", 2)]),
])
def test_metrics_prose(text, expected):
    got = _prose(process_text(text))
    assert sorted(got) == sorted((k, float(v)) for k, v in expected)


@pytest.mark.parametrize("text", [
    "县直各单位主动公开政府信息2475条，占62.2%。",                  # a part, not the total
    "各乡镇主动公开政府信息1503条。",
    "其他应主动公开的信息946条。",                                  # a category
    "目前，区县已入驻审批服务部门和单位13个，开设窗口26个，共受理申请121510件。",  # approvals, not 依申请公开
    "中国平潭网与区行政服务中心共同累计收件9898件，累计办结9542件。",
    "各级领导干部带头解读政策年内一般不少于2次。",                    # a target
    "通过微信公众号发布20680批次农产品抽检情况。",                    # 批次 is no post count
    "开展精准扶贫、易地搬迁等方面政策解读工作63次。",
])
def test_metrics_prose_negatives(text):
    assert _prose(process_text(text)) == []


def test_metrics_offsets_and_quantity_link():
    doc = process_text("2021年，我镇政务公开通过政务公开平台共公开信息42条，虽然取得了一定的成效。")
    (m,) = extract(doc)
    assert (m.metric, m.value, m.source) == ("website_posts", 42.0, "prose")
    assert doc.text[m.start:m.end] == m.text == "我镇政务公开通过政务公开平台共公开信息42条"
    assert m.quantity_start in {q.start for q in doc.quantities}


# --- the seeds (in the repository) ---------------------------------------------------------------

def test_metrics_seed_004_annual_report():
    doc = processed(SEEDS / "004_c3329c0d0ce8bcc7.txt")
    got = dict(_prose(doc))
    assert got["normative_docs"] == 30          # 主动公开规范性文件数30个
    assert got["website_posts"] == 75           # 全年在政府网站公示各类信息75条
    assert got["policy_interpretations"] == 75  # 2018年共解读中央、省、州、市文件75件
    assert got["public_concern_responses"] == 103
    assert got["applications_new"] == 0         # 2018年全镇无依申请公开事项
    assert got["review_total"] == 2 and got["review_upheld"] == 2 and got["suits_total"] == 2


def test_metrics_seed_000_report():
    doc = processed(SEEDS / "000_46ec87d9369d40f2.txt")
    assert sorted(_prose(doc)) == [("policy_interpretations", 5.0), ("trainings", 1.0)]


def test_metrics_seed_plans_have_no_metrics():
    """A work plan (要点, 方案) sets targets, it reports no figures."""
    for name in ("001_f2202100f5efb3b4.txt", "002_082e87b5c50e481a.txt"):
        assert list(extract(processed(SEEDS / name))) == []


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_metrics_seed_spans(path):
    doc = processed(path)
    for m in extract(doc):
        assert isinstance(m, Metric)
        assert doc.text[m.start:m.end] == m.text


# --- the Pingtan annual reports (../shared) ------------------------------------------------------

APPLICATIONS_070 = {  # 2021 report, 收到和处理 table, total column
    "applications_new": 70, "applications_carried_in": 0, "resp_disclosed": 30, "resp_partial": 5,
    "withheld_internal": 1, "withheld_enforcement_file": 6, "withheld_query": 1, "resp_withheld": 8,
    "unavailable_not_held": 25, "resp_unavailable": 25, "resp_not_processed": 0, "other_other": 1,
    "resp_other": 1, "resp_total": 69, "applications_carried_over": 1,
}
APPLICATIONS_071 = {  # 2024 report
    "applications_new": 218, "applications_carried_in": 0, "resp_disclosed": 71, "resp_partial": 29,
    "withheld_state_secret": 4, "withheld_third_party": 3, "withheld_internal": 32, "resp_withheld": 39,
    "unavailable_not_held": 75, "resp_unavailable": 75, "notproc_repeat": 1, "resp_not_processed": 1,
    "other_no_correction": 1, "other_other": 2, "resp_other": 3, "resp_total": 218,
    "applications_carried_over": 0,
}


@needs_pingtan
@pytest.mark.parametrize("prefix, expected", [("070", APPLICATIONS_070), ("071", APPLICATIONS_071)])
def test_metrics_pingtan_applications_table(prefix, expected):
    got = _table(processed(_pingtan(prefix)))
    for key, value in expected.items():
        assert got.get(key) == value, key


@needs_pingtan
def test_metrics_pingtan_070_applicant_columns():
    got = _table(processed(_pingtan("070")))
    cols = ["natural_person", "business", "research", "public_interest", "legal_service", "other_org"]
    assert [got[f"applications_new.{c}"] for c in cols] + [got["applications_new"]] == [64, 0, 0, 2, 0, 4, 70]
    assert [got[f"resp_total.{c}"] for c in cols] + [got["resp_total"]] == [63, 0, 0, 2, 0, 4, 69]
    assert [got[f"resp_partial.{c}"] for c in cols] == [5, 0, 0, 0, 0, 0]   # "500000 5": the space is a cut
    # 220000325 splits as 2|20|… or 22|0|…; per column 总计 = sum of the outcome rows decides
    assert [got[f"unavailable_not_held.{c}"] for c in cols] == [22, 0, 0, 0, 0, 3]


@needs_pingtan
@pytest.mark.parametrize("prefix, expected", [
    ("070", {"review_upheld": 1, "review_other": 2, "review_total": 3, "suit_direct_upheld": 12,
             "suit_direct_total": 12, "suit_after_review_total": 0, "suits_total": 12}),
    ("071", {"review_upheld": 2, "review_corrected": 1, "review_other": 3, "review_pending": 1, "review_total": 7,
             "suit_direct_total": 0, "suit_after_review_upheld": 13, "suit_after_review_corrected": 2,
             "suit_after_review_other": 4, "suit_after_review_total": 19, "suits_total": 19}),
])
def test_metrics_pingtan_review_table(prefix, expected):
    got = _table(processed(_pingtan(prefix)))
    for key, value in expected.items():
        assert got.get(key) == value, key


@needs_pingtan
def test_metrics_pingtan_article20_table():
    got070 = _table(processed(_pingtan("070")))
    assert {k: got070[k] for k in ("regulations_issued", "licensing_decisions", "penalty_decisions",
                                   "coercion_decisions")} == {"regulations_issued": 0, "licensing_decisions": 2293,
                                                              "penalty_decisions": 1282, "coercion_decisions": 42}
    assert "normative_docs" not in got070      # 693665: no split is certain, nothing is emitted
    assert "fee_income" not in got070          # 24252.311082: no amount
    got071 = _table(processed(_pingtan("071")))
    assert got071["normative_docs"] == 62      # 6233440: the prose says 制发…62件, the rest stays open
    assert "normative_docs_repealed" not in got071 and "normative_docs_in_force" not in got071
    assert got071["fee_income"] == 18651.06 and got071["licensing_decisions"] == 4529


@needs_pingtan
@pytest.mark.parametrize("prefix, expected", [
    ("001", {"active_disclosure": 425, "active_disclosure.cumulative": 1516, "website_posts": 418,
             "gazette_posts": 7, "applications_new": 0, "review_total": 0}),
    ("002", {"active_disclosure": 2026, "active_disclosure.cumulative": 3542, "applications_new": 21,
             "applications_in_person": 18, "applications_email": 3, "resp_total": 21, "resp_disclosed": 17,
             "resp_disclosed.cumulative": 17, "resp_partial": 2, "resp_withheld": 2}),
    ("004", {"active_disclosure": 1853, "applications_new": 7, "applications_new.cumulative": 28,
             "applications_online": 4, "resp_total": 3, "resp_total.cumulative": 24, "resp_disclosed": 2,
             "resp_disclosed.cumulative": 19}),
    ("005", {"active_disclosure": 2543, "active_disclosure.cumulative": 78967, "applications_new": 1,
             "applications_letter": 1, "fee_waived": 0}),
    ("099", {"active_disclosure": 2122, "active_disclosure.cumulative": 10037, "website_posts": 2122}),
])
def test_metrics_pingtan_legacy_statistics_table(prefix, expected):
    got = _table(processed(_pingtan(prefix)))
    for key, value in expected.items():
        assert got.get(key) == value, key


@needs_pingtan
def test_metrics_pingtan_legacy_ambiguous_row_left_out():
    """002: 网站公开条17953304 splits several ways and 主动公开 = 网站 + 公报 does not hold in this
    report (2026 vs 1795 + 0): the row gives nothing rather than a guess."""
    got = _table(processed(_pingtan("002")))
    assert "website_posts" not in got and "website_posts.cumulative" not in got


@needs_pingtan
@pytest.mark.parametrize("prefix, expected", [
    ("070", [("active_disclosure", 2645), ("policy_interpretations", 29), ("applications_new", 70),
             ("resp_total", 69), ("applications_carried_over", 1), ("media_closed", 2), ("inspections", 4)]),
    ("071", [("active_disclosure", 10407), ("policy_interpretations", 96), ("opinion_solicitations", 53),
             ("online_interviews", 12), ("applications_new", 218), ("normative_docs", 62), ("media_closed", 5)]),
    ("099", [("active_disclosure", 2122), ("column_visits", 97402), ("applications_new", 0), ("review_total", 0),
             ("suits_total", 0)]),
])
def test_metrics_pingtan_prose(prefix, expected):
    assert _prose(processed(_pingtan(prefix))) == [(k, float(v)) for k, v in expected]


@needs_pingtan
def test_metrics_pingtan_spans_and_no_false_tables():
    for path in sorted(PINGTAN.glob("*.txt")):
        doc = processed(path)
        ms = list(extract(doc))
        for m in ms:
            assert doc.text[m.start:m.end] == m.text, (path.name, m)
        if doc.meta.doc_type != "年度报告":
            assert not any(m.source == "table" for m in ms), path.name


# --- synthetic: the 2019 template, spaced cells ---------------------------------------------------

REPORT_2019 = (
    "二、主动公开政府信息情况 第二十条第（一）项 信息内容 本年新制作数量 本年新公开数量 对外公开总数量 "
    "规章 0 0 0 规范性文件 3 3 25 第二十条第（五）项 信息内容 上一年项目数量 本年增/减 处理决定数量 "
    "行政许可 120 -5 356 其他对外管理服务事项 0 0 0 第二十条第（六）项 信息内容 上一年项目数量 本年增/减 "
    "处理决定数量 行政处罚 80 2 45 行政强制 10 0 3 第二十条第（八）项 信息内容 上一年项目数量 本年增/减 "
    "行政事业性收费 5 0 第二十条第（九）项 信息内容 采购项目数量 采购总金额 政府集中采购 12 345.6 "
    "三、收到和处理政府信息公开申请情况 申请人情况 自然人 法人或其他组织 总计 商业企业 科研机构 社会公益组织 "
    "法律服务机构 其他 一、本年新收政府信息公开申请数量 12 1 0 0 0 0 13 二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0 "
    "三、本年度办理结果 （一）予以公开 8 1 0 0 0 0 9 （二）部分公开（区分处理的，只计这一情形，不计其他情形） 1 0 0 0 0 0 1 "
    "（三）不予公开 1.属于国家秘密 0 0 0 0 0 0 0 2.其他法律行政法规禁止公开 0 0 0 0 0 0 0 "
    "3.危及“三安全一稳定” 0 0 0 0 0 0 0 4.保护第三方合法权益 0 0 0 0 0 0 0 5.属于三类内部事务信息 0 0 0 0 0 0 0 "
    "6.属于四类过程性信息 0 0 0 0 0 0 0 7.属于行政执法案卷 0 0 0 0 0 0 0 8.属于行政查询事项 0 0 0 0 0 0 0 "
    "（四）无法提供 1.本机关不掌握相关政府信息 2 0 0 0 0 0 2 2.没有现成信息需要另行制作 0 0 0 0 0 0 0 "
    "3.补正后申请内容仍不明确 0 0 0 0 0 0 0 （五）不予处理 1.信访举报投诉类申请 0 0 0 0 0 0 0 2.重复申请 0 0 0 0 0 0 0 "
    "3.要求提供公开出版物 0 0 0 0 0 0 0 4.无正当理由大量反复申请 0 0 0 0 0 0 0 "
    "5.要求行政机关确认或重新出具已获取信息 0 0 0 0 0 0 0 （六）其他处理 1 0 0 0 0 0 1 （七）总计 12 1 0 0 0 0 13 "
    "四、结转下年度继续办理 0 0 0 0 0 0 0 四、政府信息公开行政复议、行政诉讼情况 行政复议 行政诉讼 结果维持 结果纠正 "
    "其他结果 尚未审结 总计 未经复议直接起诉 复议后起诉 结果维持 结果纠正 其他结果 尚未审结 总计 结果维持 结果纠正 "
    "其他结果 尚未审结 总计 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 五、存在的主要问题及改进情况")


def test_metrics_template_2019_spaced():
    doc = process_text(REPORT_2019)
    got = _table(doc)
    assert {k: got.get(k) for k in ("normative_docs_made", "normative_docs", "normative_docs_in_force",
                                    "licensing_decisions", "penalty_decisions", "coercion_decisions",
                                    "procurement_projects", "procurement_amount")} == {
        "normative_docs_made": 3, "normative_docs": 3, "normative_docs_in_force": 25, "licensing_decisions": 356,
        "penalty_decisions": 45, "coercion_decisions": 3, "procurement_projects": 12, "procurement_amount": 345.6}
    assert got["applications_new"] == 13 and got["applications_new.business"] == 1
    assert got["resp_other"] == 1 and got["resp_total"] == 13 and got["resp_withheld"] == 0
    assert got["review_total"] == 1 and got["suits_total"] == 0
    for m in extract(doc):
        assert doc.text[m.start:m.end] == m.text


def test_metrics_table_glued_inconsistent_row_gives_nothing():
    """A row whose digits fit no split of the template (a typo in the report) is left out; its
    neighbours are not disturbed."""
    text = REPORT_2019.replace("（一）予以公开 8 1 0 0 0 0 9", "（一）予以公开8100008")
    got = _table(process_text(text))
    assert "resp_disclosed" not in got and "resp_disclosed.natural_person" not in got
    assert got["resp_partial"] == 1 and got["resp_total"] == 13


# --- the metrics table ---------------------------------------------------------------------------

def test_metrics_table_rows_and_frame():
    assert METRICS_COLUMNS[0] == ("doc_id", "string")
    doc = processed(SEEDS / "004_c3329c0d0ce8bcc7.txt")
    rows = metric_rows(doc)
    assert rows and all(r["doc_id"] == doc.doc_id for r in rows)
    df = metrics_frame(rows)
    assert list(df.columns) == [c for c, _ in METRICS_COLUMNS]
    row = df[df["metric"] == "normative_docs"].iloc[0]
    assert row["label"] == "主动公开规范性文件数" and row["value"] == 30 and row["source"] == "prose"
    assert doc.text[row["start"]:row["end"]] == row["text"]
    assert metrics_frame([]).empty
