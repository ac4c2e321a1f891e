"""What a title says: is a line a title, its type word, the body it starts with, its year.

>>> doc_type_of("温州市洞头区人民政府办公室关于印发《2020年洞头区政务公开工作要点》的通知")
'通知'
>>> doc_type_of("古木镇人民政府2018年政府信息公开工作年度报告"), doc_type_of("永康镇2022年政务公开工作实施方案")
('年度报告', '方案')
>>> doc_type_of("平潭综合实验区海坛片区管理局2024年度工作总结及2025年工作思路")
'总结'
>>> issuer_from_title("永康镇2022年政务公开工作实施方案"), issuer_from_title("关于调整领导小组成员的通知")
('永康镇', None)
>>> period_year_of("2022年工作总结及2023年工作计划"), period_year_of("二〇二〇年工作要点")
(2022, 2020)
"""
from __future__ import annotations

import re

OFFICIAL_TYPES = ["决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示", "批复", "议案",
                  "函", "纪要"]
GENRES = ["方案", "要点", "总结", "计划", "规定", "制度", "办法"]
# A parenthesised tail such as （试行） or （2023年修订） does not change the type word before it.
_TAIL_RE = re.compile(r"(?:[(（][^()（）]{1,12}[)）])+$")
_TYPE_END_RE = re.compile(r"(决定书|年度报告|" + "|".join(OFFICIAL_TYPES + GENRES) + r"|思路|打算|细则|公示|规划|指南|目录|"
                          r"分解表|清单|名单|一览表|表|安排|规则|须知|章程|守则|标准|告知书|倡议书|公开信)$")
_TITLE_WORD_RE = re.compile(r"关于|" + _TYPE_END_RE.pattern)
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年|([〇○零一二三四五六七八九]{4})\s*年")
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
_ORG_END = re.compile(r"(?:人民政府|政府|办公室|办公厅|委员会|管委会|管理局|局|厅|中心|指挥部|小组|党委|党工委|工委|"
                      r"镇|乡|街道办事处|街道|区|县|市|州|省|片区|村委会|社区|公司|集团|所|站|院|队)$")


def _bare(title: str) -> str:
    return _TAIL_RE.sub("", re.sub(r"\s+", "", title)).rstrip("。.")


def is_title_like(line: str) -> bool:
    """A heading line that names a document: short, no running-text punctuation, a type word."""
    s = re.sub(r"\s+", "", line)
    if not (5 <= len(s) <= 100) or re.search(r"[。;；]|[，,].*[，,]|:$|：$", s):
        return False
    if re.match(r"^[(（]?[一二三四五六七八九十\d]+[)）、.]", s):   # an outline item, not a title
        return False
    return bool(_TYPE_END_RE.search(_bare(s))) or s.startswith("关于")


def doc_type_of(title: str) -> str:
    """The type word that ends the title (SCHEMA.md documents.doc_type)."""
    t = _bare(title)
    m = _TYPE_END_RE.search(t)
    word = m.group(1) if m else ""
    if "总结" in t and word in ("计划", "思路", "打算", "安排", "总结"):
        return "总结"
    if word == "年度报告":
        return "年度报告" if "政府信息公开" in t or "政务公开" in t else "报告"
    if word == "决定书":
        return "决定"
    if word in OFFICIAL_TYPES or word in GENRES:
        return word
    return "其他"


def issuer_from_title(title: str) -> str | None:
    """The body a title starts with: 永康镇2022年… → 永康镇; 古木镇人民政府关于… → 古木镇人民政府."""
    t = re.sub(r"\s+", "", title)
    m = re.match(r"^(.{2,40}?)(?:关于|(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4}年)", t)
    if not m:
        return None
    head = m.group(1)
    return head if _ORG_END.search(head) and not re.search(r"[《》“”\"，,、]", head) else None


def period_year_of(title: str) -> int | None:
    m = _YEAR_RE.search(title)
    if not m:
        return None
    if m.group(1):
        return int(m.group(1))
    return int("".join(str(_CN_DIGIT[c]) for c in m.group(2)))
