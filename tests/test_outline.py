"""pipeline.outline: numbered items at every level, against gold and on hand-made cases."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pytest

from conftest import GOLD_PINGTAN, GOLD_SEEDS, PINGTAN, SEEDS, gold_cases, processed
from pipeline.outline import find_items
from pipeline.textnorm import fold


def _key(number, heading):
    h = re.sub(r"\s+", "", unicodedata.normalize("NFKC", heading))
    h = re.sub(r"[\"'《》、，,。.：:;；“”]", "", h)
    return int(number), h[:6]


def _items(text):
    return find_items(text, fold(text), [(0, len(text))])


def _f1(cases):
    tp = g = p = 0
    for path, gold in cases:
        doc = processed(path)
        ignore = [(r["start"], r["end"]) for r in gold.get("ignore", [])]
        pred = Counter(_key(i.number, i.heading) for i in doc.items
                       if not any(a <= i.start < b for a, b in ignore))
        want = Counter(_key(i["number"], i["heading"]) for i in gold["items"])
        tp += sum((pred & want).values())
        g += sum(want.values())
        p += sum(pred.values())
    return 2 * tp / (g + p) if g + p else 1.0


def test_outline_seed_items_match_gold():
    cases = gold_cases(GOLD_SEEDS, SEEDS)
    if not cases:
        pytest.skip("../shared is absent")
    assert _f1(cases) >= 0.97


def test_outline_crawled_pages_items_f1():
    cases = gold_cases(GOLD_PINGTAN, PINGTAN)
    if not cases:
        pytest.skip("../shared is absent")
    assert _f1(cases) >= 0.90


def test_outline_levels_parents_and_paths():
    text = "一、总体要求\n（一）指导思想\n1.坚持公开。\n2.坚持规范。\n（二）目标\n二、重点任务\n1.公开预算。\n"
    items = _items(text)
    assert [(i.marker, i.level, i.path) for i in items] == [
        ("一、", 1, "1"), ("（一）", 2, "1.1"), ("1.", 3, "1.1.1"), ("2.", 3, "1.1.2"), ("（二）", 2, "1.2"),
        ("二、", 1, "2"), ("1.", 2, "2.1")]
    assert items[2].parent_id == items[1].item_id and items[6].parent_id == items[5].item_id
    assert items[0].text == text[:text.index("二、")].rstrip()


def test_outline_skipped_and_repeated_numbers_kept():
    text = "一、甲\n二、乙\n(四)丁\n(六)己\n二、存在问题\n三、下一步\n"
    assert [(i.number, i.heading) for i in _items(text)] == [
        (1, "甲"), (2, "乙"), (4, "丁"), (6, "己"), (2, "存在问题"), (3, "下一步")]


@pytest.mark.parametrize("text,expected", [
    # flattened page: markers inside one line, a first child glued to its parent's heading
    ("要求：一、组织形式（一）片区考核。二、时间安排2023年底完成。三、考核内容1.林长制情况（8分）考核。2.配套制度（8分）。",
     [(1, "组织形式"), (1, "片区考核"), (2, "时间安排2023年底完成"), (3, "考核内容"), (1, "林长制情况（8分）考核"), (2, "配套制度（8分）")]),
    # decimals, dates, money and list words are not markers
    ("共1.5亿元，增长2.5%，统一、规范，三、四月份完成。", []),
    ("①点位长；②人员；③物资。", [(1, "点位长；"), (2, "人员；"), (3, "物资")]),
    ("第一条 为了规范。\n第二条 本办法适用于。\n", [(1, "为了规范"), (2, "本办法适用于")]),
])
def test_outline_inline_markers(text, expected):
    assert [(i.number, i.heading) for i in _items(text)] == expected


def test_outline_survives_200k_markers():
    text = "1." * 100_000 + "一、" * 100_000
    items = _items(text)
    assert len(items) <= 2
