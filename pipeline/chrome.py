"""Web-page chrome: the parts of a crawled page that are the site's, not the document's.

发布日期/发布时间/时间, 来源, 浏览次数, 字体, 当前位置 breadcrumbs, 分享 links, crawler header lines
(标题: / 发布时间: / 发布机构: / 文号:). Patterns run on folded text (ASCII colons and brackets).
"""
from __future__ import annotations

import re

_DATE_VALUE = r"(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}(?:\s*日)?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)"

# Crawler / CMS header lines "标题: …" at the start of a line (whole line is chrome).
HEADER_LINE_RE = re.compile(r"^[ \t]*(?P<key>标题|题目|发布时间|发布日期|发布机构|文号|栏目|原文链接|索引号|"
                            r"主题分类|所属机构|发文机关|成文日期|来源|信息来源)[ \t]*:[ \t]*(?P<value>[^\n]*)$", re.M)

# Keys such as 来源 or 时间 are chrome only when they do not end a longer word (资金来源, 完成时间).
_NO_CJK_BEFORE = r"(?<![\u4e00-\u9fff])"
# Inline chrome pieces anywhere in a line; order matters only for readability.
_INLINE = [
    r"当前位置\s*:[^\n]*?(?=(?:信息)?来源\s*:|(?:发布)?时间\s*:|发布日期\s*:|\n|$)",
    _NO_CJK_BEFORE + r"(?:信息)?来源\s*:[ \t]*[^\s:]{0,40}",
    _NO_CJK_BEFORE + r"作者\s*:[ \t]*[^\s:]{0,20}",
    _NO_CJK_BEFORE + r"(?:发布|更新|成文)?(?:日期|时间)\s*:[ \t]*" + _DATE_VALUE,
    r"(?:浏览|访问|阅读|点击)(?:次数|量|数|率)?\s*:[ \t]*\d*(?:\s*次)?",
    r"点击\s*:[ \t]*\d*",
    r"[\[【]?\s*字体\s*:?\s*[\[【]?[ \t大中小]*[\]】]\s*[\]】]?",
    r"微信\s+微博\s+QQ空间",
    r"分享到\s*:?(?:[ \t]*(?:微信|微博|QQ空间|QQ|新浪微博|腾讯微博|朋友圈))*",
    r"全真版\s+文字版(?:\s+文件下载)?(?:\s+相关链接\s*:\s*-->)?",
    r"相关链接\s*:\s*-->",
    r"附件下载",
    r"[\[【]\s*(?:打印(?:本页)?|关闭(?:窗口)?|返回顶部|收藏)\s*[\]】]",
    r"(?:打印本页|关闭窗口|返回顶部)",
    r"\[image:[^\]\n]*\]",
    r"\[bookmark:[^\]\n]*\]",
]
INLINE_CHROME_RE = re.compile("|".join(f"(?:{p})" for p in _INLINE))
PUBLISHED_RE = re.compile(r"(?:发布|更新)?(?:日期|时间)\s*:[ \t]*(?P<date>" + _DATE_VALUE + ")")


def chrome_spans(folded: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of every chrome piece; key is the header key for header lines, else ''."""
    spans = [(m.start(), m.end(), m.group("key")) for m in HEADER_LINE_RE.finditer(folded)]
    taken = [(s, e) for s, e, _ in spans]
    for m in INLINE_CHROME_RE.finditer(folded):
        if m.end() > m.start() and not any(s <= m.start() < e for s, e in taken):
            spans.append((m.start(), m.end(), ""))
    spans.sort()
    return spans
