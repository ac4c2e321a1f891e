"""Where a document comes from: province, city, county, township and division code of its issuer.

`resolve(doc)` (a processed Document, layout already run) and `resolve_names(issuer, title, text)`
return ``{"province", "city", "county", "township", "code", "candidates"}``: full official names of
the division table (云南省, 德宏傣族景颇族自治州, 盈江县, 盏西镇), the code of the most specific level
resolved (6 digits down to county, 9 for a township), and, when a name stays ambiguous, the candidates
as a JSON list of ``{"code", "path"}`` (path ``省/市/县/镇``); values are None when unknown.

Data: ``resources/divisions.tsv.gz`` (NBS 2023 statistical division list, 41,352 townships, built by
``tools/build_divisions.py``, see ``resources/DIVISIONS_SOURCE.md``) and ``resources/zones.tsv`` (known
zones -> the division that contains them). Both are read once per process, on the first call.

Decision rules
--------------
1. Names. Every division is found by its full name. Short forms are found too: a county, city or
   province without its type word (盈江 for 盈江县, 石家庄, 文山 for 文山市 and 文山州, 河北); an
   autonomous unit without its nationalities (德宏州, 察布查尔县); 街道 for 街道办事处; a 民族乡
   as X乡. A short form of two characters (平潭, 文山) is *weak*: alone in the issuer it counts only
   when another place name in the document agrees with it (same county or an enclosing or enclosed
   division). A short form followed by 县/区/市/旗/州/盟 that is not itself a name is an old name
   (洞头县 for today's 洞头区) and counts as strong. Township names are never shortened (盏西 alone is
   not 盏西镇). A few short forms that are common words (共和, 和平, 新华, 城关 …) are not used.
   The text is scanned left to right taking the longest name at each position (a dict of names
   indexed by their first two characters): a few milliseconds per document.
2. Zones. Bodies that are not divisions get the division that contains them and nothing deeper:
   the names of ``zones.tsv`` (平潭综合实验区, 君山片区 -> 平潭县); the statistical list's own
   non-division units (county codes 71-80 such as 苏州工业园区 -> its city; township codes 4xx-5xx
   such as 开发区, 农场 -> their county); and, as a general rule, a zone named after a division
   (X + 综合实验区/开发区/新区/片区/园区/管委会 …) inherits it: a county or city named X, or the
   county of the township X镇/X乡/X街道 (a 片区 named after a township covers more than that
   township, so the township stays null). A zone whose name holds a full township name
   (盏西镇工业园区) lies in that township.
3. Which text. The issuer decides. Only when the issuer names no place does the title, and failing
   both the body. A county body's documents get no township even if the title or the body names one
   (苏平片区管理局关于印发《屿头乡…方案》的通知 -> 平潭县, township null).
4. Most specific consistent reading. Each name in the deciding text supports every division it may
   denote and all their descendants; the division with the most support wins, so 温州市洞头区 gives
   洞头区 (both names agree), and a stray short form that fits no other name loses.
5. Ambiguity (永康镇 ×3, 城关镇 ×88, 鼓楼区 ×4, 文山 = 文山州 or 文山市). Tied readings are scored
   with every other place name of the title and body: a name of the reading itself or of an
   enclosing division counts 1 (沙坡头区 -> 永康镇 of 中卫市), an enclosed division 0.5, a division of
   the same county 0.5, of the same city 0.25, of the same province 0.1 (names that are themselves
   ambiguous count for a share). The best reading wins if it scores at least 1 and more than any
   other. Otherwise nothing below the levels shared by all readings is filled and ``candidates``
   lists them. Nested ties with no evidence either way (文山 alone) keep the enclosing division.
6. Body fallback (no place in issuer or title): a division is taken from the body only down to the
   county, and only when more than half of the body's unambiguous place names (at least two) lie in
   it. National documents that list many provinces get nothing.
7. Output. Municipalities (北京市 …) give the municipality as the city (the list's 市辖区 / 县 are not
   names); counties directly under a province (省直辖县级行政区划: 济源市, 仙桃市 …) have no city; the
   county rows that repeat their city (东莞市, 中山市, 儋州市, 嘉峪关市) and the statistical zones give
   no county. Historical divisions merged away before 2023 are not in the table (白青乡).
"""
from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"
TABLE_PATH = RESOURCES / "divisions.tsv.gz"
ZONES_PATH = RESOURCES / "zones.tsv"

PROVINCE, CITY, COUNTY, TOWNSHIP = range(4)
FIELDS = ("province", "city", "county", "township")
_LEVEL = {2: PROVINCE, 4: CITY, 6: COUNTY, 9: TOWNSHIP}
_PARENT_LEN = {4: 2, 6: 4, 9: 6}

FULL, STRONG, WEAK = 2, 1, 0  # strength of a name form
_SUPPORT = {FULL: 2.0, STRONG: 2.0, WEAK: 1.0}  # rule 4
_CONTEXT = {FULL: 1.0, STRONG: 1.0, WEAK: 0.5}  # rule 5
MIN_EVIDENCE = 1.0

_PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_MUNICIPAL_CITIES = {"市辖区", "县"}
_MUNICIPALITIES = {"11", "12", "31", "50"}

# The 55 nationalities as they appear in names of autonomous units (自治区/州/县/旗, 民族乡).
_NATIONALITIES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
    "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 "
    "保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split()
# Nationality at the end of a stem: with 族 always, without 族 only the longer names (维吾尔, 哈萨克 …).
_NATIONALITY_END = re.compile(
    "(?:" + "|".join(sorted((n + "族" for n in _NATIONALITIES), key=len, reverse=True)) + "|"
    + "|".join(sorted((n for n in _NATIONALITIES if len(n) >= 2), key=len, reverse=True)) + ")$")
# Bare short forms that are ordinary words in government prose (中华人民共和国 holds 共和, 乡村振兴
# holds 振兴, 公安局 holds 公安): never read as places; the full names (共和县, 振兴区) still are.
STOP_STEMS = frozenset(
    "共和 和平 新华 长安 东方 永安 太平 平安 安定 城关 城中 城东 城西 城南 城北 市中 新城 新市 郊区 城区 矿区 东区 "
    "西区 南区 北区 中区 新区 开发 高新 经济 发展 建设 民主 团结 胜利 前进 红旗 向阳 光明 友谊 江北 江南 河东 河西 "
    "南山 北山 东山 西山 青山 白云 中山 资源 合作 比如 南部 解放 港口 公安 友好 通道 中方 延长 新兴 运河 万年 东风 "
    "南岸 会同 工农 富裕 清水 前锋 复兴 振兴 清新 宏伟 平定 温泉 大方 互助 新建 同心 台前 光泽 长子 武功 高明 元宝 "
    "小店 平房 丰满 民权 全州 阿里 大观 莲花 双桥".split())
_TYPE_WORDS = frozenset({"街道", "街道办事处", "镇", "乡", "苏木", "地区"})

ZONE_SUFFIX_RE = re.compile(
    r"(?:综合实验区|综合试验区|经济技术开发区|高新技术产业开发区|经济开发区|工业园区|产业园区|开发区|高新区|实验区|"
    r"试验区|示范区|合作区|新区|片区|园区|管理区|管委会|风景名胜区|度假区)")
_OLD_NAME_SUFFIX = "县区市旗州盟"
_TOWNSHIP_TYPES = ("镇", "乡", "街道")


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: int
    zone: bool = False  # a statistical unit that is not a division (开发区, 农场 …)
    placeholder: bool = False  # 市辖区, 省直辖县级行政区划, county rows repeating their city


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name found in a text: the divisions it may denote (codes), its strength, its span."""
    start: int
    end: int
    surface: str
    codes: tuple[str, ...]
    strength: int
    zone: bool = False


def _is_under(code: str, ancestor: str) -> bool:
    """True when `ancestor` is `code` or encloses it (codes nest by prefix: 2, 4, 6, 9 digits)."""
    return code.startswith(ancestor)


def _relation(mcode: str, c: str) -> float:
    """Evidence a name denoting `mcode` gives for reading `c` (rule 5)."""
    if c.startswith(mcode):
        return 1.0
    if mcode.startswith(c):
        return 0.5
    if len(mcode) >= 6 and len(c) >= 6 and mcode[:6] == c[:6]:
        return 0.5
    if mcode[:4] == c[:4] and len(mcode) >= 4 and len(c) >= 4:
        return 0.25
    if mcode[:2] == c[:2]:
        return 0.1
    return 0.0


class Gazetteer:
    """The division table with a name index; build once (see `gazetteer()`)."""

    def __init__(self, rows: list[tuple[str, str]], zones: list[tuple[str, str]]) -> None:
        self.div: dict[str, Division] = {}
        names = {code: name for code, name in rows}
        for code, name in rows:
            level = _LEVEL[len(code)]
            zone = placeholder = False
            if level == CITY:
                placeholder = name in _PLACEHOLDER_CITIES
            elif level == COUNTY:
                zone = 71 <= int(code[4:6]) <= 80
                placeholder = name == names.get(code[:4])
            elif level == TOWNSHIP:
                zone = code[6] in "45"
            self.div[code] = Division(code, name, level, zone, placeholder)
        forms: dict[str, dict[str, int]] = {}  # surface -> {code: strength}
        zone_forms: dict[str, set[str]] = {}  # surface -> containing codes

        def add(surface: str, code: str, strength: int) -> None:
            if len(surface) >= 2:
                d = forms.setdefault(surface, {})
                d[code] = max(d.get(code, -1), strength)

        for d in self.div.values():
            if d.placeholder or d.zone or d.name in _TYPE_WORDS:
                continue
            full = FULL
            if len(d.name) == 2 and (d.level == TOWNSHIP or d.name.endswith("区")):
                full = WEAK  # 城区, 郊区, 新镇: ordinary words too
            add(d.name, d.code, full)
            for surface, strength in self._short_forms(d):
                add(surface, d.code, strength)
        self.names: dict[str, tuple[tuple[str, int], ...]] = {}
        for surface, d in forms.items():
            if FULL in d.values():
                d = {c: st for c, st in d.items() if st == FULL}  # short forms never shadow a full name
            self.names[surface] = tuple(sorted(d.items()))
        self.zones: dict[str, tuple[str, ...]] = {}
        self._index_prefixes()
        # The statistical list's own zones count where their name places them (石家庄高新技术产业开发区,
        # 中关村科技园区密云园); generic ones (经济开发区, 一农场, 红旗农场) are left to rule 2.
        for d in self.div.values():
            if d.zone:
                home = self.container(d.code)
                if any(_relation(c, home) >= 0.25 for m in self.scan(d.name) for c in m.codes):
                    zone_forms.setdefault(d.name, set()).add(home)
        for name, code in zones:
            zone_forms.setdefault(name, set()).add(code)
        self.zones = {s: tuple(sorted(c)) for s, c in zone_forms.items()}
        self._index_prefixes()

    def _index_prefixes(self) -> None:
        prefix: dict[str, set[int]] = {}
        for s in (*self.names, *self.zones):
            prefix.setdefault(s[:2], set()).add(len(s))
        self.prefix = {k: tuple(sorted(v, reverse=True)) for k, v in prefix.items()}

    # --- the table -------------------------------------------------------------------------
    def container(self, code: str) -> str:
        """The division that contains a statistical zone: its first ancestor that is not one."""
        c = code[:_PARENT_LEN[len(code)]]
        while len(c) > 2 and (self.div[c].zone or self.div[c].placeholder):
            c = c[:_PARENT_LEN[len(c)]]
        return c

    def fields(self, code: str) -> dict[str, str | None]:
        """province/city/county/township names for a code (rule 7)."""
        out: dict[str, str | None] = dict.fromkeys(FIELDS)
        prov = self.div[code[:2]]
        out["province"] = prov.name
        if len(code) >= 4:
            city = self.div[code[:4]]
            if not city.placeholder:
                out["city"] = city.name
            elif city.name in _MUNICIPAL_CITIES:
                out["city"] = prov.name
        elif code in _MUNICIPALITIES:
            out["city"] = prov.name
        if len(code) >= 6:
            county = self.div[code[:6]]
            if not (county.zone or county.placeholder):
                out["county"] = county.name
        if len(code) == 9 and not self.div[code].zone:
            out["township"] = self.div[code].name
        return out

    def path(self, code: str) -> str:
        return "/".join(v for v in self.fields(code).values() if v)

    @staticmethod
    def full_code(code: str) -> str:
        return code.ljust(6, "0") if len(code) < 6 else code

    # --- names ---------------------------------------------------------------------------------
    @staticmethod
    def _strip_nationalities(stem: str) -> str:
        while True:
            m = _NATIONALITY_END.search(stem)
            if not m or m.start() < 2:
                return stem
            stem = stem[:m.start()]

    def _short_forms(self, d: Division):
        """(surface, strength) short forms of a division's name (rule 1)."""
        name = d.name

        def bare(stem: str):
            if len(stem) >= 2 and stem not in STOP_STEMS:
                yield stem, (STRONG if len(stem) >= 3 else WEAK)

        if d.level == TOWNSHIP:
            if name.endswith("街道办事处"):
                yield name[:-3], STRONG
            m = re.fullmatch(r"(.{2,}?)(?:" + "|".join(n + "族" for n in _NATIONALITIES) + r")+(乡|镇)", name)
            if m:
                yield m.group(1) + m.group(2), STRONG
            return
        m = re.fullmatch(r"(.+?)自治(区|州|县|旗)", name)
        if m:
            stem = self._strip_nationalities(m.group(1))
            if d.level != PROVINCE:
                yield stem + m.group(2), STRONG  # 德宏州, 察布查尔县, 鄂温克旗
            yield from (bare(stem) if d.level != PROVINCE else [(stem, STRONG)])
            return
        if d.level == PROVINCE:
            if name.endswith(("省", "市")):
                yield name[:-1], STRONG  # 河北, 北京
            return
        for suffix in ("地区", "林区", "特区", "盟", "市", "县", "区", "旗"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                yield from bare(name[:-len(suffix)])
                return

    def scan(self, s: str) -> list[Mention]:
        """Place names in `s`, longest first at each position, left to right (rules 1-2)."""
        out: list[Mention] = []
        if not s:
            return out
        prefix, names, zones = self.prefix, self.names, self.zones
        i, n = 0, len(s)
        while i < n - 1:
            lens = prefix.get(s[i:i + 2])
            if lens is None:
                i += 1
                continue
            for length in lens:
                sub = s[i:i + length]
                if len(sub) == length and (sub in zones or sub in names):
                    break
            else:
                i += 1
                continue
            end = i + length
            if sub in zones:
                out.append(Mention(i, end, sub, zones[sub], FULL, zone=True))
            else:
                entries = names[sub]
                strength = max(st for _, st in entries)
                if strength < FULL and end < n and s[end] in _OLD_NAME_SUFFIX:
                    strength, end = STRONG, end + 1  # 洞头县 for today's 洞头区
                out.append(Mention(i, end, sub, tuple(c for c, _ in entries), strength))
            i = end
        return self._zones_named_after_places(s, out)

    def _zones_named_after_places(self, s: str, mentions: list[Mention]) -> list[Mention]:
        """X片区, X开发区 … : the zone inherits the county or city X, or the county of X镇 (rule 2)."""
        by_end = {m.end: k for k, m in enumerate(mentions)}
        out = list(mentions)
        added: list[Mention] = []
        k = prev_end = 0
        for zm in ZONE_SUFFIX_RE.finditer(s):
            pos, last, prev_end = zm.start(), prev_end, zm.end()
            if pos == last:
                continue  # 开发区管委会: one zone
            while k < len(mentions) and mentions[k].end <= pos:
                k += 1
            if k < len(mentions) and mentions[k].start <= pos < mentions[k].end:
                continue  # inside a name (浦东新区, 平潭综合实验区)
            j = by_end.get(pos)
            if j is not None:
                m = mentions[j]
                if m.zone or m.strength == FULL:
                    continue  # 盏西镇工业园区 lies in 盏西镇; 行唐县经济开发区 in 行唐县
                codes = {self._cap(c) for c in m.codes} | self._township_stem(m.surface)
                out[j] = Mention(m.start, m.end, m.surface, tuple(sorted(codes)), STRONG, zone=True)
                continue
            floor = mentions[k - 1].end if k else 0
            for length in (4, 3, 2):
                if pos - length < floor:
                    continue
                stem = s[pos - length:pos]
                if "区" in stem or "园" in stem:
                    continue
                codes = self._township_stem(stem)
                if codes:
                    added.append(Mention(pos - length, pos, stem, tuple(sorted(codes)), STRONG, zone=True))
                    break
        if added:
            out = sorted(out + added, key=lambda m: m.start)
        return out

    def _cap(self, code: str) -> str:
        return self.container(code) if len(code) == 9 else code

    def _township_stem(self, stem: str) -> set[str]:
        codes = set()
        for t in _TOWNSHIP_TYPES:
            for c, st in self.names.get(stem + t, ()):
                if st == FULL and len(c) == 9:
                    codes.add(self.container(c))
        return codes


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The division table and its name index, built on first use (about 0.3 s), then shared."""
    with gzip.open(TABLE_PATH, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or lines[0] != "code\tname":
        raise ValueError(f"{TABLE_PATH}: not a division table")
    rows = [tuple(line.split("\t", 1)) for line in lines[1:] if line]
    zones = []
    for line in ZONES_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("name\t"):
            continue
        name, code = line.split("\t")[:2]
        zones.append((name.strip(), code.strip()))
    gaz = Gazetteer(rows, zones)
    unknown = [c for _, c in zones if c not in gaz.div]
    if unknown:
        raise ValueError(f"{ZONES_PATH}: codes not in the division table: {unknown}")
    return gaz


# --- resolution ------------------------------------------------------------------------------------
def _empty() -> dict:
    return {"province": None, "city": None, "county": None, "township": None, "code": None,
            "candidates": None}


def _confirmed(m: Mention, others: list[Mention]) -> Mention | None:
    """A weak name keeps the readings another name (of another surface) agrees with (rule 1)."""
    if m.strength != WEAK:
        return m
    keep = tuple(c for c in m.codes
                 if any(o.surface != m.surface and any(_relation(oc, c) >= 0.5 for oc in o.codes)
                        for o in others))
    return Mention(m.start, m.end, m.surface, keep, m.strength, m.zone) if keep else None


def _support(primary: list[Mention]) -> dict[str, float]:
    """Rule 4: every reading of every name, supported by the names that agree with it."""
    codes = {c for m in primary for c in m.codes}
    return {c: sum(_SUPPORT[m.strength] for m in primary if any(_is_under(c, mc) for mc in m.codes))
            for c in codes}


def _context_scores(tied: list[str], context: list[Mention]) -> dict[str, float]:
    scores = dict.fromkeys(tied, 0.0)
    for m in context:
        w = _CONTEXT[m.strength] / len(m.codes)
        for c in tied:
            best = max(_relation(mc, c) for mc in m.codes)
            if best:
                scores[c] += w * best
    return scores


def _common_ancestor(codes: list[str]) -> str | None:
    for k in (9, 6, 4, 2):
        heads = {c[:k] for c in codes if len(c) >= k}
        if len(heads) == 1 and all(len(c) >= k for c in codes):
            return heads.pop()
    return None


def _decide(primary: list[Mention], context: list[Mention]) -> tuple[str | None, list[str]]:
    """(code, candidates): the winning reading, or the shared ancestor and the tied readings."""
    support = _support(primary)
    best = max(support.values())
    tied = sorted(c for c, v in support.items() if v == best)
    if len(tied) == 1:
        return tied[0], []
    scores = _context_scores(tied, context)
    ranked = sorted(tied, key=lambda c: (-scores[c], c))
    top = scores[ranked[0]]
    if top >= MIN_EVIDENCE and top > scores[ranked[1]]:
        return ranked[0], []
    leaders = [c for c in tied if scores[c] == top] if top >= MIN_EVIDENCE else tied
    shallow = min(leaders, key=len)
    if all(_is_under(c, shallow) for c in leaders):
        return shallow, []  # nested readings (文山州 ⊃ 文山市) with no evidence for the deeper one
    return _common_ancestor(leaders), leaders


def _body_fallback(mentions: list[Mention], gaz: Gazetteer) -> str | None:
    """Rule 6: the county (or city, province) that holds most of the body's unambiguous names."""
    tally: dict[str, float] = {}
    total = 0.0
    for m in mentions:
        if len(m.codes) != 1:
            continue
        code = m.codes[0]
        if len(code) == 9:
            code = gaz.container(code)
        w = _CONTEXT[m.strength]
        total += w
        for k in (2, 4, 6):
            if len(code) >= k:
                tally[code[:k]] = tally.get(code[:k], 0.0) + w
    chosen = None
    for k in (2, 4, 6):
        level = [(v, c) for c, v in tally.items() if len(c) == k and (chosen is None or c.startswith(chosen))]
        if not level:
            break
        v, c = max(level)
        if v < 2 or v <= total / 2:
            break
        chosen = c
    return chosen


def resolve_names(issuer: str | None, title: str | None, text: str | None) -> dict:
    """Rules 3-7 on raw strings: the issuer decides; failing it the title; failing both the body."""
    gaz = gazetteer()
    im, tm, bm = gaz.scan(issuer or ""), gaz.scan(title or ""), gaz.scan(text or "")
    everything = im + tm + bm
    out = _empty()
    primary: list[Mention] = []
    for source in (im, tm):
        primary = [c for m in source if (c := _confirmed(m, everything)) is not None]
        if primary:
            break
    if primary:
        code, tied = _decide(primary, tm + bm)
    else:
        code, tied = _body_fallback(bm, gaz), []
    if code:
        out.update(gaz.fields(code))
        out["code"] = gaz.full_code(code)
    if tied:
        out["candidates"] = json.dumps([{"code": gaz.full_code(c), "path": gaz.path(c)} for c in tied],
                                       ensure_ascii=False, separators=(",", ":"))
    return out


def resolve(doc) -> dict:
    """The region of a processed `pipeline.document.Document` (layout already run)."""
    return resolve_names(doc.meta.issuer, doc.meta.title, doc.text)
