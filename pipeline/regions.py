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
   autonomous unit without its nationalities (德宏州, 察布查尔县); X街道 for X街道办事处; X乡 for a
   民族乡; X乡 for today's X镇 and X镇 for X乡 (renamed townships: 上碑乡 -> 上碑镇); a short form
   followed by 县 that is no current name is an old name (洞头县 for today's 洞头区). A short form
   never hides a full name (文山市 is the county, not 文山 + 市). Township names are not shortened
   (盏西 alone is not 盏西镇). Short forms that are ordinary words (共和, 振兴, 公安, 合作 …,
   `STOP_STEMS`) are not used, nor full names that are (小城镇, 文明乡, `STOP_NAMES`), nor a name
   ending in 城镇 inside 城镇化, 城镇居民 ….
   Names of two characters (short forms such as 平潭, 盈江; names such as 成县, 城区, 新镇) are
   *weak*: anywhere in the document they count only for the readings that another name (written
   differently) agrees with: the same division, one inside it or in the same county, or one that
   encloses it below the province level (a province confirms a city or a zone's name only: 甘肃
   does not make 和政府 a mention of 和政县).
   The text is scanned left to right taking the longest name at each position (a dict of names
   indexed by their first two characters), the body up to `BODY_LIMIT` characters: a few
   milliseconds per document.
2. Zones. Bodies that are not divisions get the division that contains them and nothing deeper:
   the names of ``zones.tsv`` (平潭综合实验区, 君山片区 -> 平潭县); the statistical list's own
   non-division units when their name places them (county codes 71-80 such as 苏州工业园区 -> its
   city; township codes 4xx-5xx such as 中卫工业园区 -> 沙坡头区); and, as a general rule, a zone
   named after a division (X + 综合实验区/开发区/新区/片区/园区/管委会 …) inherits it: a county or city
   named X, or for X片区 / X管理区 also the county of a township X镇/X乡/X街道 (a 片区 named after a
   township covers more than that township, so the township stays null). A zone whose name holds a
   full township or county name (盏西镇工业园区, 行唐县经济开发区) lies in that division.
3. Which text. The issuer decides. Only when the issuer names no place does the title, and then
   its names before 关于 (else those outside 《》, else all); failing both, the body. A county
   body's documents get no township even if the title or the body names one
   (苏平片区管理局关于印发《屿头乡…方案》的通知 -> 平潭县, township null).
4. Most specific consistent reading. Each name in the deciding text supports every division it may
   denote and all their descendants; the division with the most support wins, so 温州市洞头区 gives
   洞头区 (both names agree), and a stray short form that fits no other name loses.
5. Ambiguity (永康镇 ×3, 城关镇 ×88, 鼓楼区 ×4, 文山 = 文山州 or 文山市). Tied readings are scored
   with every name of the title and body: a name of the reading itself or of an enclosing division
   counts 1 (沙坡头区 -> 永康镇 of 中卫市), an enclosed division 0.5, a division of the same county
   0.5, of the same city 0.25, of the same province 0.1 (weak names count half, names that are
   themselves ambiguous for a share). The best reading wins if it scores at least 1 and more than
   any other. Otherwise nothing below the levels shared by the best readings is filled and
   ``candidates`` lists them; readings nested in one another with no evidence for the deeper one
   (文山 with only 古木镇 around) keep the enclosing division (文山州).
6. Body fallback (no place in issuer or title): province, then city, then county, each only when
   it holds more than half of the body's unambiguous names at that level or below, and at least
   two and one per 3,000 characters; nothing unless it reaches a city (a national report about
   西藏 is not from 西藏). Then a township of that county only if it has at least three of the names
   and three quarters of those naming its townships.
7. Output. Municipalities (北京市 …) give the municipality as the city (the list's 市辖区 / 县 are not
   names); counties directly under a province (省直辖县级行政区划: 济源市, 仙桃市 …) have no city; the
   county rows that repeat their city (东莞市, 中山市, 儋州市, 嘉峪关市) and the statistical zones give
   no county. Divisions merged away before mid-2023 are not in the table (白青乡).
"""
from __future__ import annotations

import functools
import gzip
import itertools
import json
import operator
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
BODY_LIMIT = 20_000  # characters of the body read for context (bounds the time on long files)

_PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_MUNICIPAL_CITIES = {"市辖区", "县"}

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
    "小店 平房 丰满 民权 全州 阿里 大观 莲花 双桥 和政 新和 民和 惠民 富民 安居 乐业 兴业 方正 大新 大城".split())
# Full names that are ordinary words too (小城镇建设, 文明乡风), and type words listed as names.
STOP_NAMES = frozenset({"小城镇", "中心镇", "小村镇", "文明乡", "街道", "街道办事处", "镇", "乡", "苏木", "地区"})
# 提高城镇化, 扩大城镇就业, 位于城镇: a name ending in 城镇 followed by these is the word 城镇.
_CHENGZHEN_WORD = re.compile(r"城镇[化居职人就低建体规企经社区乡村、和及与]")
_ETHNIC_TOWNSHIP = re.compile(r"(.{2,}?)(?:" + "|".join(n + "族" for n in _NATIONALITIES) + r")+(乡|镇)")
_AUTONOMOUS = re.compile(r"(.+?)自治(区|州|县|旗)")

ZONE_SUFFIX_RE = re.compile(
    r"(?:综合实验区|综合试验区|经济技术开发区|高新技术产业开发区|经济开发区|工业园区|产业园区|开发区|高新区|实验区|"
    r"试验区|示范区|合作区|新区|片区|园区|管理区|管委会|风景名胜区|度假区)")
_TOWNSHIP_ZONES = {"片区", "管理区"}  # zones named after a township (君山片区): look the stem up as X镇/X乡
# A short form followed by 县 that makes no current name is an old name (洞头县 for today's 洞头区);
# not 市 or 区, which start ordinary words (大城市, 文山市场, 平潭区域).
_OLD_NAME_RE = re.compile(r"县(?!域)")
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
        full: dict[str, list[str]] = {}  # surface -> codes it is the full name of
        short: dict[str, list] = {}  # surface -> [strength, codes] of short forms (and 2-character names)
        for d in self.div.values():
            if d.placeholder or d.zone or d.name in STOP_NAMES:
                continue
            if len(d.name) > 2 and not d.name.endswith("城镇"):
                full.setdefault(d.name, []).append(d.code)
            else:  # weak like short forms: 城区, 郊区, 新镇, 成县 (完成县级), 万城镇 (二百多万城镇劳动力)
                self._add_short(short, d.name, d.code, WEAK)
            for surface, strength in self._short_forms(d):
                self._add_short(short, surface, d.code, strength)
        # surface -> (codes, strength); short forms never shadow a full name.
        self.names: dict[str, tuple[tuple[str, ...], int]] = {
            surface: (tuple(dict.fromkeys(v[1])), v[0]) for surface, v in short.items() if surface not in full}
        self.names.update((surface, (tuple(codes), FULL)) for surface, codes in full.items())
        self.zones: dict[str, tuple[str, ...]] = {}
        self.prefix: dict[str, tuple[int, ...]] = {}
        self._index_prefixes(self.names)
        # The statistical list's own zones count where their name places them (石家庄高新技术产业开发区,
        # 中关村科技园区密云园); generic ones (经济开发区, 一农场, 红旗农场) are left to rule 2.
        zone_forms: dict[str, set[str]] = {}  # surface -> containing codes
        for d in self.div.values():
            if d.zone:
                home = self.container(d.code)
                if any(_relation(c, home) >= 0.25 for m in self.scan(d.name) for c in m.codes):
                    zone_forms.setdefault(d.name, set()).add(home)
        for name, code in zones:
            zone_forms.setdefault(name, set()).add(code)
        self.zones = {surface: tuple(sorted(c)) for surface, c in zone_forms.items()}
        self._index_prefixes(self.zones)

    @staticmethod
    def _add_short(short: dict, surface: str, code: str, strength: int) -> None:
        if len(surface) >= 2 and surface not in STOP_NAMES:
            v = short.get(surface)
            if v is None:
                short[surface] = [strength, [code]]
            else:
                v[0] = max(v[0], strength)
                v[1].append(code)

    def _index_prefixes(self, surfaces) -> None:
        """Lengths of the names by their first two characters, longest first (the scan's index)."""
        prefix: dict[str, set[int]] = {k: set(v) for k, v in self.prefix.items()}
        for surface in surfaces:
            prefix.setdefault(surface[:2], set()).add(len(surface))
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
        elif (first := self.div.get(code + "01")) is not None and first.name in _MUNICIPAL_CITIES:
            out["city"] = prov.name  # 北京市 …: the municipality is its own city
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
                name = name[:-3]
                yield name, STRONG
            m = _ETHNIC_TOWNSHIP.fullmatch(name)
            if m:
                yield m.group(1) + m.group(2), STRONG
            # Renamed townships (乡 -> 镇): older documents write 上碑乡 for today's 上碑镇; not for
            # stems that would make words (推进乡镇 is not 进乡街道).
            stem, t = name[:-1], name[-1:]
            if t in "乡镇" and len(stem) >= 2 and stem[-1] not in "乡镇城村":
                yield stem + ("镇" if t == "乡" else "乡"), STRONG
            return
        m = _AUTONOMOUS.fullmatch(name)
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
        n, free = len(s), 0
        # Positions where some name starts with the two characters there (one dict probe each).
        starts = [i for i, pair in enumerate(map(operator.add, s, itertools.islice(s, 1, None))) if pair in prefix]
        for i in starts:
            if i < free:
                continue
            for length in prefix[s[i:i + 2]]:
                sub = s[i:i + length]
                if len(sub) == length and (sub in zones or sub in names):
                    if sub.endswith("城镇") and _CHENGZHEN_WORD.match(s, i + length - 2):
                        continue
                    break
            else:
                continue
            end = i + length
            if sub in zones:
                out.append(Mention(i, end, sub, zones[sub], FULL, zone=True))
            else:
                codes, strength = names[sub]
                if strength < FULL and _OLD_NAME_RE.match(s, end):
                    strength, end = STRONG, end + 1  # 洞头县 for today's 洞头区
                out.append(Mention(i, end, sub, codes, strength))
            free = end
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
                codes = {self._cap(c) for c in m.codes}
                # 君山片区: 君山区 (湖南) or the county of 君山镇 (福建); 中卫工业园区 is just 中卫市.
                codes |= {c for c in self._township_stem(m.surface) if not any(c.startswith(x) for x in codes)}
                out[j] = Mention(m.start, m.end, m.surface, tuple(sorted(codes)), m.strength, zone=True)
                continue
            if zm.group() not in _TOWNSHIP_ZONES:
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
                    strength = STRONG if length > 2 else WEAK
                    added.append(Mention(pos - length, pos, stem, tuple(sorted(codes)), strength, zone=True))
                    break
        if added:
            out = sorted(out + added, key=lambda m: m.start)
        return out

    def _cap(self, code: str) -> str:
        return self.container(code) if len(code) == 9 else code

    def _township_stem(self, stem: str) -> set[str]:
        codes = set()
        for t in _TOWNSHIP_TYPES:
            found, strength = self.names.get(stem + t, ((), WEAK))
            if strength == FULL:
                codes.update(self.container(c) for c in found if len(c) == 9)
        return codes


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The division table and its name index, built on first use (about half a second, 27 MB),
    then shared by every call in the process."""
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


class _Agreement:
    """Which surfaces name each division or one of its ancestors, descendants (indexed by prefix)."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.exact: dict[str, set[str]] = {}
        self.below: dict[str, set[str]] = {}
        for m in mentions:
            for c in m.codes:
                self.exact.setdefault(c, set()).add(m.surface)
                for k in (2, 4, 6, 9):
                    if len(c) >= k:
                        self.below.setdefault(c[:k], set()).add(m.surface)

    def agrees(self, code: str, surface: str, zone: bool = False) -> bool:
        """Another name (of another surface) is this division, lies in it or in the same county, or
        encloses it below the province (a province confirms a city, or a zone's name, not a county:
        甘肃 does not make 和政府 a mention of 和政县, 福建 does make 平潭综合实验区 平潭县's)."""
        keys = [self.exact.get(code[:k]) for k in (2, 4, 6, 9)
                if len(code) >= k and (k > 2 or len(code) <= 4 or zone)]
        keys.append(self.below.get(code[:6] if len(code) >= 6 else code))
        return any(k and (len(k) > 1 or surface not in k) for k in keys)


def _confirmed(mentions: list[Mention], agreement: _Agreement) -> list[Mention]:
    """Rule 1: a weak name keeps only the readings another name of the document agrees with."""
    out = []
    for m in mentions:
        if m.strength != WEAK:
            out.append(m)
            continue
        keep = tuple(c for c in m.codes if agreement.agrees(c, m.surface, m.zone))
        if keep:
            out.append(Mention(m.start, m.end, m.surface, keep, m.strength, m.zone))
    return out


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


def _body_fallback(mentions: list[Mention], gaz: Gazetteer, chars: int) -> str | None:
    """Rule 6: the province, then city, then county that holds most of the body's unambiguous names
    at that level or below (a township counts for its county), and is named at least twice and once
    per 3,000 characters (a national report that names 上海 four times is not from 上海); then a
    township of that county if it has at least three of the names and three quarters of those naming
    its townships. A province alone is not enough."""
    tally: dict[str, float] = {}
    total = {2: 0.0, 4: 0.0, 6: 0.0}
    for m in mentions:
        if len(m.codes) != 1:
            continue
        code = m.codes[0]
        if len(code) == 9:
            code = gaz.container(code)
        w = _CONTEXT[m.strength]
        for k in (2, 4, 6):
            if len(code) >= k:
                tally[code[:k]] = tally.get(code[:k], 0.0) + w
                total[k] += w
    chosen = None
    for k in (2, 4, 6):
        level = [(v, c) for c, v in tally.items() if len(c) == k and (chosen is None or c.startswith(chosen))]
        if not level:
            break
        v, c = max(level)
        if v < max(2.0, chars / 3000) or v <= total[k] / 2:
            break
        chosen = c
    if chosen is None or len(chosen) == 2:
        return None  # a province alone is what the body is about (西藏 in a national report)
    if len(chosen) != 6:
        return chosen
    # A township only when it dominates: at least 3 of the names, and 3/4 of those of a township.
    towns: dict[str, float] = {}
    for m in mentions:
        inside = [c for c in m.codes if len(c) == 9 and c.startswith(chosen) and not gaz.div[c].zone]
        if len(inside) == 1:
            towns[inside[0]] = towns.get(inside[0], 0.0) + _CONTEXT[m.strength]
    if towns:
        v, c = max((v, c) for c, v in towns.items())
        if v >= 3 and v >= 0.75 * sum(towns.values()):
            return c
    return chosen


def _title_owner(mentions: list[Mention], title: str) -> list[Mention]:
    """The names of a title that say who speaks: before 关于, else outside 《》, else all (rule 3)."""
    about = title.find("关于")
    if about > 0 and (head := [m for m in mentions if m.end <= about]):
        return head
    quoted = [(q.start(), q.end()) for q in re.finditer(r"《[^》]*》", title)]
    outside = [m for m in mentions if not any(a <= m.start < b for a, b in quoted)]
    return outside or mentions


def resolve_names(issuer: str | None, title: str | None, text: str | None) -> dict:
    """Rules 3-7 on raw strings: the issuer decides; failing it the title; failing both the body."""
    gaz = gazetteer()
    im, tm, bm = gaz.scan(issuer or ""), gaz.scan(title or ""), gaz.scan((text or "")[:BODY_LIMIT])
    agreement = _Agreement(im + tm + bm)
    im, tm, bm = (_confirmed(x, agreement) for x in (im, tm, bm))
    out = _empty()
    primary = im or _title_owner(tm, title or "")
    if primary:
        code, tied = _decide(primary, tm + bm)
    else:
        code, tied = _body_fallback(bm, gaz, min(len(text or ""), BODY_LIMIT)), []
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
