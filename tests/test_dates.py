"""pipeline.dates: parse_date, date_kind and the finder, on our forms and the public peer suite."""
from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest

import pipeline.dates
from pipeline.dates import date_kind, find_dates, parse_date

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PEER = SHARED / "peer" / "zh_dates.jsonl"

_FORMS = json.loads((DATA / "dates_forms.json").read_text(encoding="utf-8"))
_XFAIL = {(c["source"], c["input"]): c["reason"]
          for c in json.loads((DATA / "dates_peer_xfail.json").read_text(encoding="utf-8"))["cases"]}


def _form_cases():
    for case in _FORMS["cases"]:
        for form in case["forms"]:
            yield pytest.param(form, case["ref_year"], (case["date"], case["precision"]), id=form)


@pytest.mark.parametrize(("form", "ref_year", "expected"), list(_form_cases()))
def test_dates_parse_surface_forms(form, ref_year, expected):
    assert parse_date(form, ref_year) == expected


@pytest.mark.parametrize("form", _FORMS["invalid"]["forms"])
def test_dates_parse_rejects_non_dates(form):
    assert parse_date(form, _FORMS["invalid"]["ref_year"]) is None


@pytest.mark.parametrize("form", ["11月15日前", "9月底前", "年底前", "7月", "今年年底前", "五月三十日"])
def test_dates_parse_yearless_needs_ref_year(form):
    assert parse_date(form) is None
    assert parse_date(form, 2020) is not None


@pytest.mark.parametrize(("expr", "kind"), [
    ("2020年9月底前", "deadline"), ("11月15日前", "deadline"), ("2014年9月14日之前", "deadline"),
    ("2012-01-01及以前", "deadline"), ("9月底前完成", "deadline"), ("年底前", "deadline"),
    ("截止到2021年底", "since"), ("截至2021年底", "since"), ("截止2020年12月31日", "since"),
    ("2021年1月1日起", "since"), ("2018年以来", "since"), ("从2015年2月1日开始", "since"),
    ("2019年8月6日或之后", "since"), ("截至2020年12月31日止", "since"),
    ("2020年11月30日", "point"), ("11月底", "point"), ("2011年12月31日止", "point"), ("2020-07-20", "point"),
])
def test_dates_kind(expr, kind):
    assert date_kind(expr) == kind


@pytest.mark.parametrize(("text", "spans"), [
    ("于2020年9月底前编制完成，并于11月底公开", ["2020年9月底前", "11月底"]),
    ("截止到2021年底我镇现有低保户517户；2021年以来", ["截止到2021年底"]),
    ("发布日期:2020-07-20 17:03:52 浏览次数:", ["2020-07-20"]),
    ("管制时间9月29日-10月6日，8:30-19:30", ["9月29日", "10月6日"]),
    ("二〇二〇年十一月三十日印发", ["二〇二〇年十一月三十日"]),
    ("自收到申请之日起15个工作日内作出答复，延长期限最长不超过6个月", []),
    ("2020年1-6月份共公开信息217条", []),
    ("每年12月31日前公布年度报告，每年年底前完成", []),
    ("差额部分将于本月底前全部补发；年末结转结余；三月一次", []),
    ("晚上7点至8:30，2020年前三季度，第三季度", []),
    ("详见http://www.pingtan.gov.cn/2020/7/20/art_1.html", []),
])
def test_dates_find_spans(text, spans):
    assert [m.group() for m in find_dates(text)] == spans


def test_dates_doctests():
    result = doctest.testmod(pipeline.dates)
    assert result.attempted > 0 and result.failed == 0


# --- the public peer suite (shared/peer/zh_dates.jsonl) -----------------------------------------
_YEARLESS = re.compile(r"(?:(?:星期|礼拜|禮拜|周|週)[一二三四五六日天],\s*)?"
                       r"(?:\d{1,2}|[一二三四五六七八九十]+)月(?:\d{1,2}|[一二三四五六七八九十廿卅]+)[日号號]?")


def _peer_records() -> list[dict]:
    if not PEER.exists():
        return []
    return [json.loads(line) for line in PEER.read_text(encoding="utf-8").splitlines() if line.strip()]


def _peer_params(select):
    records = [r for r in _peer_records() if select(r)]
    if not records:
        return [pytest.param(None, marks=pytest.mark.skip(reason="shared/peer/zh_dates.jsonl absent"))]
    params = []
    for r in records:
        reason = _XFAIL.get((r["source"], r["input"]))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(r, marks=marks, id=f"{r['source'].split('/')[-1]}:{r['input']}"))
    return params


def _ref_year(record) -> int | None:
    return int(record["ref_date"][:4]) if record.get("ref_date") else None


@pytest.mark.parametrize("record", _peer_params(lambda r: r["kind"] in ("absolute", "absolute_convention")))
def test_dates_peer_absolute(record):
    assert parse_date(record["input"]) == (record["date"], "day")


@pytest.mark.parametrize("record", _peer_params(lambda r: r["kind"] in ("invalid", "none")))
def test_dates_peer_rejects_invalid(record):
    assert parse_date(record["input"], _ref_year(record) or 2020) is None
    assert not list(find_dates(record["input"]))


@pytest.mark.parametrize("record", _peer_params(
    lambda r: r["kind"] == "relative" and _YEARLESS.fullmatch(r["input"].replace("，", ","))))
def test_dates_peer_yearless_month_day(record):
    """Soft: a year-less month/day takes the reference year; the peers' own year choice also counts."""
    got = parse_date(record["input"], _ref_year(record))
    assert got is not None and got[0] in (record["date"], record.get("date_alt"))


def test_dates_peer_absolute_rate():
    records = [r for r in _peer_records() if r["kind"] == "absolute"]
    if not records:
        pytest.skip("shared/peer/zh_dates.jsonl absent")
    correct = sum((parse_date(r["input"]) or ("",))[0] == r["date"] for r in records)
    assert correct / len(records) >= 0.95
