"""pipeline.audit (issue 7): each check on real text, a planted-error evaluation, the page in Chromium.

Snippets are quoted from the seeds and the Pingtan pages (file named in each test); a planted error
is a real sentence with one number changed. The evaluation plants errors into copies of the real
documents, extracts and audits them, and scores what the audit found.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from pipeline import extract_paths, extract_text
from pipeline.audit.checks import (DocView, Tables, breakdown_groups, check_identity_metrics,
                                   check_identity_prose, check_plan_vs_report, check_restated,
                                   check_restated_metrics, check_shared_paragraphs, check_totals, check_yoy,
                                   claim_context, iter_texts, load_tables, normalize_quantities, run_checks,
                                   who_when)
from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "corpus" / "seeds"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PINGTAN = SHARED / "corpus" / "pingtan"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


# --- helpers ----------------------------------------------------------------------------------
def extracted(text: str, **meta) -> dict:
    tables = extract_text(text, source=meta.pop("source", "snippet.txt"))
    for k, v in meta.items():
        tables["documents"][k] = tables["documents"][k].astype(object)
        tables["documents"].loc[:, k] = v
    return tables


def view(text: str) -> DocView:
    t = extracted(text)
    q = normalize_quantities(t["quantities"])
    return DocView(t["documents"]["doc_id"].iloc[0], text, list(q.itertuples(index=False)))


def tables_of(docs: list[dict]) -> tuple[Tables, dict]:
    """Tables (as a run would read them) and claim contexts for several extracted snippets."""
    cat = {k: pd.concat([d[k] for d in docs], ignore_index=True)
           for k in ("documents", "quantities", "paragraphs", "items", "dates")}
    q = normalize_quantities(cat["quantities"])
    contexts = {}
    for d in docs:
        doc_id, text = d["documents"]["doc_id"].iloc[0], d["documents"]["text"].iloc[0]
        v = DocView(doc_id, text, list(q[q["doc_id"] == doc_id].itertuples(index=False)))
        contexts |= {(doc_id, int(x.start)): claim_context(v, x) for x in v.quantities}
    return Tables(cat["documents"].drop(columns="text"), q, cat["paragraphs"], cat["items"], cat["dates"]), contexts


def messages(findings) -> list[str]:
    return [f["message"] for f in findings]


def evidence_texts(f: dict) -> list[str]:
    return [e["text"] for e in json.loads(f["evidence"])]


# --- 1. totals against parts ------------------------------------------------------------------
# seed 003 (上碑镇 2021): parts before an announced 合计
S410 = ("截至目前, “中心”市场准入窗口共办理设立业务 234项,变更业务43项,注销业务122项,增补执照业务11项,"
        "合计410 项业务;卫生健康窗口办理第一个子女生育登记卡45人、第二个子女生育登记卡51个,受理大学生高考加分6人。")
# Pingtan 099 (2017 annual report): a 其中 list
S348 = "财政资金信息今年共发布348条信息，其中政府预决算公开19条、部门预决算公开224条、“三公”经费20条、专项资金84条、债券发行1条。"
# Pingtan 099: a sentence-initial 其中 with shares
S2122 = ("2017年全区主动公开政府信息2122条。其中，区管委会及区直各部门主动公开政府信息1509条，占71.11%。"
         "各乡镇主动公开政府信息613条，占28.89%，政府信息公开量较大的部门是区交通建设局。")
# Pingtan 068 (2015 animal epidemic circular): a 其中 part larger than its total, as published
S411 = ("全年春秋两季监测，共从15个乡镇共采集畜禽血清样品411份，其中15村家禽散养户584份、7家禽规模场103份、"
        "8家生猪规模场128份、2家羊规模场30份。")
# Pingtan 021 (君山 2022 rule-of-law report)
SRATE = "累计办理“12345”平台群众诉求件1776件，及时查阅率、按时办结率均为100%，群众满意率99%以上。"


@pytest.mark.parametrize("text", [S410, S348, S2122, SRATE], ids=["合计410", "其中348", "其中2122", "rates"])
def test_totals_consistent_real_text_has_no_finding(text):
    assert check_totals(view(text)) == []


def test_totals_groups_found_in_real_text():
    kinds = {(kind, w.value, tuple(p.value for p in parts)) for kind, w, parts in breakdown_groups(view(S410))}
    assert ("sum", 410.0, (234.0, 43.0, 122.0, 11.0)) in kinds
    (kind, w, parts), = breakdown_groups(view(S2122))
    assert (kind, w.value, [p.value for p in parts]) == ("sub", 2122.0, [1509.0, 613.0])


def test_totals_changed_part_before_合计_is_an_error():
    (f,) = check_totals(view(S410.replace("增补执照业务11项", "增补执照业务12项")))
    assert f["severity"] == "error" and "234+43+122+12=411项" in f["message"]
    assert evidence_texts(f)[0] == "合计410 项"


def test_totals_changed_other_figures_do_not_confuse_sum():
    f = check_totals(view(S410.replace("合计410 项", "合计401 项")))
    assert [x["severity"] for x in f] == ["error"]


def test_totals_其中_parts_exceeding_total_is_an_error():
    (f,) = check_totals(view(S348.replace("部门预决算公开224条", "部门预决算公开242条")))
    assert f["severity"] == "error" and "366条" in f["message"]


def test_totals_其中_parts_short_of_total_is_a_warning():
    (f,) = check_totals(view(S348.replace("共发布348条", "共发布358条")))
    assert f["severity"] == "warning" and "少10" in f["message"]


def test_totals_其中_part_larger_than_whole_as_published():
    (f,) = check_totals(view(S411))
    assert f["severity"] == "error" and evidence_texts(f) == ["411份", "584份"]


def test_totals_shares_that_do_not_match_their_figures():
    found = check_totals(view(S2122.replace("2122条", "2212条")))
    assert {f["severity"] for f in found} == {"error", "warning"}   # 1509+613 ≠ 2212 (shares sum to 100 %)
    assert any("占比与数字不符" in m and "1509/2212" in m for m in messages(found))


def test_totals_percentage_over_100_is_an_error():
    (f,) = check_totals(view(SRATE.replace("满意率99%", "满意率109%")))
    assert f["severity"] == "error" and evidence_texts(f) == ["109%以上"]


def test_totals_growth_over_100_percent_is_no_error():
    assert check_totals(view("2022年全区主动公开政府信息2300条，同比增长130%。")) == []


# --- 2. the annual-report identity ------------------------------------------------------------
S70 = "本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。"   # Pingtan 070 (2021)


def test_identity_prose_holds_in_real_report():
    assert check_identity_prose(view(S70)) == []


def test_identity_prose_broken():
    (f,) = check_identity_prose(view(S70.replace("办结69件", "办结67件")))
    assert f["check"] == "report_identity" and "≠办结67+结转下年度1" in f["message"]


def _metrics(**changes) -> pd.DataFrame:
    """Rows of the metrics table as pipeline.extract.metrics writes them for Pingtan 071 (2024
    annual report): the application table (自然人 217, 商业企业 1, 总计 218, nothing carried
    over), its 不予公开 rows and the 行政复议 table; `changes` plant errors by metric key."""
    rows = [("applications_new.natural_person", "本年新收申请数(自然人)", "自然人", 217),
            ("applications_new.business", "本年新收申请数(商业企业)", "商业企业", 1),
            ("applications_new", "本年新收申请数", "总计", 218),
            ("applications_carried_in", "上年结转申请数", "总计", 0),
            ("resp_total", "本年度办理结果总计", "总计", 218),
            ("applications_carried_over", "结转下年度继续办理", "总计", 0),
            ("resp_withheld", "不予公开", "总计", 39), ("withheld_state_secret", "不予公开:属于国家秘密", "总计", 4),
            ("withheld_third_party", "不予公开:保护第三方合法权益", "总计", 3),
            ("withheld_internal", "不予公开:属于三类内部事务信息", "总计", 32),
            ("review_upheld", "行政复议结果维持", "行政复议:结果维持", 2),
            ("review_corrected", "行政复议结果纠正", "行政复议:结果纠正", 1),
            ("review_other", "行政复议其他结果", "行政复议:其他结果", 3),
            ("review_pending", "行政复议尚未审结", "行政复议:尚未审结", 1),
            ("review_total", "行政复议总计", "行政复议:总计", 7)]
    return pd.DataFrame([{"doc_id": "d071", "metric": k, "label": label, "value": changes.get(k, v), "unit": "件",
                          "source": "table", "row_label": None, "column_label": col, "text": str(changes.get(k, v)),
                          "start": i * 10, "end": i * 10 + 3, "quantity_start": None}
                         for i, (k, label, col, v) in enumerate(rows)])


def test_identity_metrics_real_table_holds():
    assert check_identity_metrics(_metrics()) == []
    assert check_restated_metrics(_metrics()) == []


@pytest.mark.parametrize("changes, expected", [
    ({"resp_total": 217}, "年报勾稽关系不成立（总计列）：本年新收218+上年结转0=218，办理结果总计217+结转下年度0=217"),
    ({"applications_new.business": 3}, "“本年新收申请数”各列之和220与总计列218不符"),
    ({"review_total": 8}, "“行政复议总计”8与各项之和7不符"),
    ({"withheld_internal": 33}, "“不予公开”39与其分项之和40不符"),
], ids=["identity", "columns", "rows", "sub-rows"])
def test_identity_metrics_planted_errors(changes, expected):
    assert any(m.startswith(expected) for m in messages(check_identity_metrics(_metrics(**changes))))


def test_restated_metric_prose_against_table():
    prose = pd.DataFrame([{"doc_id": "d071", "metric": "applications_new", "label": "本年新收申请数", "value": 281.0,
                           "unit": "件", "source": "prose", "row_label": None, "column_label": None,
                           "text": "全年办理政府信息公开申请281件", "start": 500, "end": 515, "quantity_start": 511}])
    (f,) = check_restated_metrics(pd.concat([_metrics(), prose], ignore_index=True))
    assert "“218”" in f["message"] and "281件" in f["message"]


def test_identity_metrics_absent_or_unusable_table_is_fine():
    assert check_identity_metrics(None) == [] and check_restated_metrics(None) == []
    assert check_identity_metrics(pd.DataFrame({"doc_id": ["x"], "something": [1]})) == []


# --- 3. the same claim stated twice -------------------------------------------------------------
S217 = ("实时发布保居民就业、保基本民生、保市场主体等相关政策措施、执行情况和工作成效，拓宽发布渠道，"
        "通过政务公开网站及微信公众号发布共计217条。\n\n2.围绕优化营商环境深化政府信息公开\n\n"
        "盏西镇深入推进行政执法公示制度，依法公开行政执法职责、执法依据、执法程序、监督途径和执法结果等信息。")  # seed 000


def test_restated_claim_with_another_number():
    text = S217 + "全年通过政务公开网站及微信公众号发布共计271条。"
    (f,) = check_restated(view(text))
    assert evidence_texts(f) == ["共计217条", "共计271条"]


def test_restated_same_number_or_single_claim_is_fine():
    assert check_restated(view(S217)) == []
    assert check_restated(view(S217 + "通过政务公开网站及微信公众号发布共计217条。")) == []


def test_restated_formula_in_every_section_is_no_claim():
    # Pingtan 099: the same wording in five sections, five different figures
    text = ("（5）推进安全生产信息公开。全年共发布信息84条。（1）推进扶贫脱贫和社会救助信息公开。全年共发布25条信息。"
            "（2）推进教育信息公开。全年共发布152条。二是深化医疗卫生领域信息公开。全年共发布12条信息。"
            "（4）推进住房信息公开。全年共发布39条信息。")
    assert check_restated(view(text)) == []


def test_restated_subset_after_其中_is_no_contradiction():
    # Pingtan 021: the centre's figures restate the wording of the district's
    text = ("辖区3个便民服务中心全年共接待群众5010人，现场办件共计办理3048件，解答群众咨询924件。其中，中原便民服务中心"
            "自2022年4月1日正式运作以来，共计接待群众1510人，办理事项1210件，解答群众咨询306件。")
    assert check_restated(view(text)) == [] and check_totals(view(text)) == []


# --- 4a. year-over-year jumps ---------------------------------------------------------------------
def _county(year: int, visits: str) -> dict:
    # Pingtan 002 / 004 (平潭县 2012 and 2013 annual reports)
    text = f"{year}年政府信息公开专栏访问量达{visits}人次。2.公众查阅点指定县档案馆、图书馆为公众查阅场所。"
    return extracted(text, source=f"{year}.txt", issuer="平潭县人民政府", township=None, period_year=year,
                     doc_type="年度报告")


def test_yoy_jump_beyond_factor_10():
    t, ctx = tables_of([_county(2012, "24745"), _county(2013, "619363")])
    (f,) = check_yoy(t, ctx)
    assert f["check"] == "yoy_jumps" and "2012年24745人次" in f["message"] and "2013年619363人次" in f["message"]


def test_yoy_ordinary_change_gaps_and_other_issuers_are_fine():
    t, ctx = tables_of([_county(2012, "24745"), _county(2013, "19363")])
    assert check_yoy(t, ctx) == []                                  # real figures: −22 %
    t, ctx = tables_of([_county(2012, "24745"), _county(2014, "619363")])
    assert check_yoy(t, ctx) == []                                  # not consecutive years
    other = _county(2013, "619363")
    other["documents"].loc[:, "issuer"] = "平潭综合实验区管委会"
    t, ctx = tables_of([_county(2012, "24745"), other])
    assert check_yoy(t, ctx) == []


def test_yoy_township_from_region_columns_wins_over_issuer():
    a, b = _county(2012, "24745"), _county(2013, "619363")
    b["documents"].loc[:, "issuer"] = "潭城镇党政办公室"
    for d in (a, b):
        d["documents"]["township"] = d["documents"]["township"].astype(object)
        d["documents"].loc[:, "township"] = "潭城镇"
    t, ctx = tables_of([a, b])
    assert len(check_yoy(t, ctx)) == 1


# --- 4b. paragraphs shared by different townships or years ---------------------------------------
COPIED = ("镇党委、镇政府高度重视政府信息公开工作，成立了以镇长为组长，分管副书记为副组长，其他班子成员和办公室人员为成员的"
          "信息公开工作领导小组，形成完善的政府信息公开工作制度体系，政务公开工作的制度化、规范化水平得到进一步提升。")  # seed 004


def _report(issuer: str, year: int, body: str) -> dict:
    return extracted(f"{issuer}{year}年政务公开工作总结\n{body}\n", source=f"{issuer}{year}.txt",
                     issuer=issuer, township=None, period_year=year, doc_type="总结")


def test_shared_paragraph_between_townships():
    t, _ = tables_of([_report("古木镇人民政府", 2018, COPIED),
                      _report("盏西镇人民政府", 2020, COPIED.replace("镇长", "镇长同志").replace("2018", "2020"))])
    (f,) = check_shared_paragraphs(t)
    texts = evidence_texts(f)
    assert f["severity"] == "warning" and len(texts) == 2 and COPIED in texts


def test_shared_paragraph_same_body_same_year_or_short_text_is_fine():
    t, _ = tables_of([_report("古木镇人民政府", 2018, COPIED), _report("古木镇人民政府", 2018, COPIED + "特此报告。")])
    assert check_shared_paragraphs(t) == []
    short = "认真做好政策解读、舆情回应等工作。"
    t, _ = tables_of([_report("古木镇人民政府", 2018, short), _report("盏西镇人民政府", 2020, short)])
    assert check_shared_paragraphs(t) == []


# --- 5. plan against report --------------------------------------------------------------------
def _plan_and_report(report_date: str):
    """Seed 001 (洞头区 2020 要点, in its 通知) against seed 000 (a 2020 report), set to the same body."""
    plan = extracted((SEEDS / "001_f2202100f5efb3b4.txt").read_text(encoding="utf-8"), source="001.txt",
                     township=None)
    rep = extracted((SEEDS / "000_46ec87d9369d40f2.txt").read_text(encoding="utf-8"), source="000.txt",
                    issuer=plan["documents"]["issuer"].iloc[0], township=None, date=report_date)
    t, _ = tables_of([plan, rep])
    return check_plan_vs_report(t)


def test_plan_items_matched_to_report_and_unreported_ones_listed():
    findings, coverage = _plan_and_report("2020-11-30")
    cov = pd.DataFrame(coverage)
    assert len(cov) >= 12 and set(cov["status"]) <= {"reported", "no outcome", "deadline passed"}
    status = dict(zip(cov["heading"], cov["status"]))
    assert status["推进基层政务公开标准化规范化工作"] == "reported"     # report 二、4.深入推进基层政务公开标准化规范化
    assert status["抓实管好政务新媒体"] == "reported"
    assert status["不断提高依申请公开办理质效"] == "no outcome"
    assert {f["check"] for f in findings} == {"plan_vs_report"}
    assert sum(s == "no outcome" for s in status.values()) == sum("未见报告" in m for m in messages(findings))


def test_plan_deadline_passed_before_report_without_completion():
    findings, coverage = _plan_and_report("2021-01-12")
    passed = [f for f in findings if "时限" in f["message"]]
    assert passed and all("2020年年底前" in f["message"] or "年底前" in f["message"] for f in passed)
    assert any(c["status"] == "deadline passed" and c["heading"].startswith("推进政府网站集约化") for c in coverage)
    _, before = _plan_and_report("2020-11-30")
    assert not any(c["status"] == "deadline passed" for c in before)   # 年底前 not yet passed on 11-30


# --- the command and the page ---------------------------------------------------------------------
XSS = ("<script>document.title='PWNED';document.body.setAttribute('data-pwned','1')</script>"
       "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """The seeds, one real report with markup planted in its text, and seed 000's report
    re-addressed to the body of seed 001's 要点 (so that the plan has its report), audited."""
    folder = tmp_path_factory.mktemp("audit_in")
    for p in SEEDS.glob("*.txt"):
        shutil.copy(p, folder / p.name)
    text = (SEEDS / "003_35af8c204471a007.txt").read_text(encoding="utf-8")
    text = text.replace("增补执照业务11项", "增补执照业务12项" + XSS, 1)
    (folder / "hostile_report.txt").write_text(text, encoding="utf-8")
    report = (SEEDS / "000_46ec87d9369d40f2.txt").read_text(encoding="utf-8")
    report = report.replace("盏西镇人民政府", "温州市洞头区人民政府办公室").replace("盏西镇", "洞头区")
    (folder / "dongtou_2020_report.txt").write_text(report.replace("盏政发〔2020〕118号", "洞政办发〔2020〕99号"),
                                                    encoding="utf-8")
    out = tmp_path_factory.mktemp("audit_out")
    extract_paths([folder], out, jobs=2, progress=False)
    assert main(["audit", str(out)]) == 0
    return out


def test_audit_command_writes_findings_and_page(small_run):
    f = pd.read_parquet(small_run / "findings.parquet")
    assert list(f.columns) == ["finding_id", "doc_id", "check", "severity", "message", "evidence"]
    assert f["finding_id"].is_unique and set(f["severity"]) <= {"error", "warning", "info"}
    docs = pd.read_parquet(small_run / "documents.parquet").set_index("doc_id")["text"]
    for row in f.itertuples():
        for e in json.loads(row.evidence):
            assert docs[e["doc_id"]][e["start"]:e["end"]] == e["text"]
    assert (small_run / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    page = (small_run / "audit.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;" in page and "<script>document.title" not in page
    assert "http://" not in page.split("<body>")[0] and "src=" not in page.split("<body>")[0]
    assert any("234+43+122+12=411项" in m for m in f["message"])
    coverage = pd.read_parquet(small_run / "coverage.parquet")
    assert len(coverage) >= 12 and (coverage["status"] == "reported").sum() >= 5
    assert any("计划事项未见报告" in m for m in f["message"])


def test_audit_command_refuses_folder_without_tables(tmp_path, capsys):
    assert main(["audit", str(tmp_path)]) == 2
    assert "no tables" in capsys.readouterr().err


# --- the page in headless Chromium ------------------------------------------------------------
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium; installed with apt-get when missing and we are root with apt, else skip."""
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if exe:
        return exe
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("/usr/bin/chromium is missing and cannot be installed here (needs root and apt-get): "
                    "install it with `apt-get install -y chromium`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    r = subprocess.run(["apt-get", "install", "-y", "chromium"], env=env, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:   # a fresh image has no package lists yet
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True, timeout=600)
        r = subprocess.run(["apt-get", "install", "-y", "chromium"], env=env, capture_output=True, text=True,
                           timeout=1800)
    if r.returncode != 0 or not Path("/usr/bin/chromium").exists():
        pytest.skip(f"apt-get install -y chromium failed: {(r.stderr or r.stdout)[-300:]}")
    return "/usr/bin/chromium"


def run_chromium(exe: str, profile: Path, url: str, *args: str) -> str:
    r = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_page_in_headless_chromium(small_run, chromium, tmp_path):
    url = (small_run / "audit.html").as_uri()
    dom = run_chromium(chromium, tmp_path / "profile", url + "?sort=1&dir=desc", "--dump-dom")
    n = len(pd.read_parquet(small_run / "findings.parquet"))
    assert f'data-ready="{n}"' in dom                       # the script ran to its end
    assert "<title>zwgk audit</title>" in dom and "PWNED" not in dom.split("<body")[0]
    assert 'data-pwned="' not in dom                          # neither planted script nor handler ran
    assert "&lt;script&gt;document.title=" in dom           # the planted markup is text on the page
    assert re.search(r'<mark class="q[^"]*" title="410 项 · 合计', dom)           # figures highlighted
    assert re.search(r'<mark class="q ev" title="12 项[^"]*" data-f="[0-9a-f]{12}', dom)  # linked to its finding
    assert "条发现</span>" in dom                           # badges added by the script
    coverage = re.search(r'<table id="coverage-table".*?</table>', dom, re.S).group()
    assert coverage.count("<tr class=\"reported\">") >= 5 and "no outcome" in coverage
    ranks = re.findall(r'<tr id="f-[0-9a-f]+" class="[a-z]+"><td data-sort="\d+">\d+</td><td data-sort="(\d)">', dom)
    assert len(ranks) == n and ranks == sorted(ranks, reverse=True)   # ?sort=1&dir=desc sorted by severity
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    shot = ARTIFACTS / "audit.png"
    shot.unlink(missing_ok=True)
    run_chromium(chromium, tmp_path / "profile2", url, f"--screenshot={shot}", "--window-size=1280,1600")
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- planted-error evaluation -------------------------------------------------------------------
# Copies of the real documents (seeds, and the Pingtan pages when ../shared is there) get errors
# planted at random (seeded) among the places where each kind of error can stand:
#
# - arithmetic: a breakdown that adds up (parts = total) gets one number changed, the total or a part,
#   as a slip of the pen: one of its last two digits replaced, or those two digits swapped;
# - contradiction: a claim whose wording is unique in its document is stated again, in another
#   paragraph, with a number 15–60 % off;
# - YoY jump (Pingtan only: the seeds have no body reporting two consecutive years): a figure that
#   the same body reports in consecutive years is set to 12–40 times the other year's;
# - copy: a long paragraph (100–500 characters) of one body's report is pasted, with the body's name
#   changed, into the report of another body.
#
# A planted error is found when a finding of its check has evidence overlapping the planted span.
# A finding on a planted document is correct when its evidence overlaps a planted span, or when the
# clean run has the same finding: the real inconsistencies of these documents, each checked by
# reading the page, e.g. Pingtan 2012 (003): 1397+534=1931 against 主动公开 1913, 145/1913 printed as
# 8.05 %, the statistics table's 739 against the text's 1913; 2011 (001): nine categories adding
# up to 421 of 425; 068: 其中 584份 of 411份; the 2011–2014 reports repeating whole paragraphs.

EXPECTED_CHECK = {"arithmetic": {"totals_vs_parts", "report_identity"}, "contradiction": {"restated_claims"},
                  "yoy": {"yoy_jumps"}, "copy": {"shared_paragraphs"}}
LIMITS = {"arithmetic": 16, "contradiction": 12, "yoy": 4, "copy": 6}
_INT_RE = re.compile(r"\d+")


def _numeral(doc: DocView, q):
    """(start, end) of the Arabic integer inside a figure's span, or None (一千, 3.5 are left alone)."""
    runs = list(_INT_RE.finditer(doc.text, q.start, q.end))
    if len(runs) != 1 or "." in doc.text[q.start:q.end] or runs[0].group().startswith("0"):
        return None
    return runs[0].span()


def _slip(digits: str, rng: random.Random) -> str:
    swapped = digits[:-2] + digits[-1:] + digits[-2:-1]
    if len(digits) >= 2 and swapped != digits and not swapped.startswith("0") and rng.random() < 0.3:
        return swapped
    pos = len(digits) - 1 - (rng.random() < 0.5 and len(digits) >= 2)
    choices = [d for d in "0123456789" if d != digits[pos] and not (pos == 0 and d == "0")]
    return digits[:pos] + rng.choice(choices) + digits[pos + 1:]


def _prose(s: str, figures: int = 99) -> bool:
    """Running Chinese text (not a table row, a code, a list of fees per page), with at most
    `figures` numbers besides years."""
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in s)
    numbers = re.findall(r"\d+", re.sub(r"\d{4}年", "", s))
    return (len(s) >= 8 and cjk >= 0.75 * len(s.replace(" ", "")) and len(numbers) <= figures
            and not re.search(r"[A-Za-z/]|\d{5,}", s))


def _clause(v: DocView, q) -> tuple[int, int]:
    """The whole clause of a figure: from the last 。，；： before it to the next one after it."""
    s0 = v.sentence(q.start)[0]
    head = v.text[s0:q.start]
    cut = max(head.rfind(c) for c in "，；：,;:")
    return s0 + cut + 1, q.end + len(v.clause_after(q.end, 40))


class Planter:
    def __init__(self, clean: Path, rng: random.Random):
        self.t = load_tables(clean)
        self.rng = rng
        self.docs = self.t.documents.set_index("doc_id")
        self.who = who_when(self.t.documents)   # doc_id -> (township or issuer, year, doc_type), as the checks see it
        by_doc = {k: list(g.itertuples(index=False)) for k, g in self.t.quantities.groupby("doc_id")}
        self.views = {d: DocView(d, text, by_doc.get(d, [])) for d, text in iter_texts(clean)}
        self.edits = defaultdict(list)   # doc_id -> [(start, end, replacement, record)]
        self.records = []

    def free(self, doc_id: str, start: int, end: int) -> bool:
        s0, s1 = self.views[doc_id].sentence(start)[0], self.views[doc_id].sentence(max(start, end - 1))[1]
        return all(e < s0 or s > s1 for s, e, _, _ in self.edits[doc_id])

    def edit(self, kind: str, doc_id: str, start: int, end: int, new: str, note: str, span=None) -> None:
        rec = {"kind": kind, "source": self.docs.loc[doc_id, "source"], "note": note}
        self.edits[doc_id].append((start, end, new, rec | {"span": span}))
        self.records.append(rec)

    def arithmetic(self) -> None:
        groups = [(d, w, parts) for d, v in self.views.items() for kind, w, parts in breakdown_groups(v)
                  if len(parts) >= 2 and abs(sum(p.value for p in parts) - w.value) < 1e-9
                  and not w.approx and not any(p.approx for p in parts)]
        for d, w, parts in self.rng.sample(groups, min(len(groups), LIMITS["arithmetic"])):
            v, q = self.views[d], self.rng.choice([w, self.rng.choice(parts)])
            num = _numeral(v, q)
            if num and self.free(d, w.start, parts[-1].end):
                old = v.text[num[0]:num[1]]
                self.edit("arithmetic", d, *num, _slip(old, self.rng), f"{q.text}: {old} -> slip", (q.start, q.end))

    def contradiction(self) -> None:
        grouped = {d: {id(x) for _, w, ps in breakdown_groups(v) for x in [w, *ps]} for d, v in self.views.items()}
        cands = []
        for d, v in self.views.items():
            ctx = {id(q): claim_context(v, q) for q in v.quantities}
            for q in v.quantities:
                twins = [x for x in v.quantities if x is not q and len(ctx[id(q)] & ctx[id(x)])
                         >= 0.7 * len(ctx[id(q)] | ctx[id(x)])]
                if (q.subject and q.unit != "%" and not q.approx and id(q) not in grouped[d] and not twins
                        and len(ctx[id(q)]) > 8 and _numeral(v, q) and _prose(v.text[slice(*_clause(v, q))], 1)):
                    cands.append((d, q))
        paras = {k: list(g.itertuples()) for k, g in self.t.paragraphs.groupby("doc_id")}
        for d, q in self.rng.sample(cands, len(cands)):
            if sum(r["kind"] == "contradiction" for r in self.records) >= LIMITS["contradiction"]:
                break
            v = self.views[d]
            targets = [p for p in paras.get(d, []) if p.paragraph_id != q.paragraph_id and len(p.text) >= 30
                       and v.text[p.end - 1] == "。" and self.free(d, p.end - 1, p.end)]
            if not targets or any(r["kind"] == "contradiction" and r["source"] == self.docs.loc[d, "source"]
                                   for r in self.records):
                continue
            p = self.rng.choice(targets)
            num = _numeral(v, q)
            old = int(v.text[num[0]:num[1]])
            new = max(1, round(old * (1 + self.rng.choice([-1, 1]) * self.rng.uniform(0.15, 0.6))))
            if new == old:
                continue
            figure = v.text[q.start:num[0]] + str(new) + v.text[num[1]:q.end]
            a, b = _clause(v, q)
            sentence = v.text[a:q.start] + figure + v.text[q.end:b] + "。"
            self.edit("contradiction", d, p.end, p.end, sentence, f"{q.text} restated as {figure}")

    def yoy(self) -> None:
        series = defaultdict(list)
        for (d, subj, unit), g in self.t.quantities[self.t.quantities["subject"].notna()].groupby(["doc_id", "subject", "unit"]):
            entity, year, doc_type = self.who[d]
            if len(g) == 1 and unit != "%" and len(subj) >= 3 and g["approx"].iloc[0] is None and entity and year:
                series[(entity, doc_type, subj, unit)].append((year, d, g.iloc[0]))
        pairs = []
        for rows in series.values():
            rows.sort(key=lambda r: r[0])
            for (y0, d0, q0), (y1, d1, q1) in zip(rows, rows[1:]):
                if y1 - y0 == 1 and 0 < q0["value"] and max(q0["value"], q1["value"]) < 3 * min(q0["value"], q1["value"]):
                    pairs.append((d0, q0, d1, q1))
        for d0, q0, d1, q1 in self.rng.sample(pairs, min(len(pairs), LIMITS["yoy"])):
            (d, q), other = ((d1, q1), q0) if self.rng.random() < 0.5 else ((d0, q0), q1)
            v = self.views[d]
            q = next(x for x in v.quantities if x.start == q["start"])
            num = _numeral(v, q)
            if num and self.free(d, q.start, q.end):
                new = str(int(other["value"] * self.rng.uniform(12, 40)))
                self.edit("yoy", d, *num, new, f"{q.text} -> {new} (other year {other['text']})", (q.start, q.end))

    def copy(self, clean_findings) -> None:
        reports = self.docs[self.docs["doc_type"].isin(["报告", "年度报告", "总结"]) & self.docs["issuer"].notna()]
        shared = {tuple(sorted({e["doc_id"] for e in json.loads(f)})) for f in
                  clean_findings.loc[clean_findings["check"] == "shared_paragraphs", "evidence"]}
        paras = self.t.paragraphs
        pairs = [(a, b) for a in reports.index for b in reports.index
                 if self.who[a][0] != self.who[b][0] and tuple(sorted((a, b))) not in shared]
        done = set()
        for a, b in self.rng.sample(pairs, len(pairs)):
            if len(done) >= LIMITS["copy"] or a in done or b in done:
                continue
            long = paras[(paras["doc_id"] == a) & paras["text"].str.len().between(100, 500)
                         & paras["text"].str.endswith("。") & paras["text"].map(_prose)]
            spots = [m.end() for m in re.finditer("。", self.views[b].text) if self.free(b, m.end() - 1, m.end())]
            if long.empty or not spots:
                continue
            src = long.iloc[self.rng.randrange(len(long))]["text"]
            text = src.replace(reports.loc[a, "issuer"], reports.loc[b, "issuer"])
            self.edit("copy", b, (at := self.rng.choice(spots)), at, text, f"paragraph of {reports.loc[a, 'source']}")
            done |= {a, b}

    def write(self, folder: Path) -> list[dict]:
        """All documents to `folder`, planted ones changed; the records with their spans in the new text."""
        planted = []
        for d, v in self.views.items():
            text, shift, spans = v.text, 0, []
            for start, end, new, rec in sorted(self.edits[d], key=lambda e: e[0]):
                text = text[:start + shift] + new + text[end + shift:]
                grow = len(new) - (end - start)
                if rec["span"]:   # a changed number: the figure's span, longer or shorter by the change
                    a, b = rec["span"][0] + shift, rec["span"][1] + shift + grow
                else:             # an inserted sentence or paragraph
                    a, b = start + shift, start + shift + len(new)
                spans.append(rec | {"start": a, "end": b})
                shift += grow
            (folder / self.docs.loc[d, "source"]).write_text(text, encoding="utf-8")
            planted += spans
        return planted


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    inputs = tmp_path_factory.mktemp("corpus")
    for p in list(SEEDS.glob("*.txt")) + (sorted(PINGTAN.glob("*.txt")) if PINGTAN.is_dir() else []):
        shutil.copy(p, inputs / p.name)
    clean = tmp_path_factory.mktemp("clean")
    extract_paths([inputs], clean, jobs=os.cpu_count(), progress=False)
    clean_findings, _ = run_checks(clean)
    planter = Planter(clean, random.Random(20240607))
    planter.arithmetic()
    planter.contradiction()
    if PINGTAN.is_dir():
        planter.yoy()
    planter.copy(clean_findings)
    folder = tmp_path_factory.mktemp("planted")
    planted = planter.write(folder)
    out = tmp_path_factory.mktemp("planted_out")
    extract_paths([folder], out, jobs=os.cpu_count(), progress=False)
    findings, _ = run_checks(out)
    docs = pd.read_parquet(out / "documents.parquet", columns=["doc_id", "source"])
    clean_docs = pd.read_parquet(clean / "documents.parquet", columns=["doc_id", "source"])
    return planted, findings, clean_findings, dict(zip(docs["doc_id"], docs["source"])), \
        dict(zip(clean_docs["doc_id"], clean_docs["source"]))


def _signature(f, source_of) -> tuple:
    return f["check"], source_of.get(f["doc_id"]), tuple(sorted(e["text"] for e in json.loads(f["evidence"])))


def evaluate(planted, findings, clean_findings, source_of, clean_source_of) -> dict:
    by_source = defaultdict(list)
    for p in planted:
        by_source[p["source"]].append(p)

    def hits(f) -> list[dict]:
        return [p for e in json.loads(f["evidence"]) for p in by_source.get(source_of.get(e["doc_id"]), [])
                if e["start"] < max(p["end"], p["start"] + 1) and p["start"] < e["end"]]

    rows = [f for _, f in findings.iterrows()]
    found = {id(p) for f in rows for p in hits(f) if f["check"] in EXPECTED_CHECK[p["kind"]]}
    pre = {_signature(f, clean_source_of) for _, f in clean_findings.iterrows()}
    on_planted = [f for f in rows if source_of.get(f["doc_id"]) in by_source or hits(f)]
    matched = [f for f in on_planted if hits(f)]
    preexisting = [f for f in on_planted if not hits(f) and _signature(f, source_of) in pre]
    wrong = [f for f in on_planted if not hits(f) and _signature(f, source_of) not in pre]
    per_kind = {k: (sum(id(p) in found for p in planted if p["kind"] == k), sum(p["kind"] == k for p in planted))
                for k in EXPECTED_CHECK}
    return {"planted": len(planted), "found": len(found), "recall": len(found) / max(1, len(planted)),
            "per_kind": per_kind, "findings_on_planted_docs": len(on_planted), "matching_planted": len(matched),
            "preexisting": len(preexisting), "wrong": len(wrong),
            "precision": (len(matched) + len(preexisting)) / max(1, len(on_planted)),
            "precision_new_findings": len(matched) / max(1, len(matched) + len(wrong)),
            "missed": [p["kind"] + ": " + p["source"] + ": " + p["note"] for p in planted if id(p) not in found],
            "wrong_findings": [f["check"] + ": " + f["message"] for f in wrong]}


def test_planted_errors_found(planted_run):
    result = evaluate(*planted_run)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    (ARTIFACTS / "planted_eval.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    assert result["planted"] >= (20 if PINGTAN.is_dir() else 5)   # the seeds alone: 6 places
    assert result["recall"] >= 0.90, result["missed"]
    assert result["precision"] >= 0.80, result["wrong_findings"]
