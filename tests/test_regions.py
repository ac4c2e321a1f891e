"""pipeline.regions: where a document comes from (province, city, county, township, code).

Gold: the seeds' gold in ../shared/gold/seeds and our gold for crawled Pingtan pages (documents in
../shared): both skip when ../shared is absent. The other cases are real names from the division
table and do not need ../shared.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
import time

import pytest

from conftest import GOLD_PINGTAN, GOLD_SEEDS, PINGTAN, ROOT, SEEDS, SHARED, gold_cases, processed, needs_shared
from pipeline import regions
from pipeline.regions import resolve, resolve_names

LEVELS = ("province", "city", "county", "township")
SEED_CASES = gold_cases(GOLD_SEEDS, SEEDS)
PINGTAN_CASES = gold_cases(GOLD_PINGTAN, PINGTAN)
GOLD_CASES = SEED_CASES + PINGTAN_CASES


def _where(r: dict) -> tuple:
    return tuple(r[k] for k in LEVELS)


def _candidate_codes(r: dict) -> list[str]:
    return [c["code"] for c in json.loads(r["candidates"])] if r["candidates"] else []


# --- gold ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path,gold", GOLD_CASES, ids=[p.name for p, _ in GOLD_CASES])
def test_regions_gold_documents(path, gold):
    r = resolve(processed(path))
    expected = {k: gold["doc"][k] for k in LEVELS if k in gold["doc"]}
    assert expected, "gold without region fields"
    assert {k: r[k] for k in expected} == expected


@needs_shared
@pytest.mark.parametrize("level", ["county", "township"])
def test_regions_gold_accuracy_at_least_090(level):
    cases = [(p, g) for p, g in GOLD_CASES if level in g["doc"]]
    if not cases:
        pytest.skip("no gold documents")
    right = sum(resolve(processed(p))[level] == g["doc"][level] for p, g in cases)
    assert right / len(cases) >= 0.90, f"{level}: {right}/{len(cases)}"


@needs_shared
@pytest.mark.parametrize("path,gold", GOLD_CASES, ids=[p.name for p, _ in GOLD_CASES])
def test_regions_gold_code_is_the_most_specific_level(path, gold):
    r = resolve(processed(path))
    digits = 9 if r["township"] else 6 if r["county"] else 4 if r["city"] else 2
    assert len(r["code"]) == (9 if r["township"] else 6)
    assert regions.gazetteer().fields(r["code"][:digits]) == {k: r[k] for k in LEVELS}


def test_regions_seeds_with_lost_issuer_fall_back_to_title_and_body():
    """The issuer decides; without it the title, then the body (the seed texts are in the repo)."""
    cases = {"000_46ec87d9369d40f2.txt": ("盈江县", "盏西镇"), "002_082e87b5c50e481a.txt": ("沙坡头区", "永康镇"),
             "004_c3329c0d0ce8bcc7.txt": ("文山市", "古木镇")}
    for name, (county, township) in cases.items():
        doc = processed(SEEDS / name)
        r = resolve_names(None, doc.meta.title, doc.text)
        assert (r["county"], r["township"]) == (county, township), name
    doc = processed(SEEDS / "001_f2202100f5efb3b4.txt")
    assert _where(resolve_names(None, None, doc.text)) == ("浙江省", "温州市", "洞头区", None)


# --- ambiguous names -------------------------------------------------------------------------------
def test_regions_chengguan_without_context_stays_open():
    r = resolve_names("城关镇人民政府", None, "")
    assert _where(r) == (None, None, None, None) and r["code"] is None
    codes = _candidate_codes(r)
    assert len(codes) >= 80 and "350426100" in codes and "622925100" in codes
    paths = [c["path"] for c in json.loads(r["candidates"])]
    assert "福建省/三明市/尤溪县/城关镇" in paths


@pytest.mark.parametrize("context,code", [
    ("尤溪县人民政府", "350426100"),
    ("三明市", "350426100"),  # one 城关镇 in 三明市
    ("临夏回族自治州和政县", "622925100"),
])
def test_regions_chengguan_with_context(context, code):
    r = resolve_names("城关镇人民政府", None, f"根据{context}的部署，我镇认真开展工作。")
    assert r["code"] == code and r["candidates"] is None


def test_regions_chengguan_in_one_province_keeps_the_province():
    r = resolve_names("城关镇人民政府", None, "")
    assert r["province"] is None
    r = resolve_names("城关镇", "城关镇2023年工作计划", "西藏自治区昌都市")  # one 城关镇 in 昌都市
    assert _where(r) == ("西藏自治区", "昌都市", "卡若区", "城关镇")


def test_regions_yongkang_decided_by_shapotou():
    r = resolve_names("永康镇", "永康镇2022年政务公开工作实施方案", "在沙坡头区委、区政府的领导下")
    assert _where(r) == ("宁夏回族自治区", "中卫市", "沙坡头区", "永康镇")
    assert r["code"] == "640502106" and r["candidates"] is None


def test_regions_yongkang_alone_lists_three_candidates():
    r = resolve_names("永康镇", "永康镇2022年政务公开工作实施方案", "")
    assert r["township"] is None and r["code"] is None
    assert sorted(_candidate_codes(r)) == ["341125102", "530923103", "640502106"]


def test_regions_yongkang_town_is_not_yongkang_city():
    r = resolve_names("永康市人民政府", None, "")
    assert _where(r) == ("浙江省", "金华市", "永康市", None)


@pytest.mark.parametrize("context,county", [("福州市", "鼓楼区"), ("南京市", "鼓楼区"), ("开封市", "鼓楼区")])
def test_regions_gulou_by_city(context, county):
    r = resolve_names("鼓楼区人民政府", None, f"{context}人民政府办公室")
    assert r["county"] == county and r["city"] == context


# --- zones -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("issuer", [
    "平潭综合实验区管委会办公室",
    "平潭综合实验区君山片区管理局",
    "君山片区管理局森林防灭火指挥部办公室",
    "海坛片区管理局",
    "平潭综合实验区金井片区管理局党政办公室",
])
def test_regions_pingtan_zones_give_the_county_not_a_township(issuer):
    r = resolve_names(issuer, None, "")
    assert _where(r) == ("福建省", "福州市", "平潭县", None)
    assert r["code"] == "350128"


def test_regions_issuer_decides_over_a_township_in_the_title():
    title = "平潭综合实验区苏平片区管理局关于印发《屿头乡新冠病毒疫苗接种工作实施方案》的通知"
    r = resolve_names("平潭综合实验区苏平片区管理局", title, "屿头乡各村")
    assert _where(r) == ("福建省", "福州市", "平潭县", None)
    r = resolve_names(None, title, "")  # issuer lost: the names before 关于 speak
    assert _where(r) == ("福建省", "福州市", "平潭县", None)


@pytest.mark.parametrize("issuer,where", [
    ("雄安新区管理委员会", ("河北省", "保定市", None, None)),
    ("苏州工业园区管理委员会", ("江苏省", "苏州市", None, None)),  # a county-level statistical unit
    ("中卫工业园区管理委员会", ("宁夏回族自治区", "中卫市", "沙坡头区", None)),  # a township-level one
    ("行唐县经济开发区管委会", ("河北省", "石家庄市", "行唐县", None)),  # named after its county
    ("盏西镇工业园区管委会", ("云南省", "德宏傣族景颇族自治州", "盈江县", "盏西镇")),  # inside a township
])
def test_regions_zones_get_the_divisions_that_contain_them(issuer, where):
    assert _where(resolve_names(issuer, None, "")) == where


def test_regions_zone_named_after_a_short_county_name_needs_agreement():
    """平潭 alone is a weak short form; 福建 in the body confirms the zone's county (general rule)."""
    gaz = regions.gazetteer()
    ms = gaz.scan("平潭开发区管委会")
    assert ms[0].zone and "350128" in ms[0].codes
    assert resolve_names("平潭开发区管委会", None, "")["county"] is None
    assert resolve_names("平潭开发区管委会", None, "福建省人民政府")["county"] == "平潭县"


def test_regions_known_zones_file_codes_exist():
    gaz = regions.gazetteer()
    lines = [l for l in regions.ZONES_PATH.read_text(encoding="utf-8").splitlines()
             if l and not l.startswith("#") and not l.startswith("name\t")]
    assert len(lines) >= 6
    for line in lines:
        name, code, note = line.split("\t")
        assert code in gaz.div and note, line
        assert gaz.zones[name] == (code,)


# --- names and short forms -------------------------------------------------------------------------
@pytest.mark.parametrize("issuer,text,where", [
    ("盏西镇人民政府", "", ("云南省", "德宏傣族景颇族自治州", "盈江县", "盏西镇")),
    ("中共盈江县委办公室", "", ("云南省", "德宏傣族景颇族自治州", "盈江县", None)),
    ("盈江", "德宏州各县市", ("云南省", "德宏傣族景颇族自治州", "盈江县", None)),
    ("德宏州人民政府", "", ("云南省", "德宏傣族景颇族自治州", None, None)),
    ("石家庄", "", ("河北省", "石家庄市", None, None)),
    ("石家庄市行唐县上碑镇人民政府", "", ("河北省", "石家庄市", "行唐县", "上碑镇")),
    ("文山", "文山市古木镇", ("云南省", "文山壮族苗族自治州", "文山市", None)),
    ("文山", "文山州", ("云南省", "文山壮族苗族自治州", None, None)),
    ("文山", "古木镇", ("云南省", "文山壮族苗族自治州", None, None)),
    ("洞头县人民政府", "", ("浙江省", "温州市", "洞头区", None)),  # old name, now 洞头区
    ("上碑乡人民政府", "行唐县", ("河北省", "石家庄市", "行唐县", "上碑镇")),  # 乡 renamed 镇
    ("察布查尔县人民政府", "", ("新疆维吾尔自治区", "伊犁哈萨克自治州", "察布查尔锡伯自治县", None)),
    ("云南省人民政府办公厅", "", ("云南省", None, None, None)),
])
def test_regions_full_and_short_names(issuer, text, where):
    assert _where(resolve_names(issuer, None, text)) == where


def test_regions_weak_short_form_alone_is_not_a_place():
    assert _where(resolve_names("文山", None, "")) == (None,) * 4
    assert _where(resolve_names("平潭", None, "")) == (None,) * 4


@pytest.mark.parametrize("text", [
    "坚持以人民为中心，全心全意为人民服务，推进乡村振兴，加强公安工作，发展合作经济。",
    "进一步提高城镇化率，扩大城镇就业，推进乡镇综合执法，建设小城镇，文明乡风。",
    "中华人民共和国国务院关于人民和政府工作的报告，大城市的发展。",
], ids=["rural-revitalization", "urbanization", "state-council"])
def test_regions_ordinary_words_are_not_places(text):
    gaz = regions.gazetteer()
    assert [m.surface for m in regions._confirmed(gaz.scan(text), regions._Agreement(gaz.scan(text)))] == []
    assert _where(resolve_names(None, None, text)) == (None,) * 4


@pytest.mark.parametrize("issuer,where,code", [
    ("北京市人民政府", ("北京市", "北京市", None, None), "110000"),
    ("北京市海淀区人民政府", ("北京市", "北京市", "海淀区", None), "110108"),
    ("重庆市城口县人民政府", ("重庆市", "重庆市", "城口县", None), "500229"),
    ("仙桃市人民政府", ("湖北省", None, "仙桃市", None), "429004"),
    ("东莞市石碣镇人民政府", ("广东省", "东莞市", None, "石碣镇"), "441900101"),
])
def test_regions_output_levels_and_codes(issuer, where, code):
    r = resolve_names(issuer, None, "")
    assert (_where(r), r["code"]) == (where, code)


def test_regions_nothing_to_resolve():
    assert resolve_names(None, None, None) == {"province": None, "city": None, "county": None,
                                               "township": None, "code": None, "candidates": None}
    assert resolve_names("", "", "")["code"] is None


# --- national documents: no place ------------------------------------------------------------------
NATIONAL = sorted((SHARED / "bulk" / "national_gov_work_reports").glob("gwr_*.txt")) if SHARED.is_dir() else []


@needs_shared
def test_regions_national_reports_get_no_county_or_township():
    if not NATIONAL:
        pytest.skip("no national reports")
    placed = []
    for path in NATIONAL:
        r = resolve_names(None, None, path.read_text(encoding="utf-8"))
        if r["county"] or r["township"] or r["province"]:
            placed.append((path.name, _where(r)))
    assert placed == []


# --- data and cost ---------------------------------------------------------------------------------
def test_regions_table_is_township_level_and_matches_its_source_note():
    data = regions.TABLE_PATH.read_bytes()
    assert len(data) < 3 * 2**20
    rows = gzip.decompress(data).decode("utf-8").splitlines()
    assert rows[0] == "code\tname"
    townships = sum(1 for r in rows[1:] if len(r.split("\t")[0]) == 9)
    assert townships >= 40_000
    note = (regions.RESOURCES / "DIVISIONS_SOURCE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(data).hexdigest() in note
    assert f"{townships:,}" in note
    assert re.search(r"sha512-[A-Za-z0-9+/=]{80,}", note) and "license" in note.lower()


def test_regions_import_builds_nothing():
    code = ("import pipeline.regions as r, sys; assert r.gazetteer.cache_info().currsize == 0; "
            "assert 'pandas' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_regions_resolution_takes_milliseconds():
    doc = processed(SEEDS / "001_f2202100f5efb3b4.txt")
    resolve(doc)  # the table is built once per process
    t0 = time.perf_counter()
    for _ in range(20):
        resolve(doc)
    assert (time.perf_counter() - t0) / 20 < 0.05
