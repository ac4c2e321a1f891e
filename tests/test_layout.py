"""pipeline.layout: document fields on the seeds and on real crawled pages, against gold."""
from __future__ import annotations

import re
import unicodedata

import pytest

from conftest import GOLD_PINGTAN, GOLD_SEEDS, PINGTAN, SEEDS, gold_cases, processed
from pipeline.document import Document
from pipeline.layout import analyze

FIELDS = ["title", "doc_type", "doc_number", "issuer", "signer", "date", "printed_date", "period_year",
          "published_date"]


def _norm(v) -> str:
    s = "" if v is None else unicodedata.normalize("NFKC", str(v))
    return re.sub(r"\s+", "", s.translate(str.maketrans("（）〔〕", "()[]")))


def _meta_value(doc, field):
    m = doc.meta
    if field == "doc_number":
        return m.doc_number.normalized if m.doc_number else None
    return getattr(m, field)


SEED_CASES = gold_cases(GOLD_SEEDS, SEEDS)


@pytest.mark.parametrize("path,gold", SEED_CASES, ids=[p.name for p, _ in SEED_CASES])
@pytest.mark.parametrize("field", FIELDS)
def test_layout_seed_fields_match_gold(path, gold, field):
    if field not in gold["doc"]:
        pytest.skip("field not annotated")
    assert _norm(_meta_value(processed(path), field)) == _norm(gold["doc"][field])


PINGTAN_CASES = gold_cases(GOLD_PINGTAN, PINGTAN)


@pytest.mark.parametrize("field", FIELDS)
def test_layout_pingtan_field_accuracy(field):
    """Real crawled pages (body on one line): each field right on at least 85% of the dev gold."""
    cases = [(p, g) for p, g in PINGTAN_CASES if field in g["doc"]]
    cases = [(p, g) for p, g in cases if g["doc"][field] is not None or _meta_value(processed(p), field)]
    if not cases:
        pytest.skip("no gold for this field")
    right = sum(_norm(_meta_value(processed(p), field)) == _norm(g["doc"][field]) for p, g in cases)
    assert right / len(cases) >= 0.85, f"{right}/{len(cases)}"


@pytest.mark.parametrize("text,title,doc_number,issuer,date", [
    # one-line crawled page: 文号 and title run straight into the addressee list
    ("标题: 关于调整领导小组成员的通知\n发布时间: 2015-08-04 09:08\n\n当前位置： 首页 关于调整领导小组成员的通知 时间：2015-08-04 09:08 "
     "微信 微博 QQ空间 岚综管办〔2015〕148号平潭综合实验区管委会办公室关于调整领导小组成员的通知区直各单位，各乡镇人民政府：因工作变动，"
     "决定调整。现将有关事项通知如下：一、组成人员名单。二、职责。平潭综合实验区管委会办公室2015年7月31日 来源：中国平潭 附件下载",
     "平潭综合实验区管委会办公室关于调整领导小组成员的通知", "岚综管办〔2015〕148号", "平潭综合实验区管委会办公室", "2015-07-31"),
    # a title broken over two lines, the 发文机关标志 header, signature and date on lines of their own
    ("某某县人民政府办公室文件\n\n某政办发〔2021〕3号\n\n某某县人民政府办公室\n关于印发2021年政务公开工作要点的通知\n\n"
     "各乡镇人民政府：\n现将要点印发给你们，请认真贯彻执行。\n\n某某县人民政府办公室\n2021年3月1日\n",
     "某某县人民政府办公室关于印发2021年政务公开工作要点的通知", "某政办发〔2021〕3号", "某某县人民政府办公室", "2021-03-01"),
])
def test_layout_finds_header_title_signature(text, title, doc_number, issuer, date):
    doc = Document(text)
    analyze(doc)
    assert doc.meta.title == title
    assert doc.meta.doc_number.normalized == doc_number
    assert doc.meta.issuer == issuer
    assert doc.meta.date == date
    kinds = {z.kind for z in doc.zones}
    assert {"title", "signature", "date"} <= kinds


def test_layout_untitled_report_takes_type_and_year_from_body():
    doc = Document("2021年我镇深入推进政务公开，现将有关情况汇报如下。\n一、工作情况\n公开信息42条。\n上碑镇人民政府\n2022年1月12日")
    analyze(doc)
    assert doc.meta.title is None
    assert doc.meta.doc_type == "报告"
    assert (doc.meta.issuer, doc.meta.date, doc.meta.period_year) == ("上碑镇人民政府", "2022-01-12", 2022)


def test_layout_script_and_chrome_not_in_paragraphs():
    doc = Document("发布日期:2020-07-20 17:03:52 浏览次数: 来源:洞头区政府 字体:[ ]\n\n正文第一段，内容。\n")
    analyze(doc)
    assert [p.text for p in doc.paragraphs] == ["正文第一段，内容。"]
    assert doc.meta.published_date == "2020-07-20"
