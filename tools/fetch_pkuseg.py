"""Fetch the default ("mixed"-domain) pkuseg model for the optional spacy-pkuseg segmenter.

spacy-pkuseg downloads its models from GitHub at run time; this machine only reaches PyPI, so
the model is taken instead from the PyPI sdist of the original `pkuseg` package, which ships its
default model (pkuseg/models/default/{features.pkl,weights.npz}). spacy-pkuseg 1.0.2 has the same
feature extractor, model and inference code and loads a model directory holding exactly those two
files (it tries features.msgpack, then features.pkl; then weights.npz), so the files are copied
byte for byte, no conversion needed.

    python tools/fetch_pkuseg.py [TARGET_DIR] [--sdist pkuseg-0.0.25.tar.gz] [--force]

TARGET_DIR defaults to <venv>/share/zwgk/pkuseg-default (the place pipeline.words looks, i.e.
Path(sys.prefix) when run with the venv's python, as `make pkuseg` does; .venv/ of the repo
otherwise). Does nothing if the model is already there. Standard library only.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import socket
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

PACKAGE = "pkuseg"
VERSION = "0.0.25"
SDIST = f"{PACKAGE}-{VERSION}.tar.gz"
# Pinned so that an offline --sdist copy can be checked too; PyPI's JSON must agree.
SDIST_SHA256 = "dd012bf93689721c9574bc2b2ba98fb4ac22790cec0af354a78e217828b81e91"
JSON_URL = f"https://pypi.org/pypi/{PACKAGE}/json"  # (the per-version .../{VERSION}/json 404s here)
MEMBER_DIR = f"{PACKAGE}-{VERSION}/pkuseg/models/default/"
MODEL_FILES = ("features.pkl", "weights.npz")
TIMEOUT = 60  # seconds, per socket operation

REPO = Path(__file__).resolve().parents[1]


def default_target() -> Path:
    if sys.prefix != sys.base_prefix:  # running inside a virtualenv: where pipeline.words looks
        return Path(sys.prefix) / "share/zwgk/pkuseg-default"
    return REPO / ".venv/share/zwgk/pkuseg-default"


def complete(target: Path) -> bool:
    # SOURCE.txt is written last, so its presence means the model was laid out completely.
    return all((target / name).is_file() for name in (*MODEL_FILES, "SOURCE.txt"))


class FetchError(Exception):
    pass


def _open(url: str):
    try:
        return urllib.request.urlopen(url, timeout=TIMEOUT)
    except urllib.error.HTTPError as e:
        raise FetchError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise FetchError(
            f"cannot reach {url} ({reason}).\n"
            f"  This step needs network access to pypi.org once (proxies: https_proxy is honoured).\n"
            f"  Offline: download {SDIST} (sha256 {SDIST_SHA256}) elsewhere and run\n"
            f"    python tools/fetch_pkuseg.py --sdist /path/to/{SDIST}"
        ) from None


def pypi_release() -> dict:
    """The sdist's url, sha256 and the license as PyPI gives it."""
    with _open(JSON_URL) as r:
        meta = json.load(r)
    files = meta.get("releases", {}).get(VERSION) or (
        meta["urls"] if meta["info"]["version"] == VERSION else [])
    sdists = [u for u in files if u["packagetype"] == "sdist" and u["filename"] == SDIST]
    if not sdists:
        raise FetchError(f"{JSON_URL} lists no {SDIST}")
    u = sdists[0]
    if u["digests"]["sha256"] != SDIST_SHA256:
        raise FetchError(f"PyPI gives sha256 {u['digests']['sha256']} for {SDIST}, "
                         f"expected the pinned {SDIST_SHA256}; refusing")
    info = meta["info"]
    license_ = info.get("license_expression") or info.get("license") or "(empty)"
    classifiers = [c for c in info.get("classifiers", []) if c.startswith("License ::")]
    return {"url": u["url"], "sha256": u["digests"]["sha256"], "size": u["size"],
            "license": license_, "license_classifiers": classifiers, "from": JSON_URL}


def download(url: str, dest: Path, expected_sha256: str) -> None:
    h = hashlib.sha256()
    with _open(url) as r, open(dest, "wb") as f:
        total = int(r.headers.get("Content-Length") or 0)
        done = 0
        try:
            while chunk := r.read(1 << 20):
                f.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if total and sys.stderr.isatty():
                    print(f"\r  {done >> 20}/{total >> 20} MB", end="", file=sys.stderr)
        except (socket.timeout, TimeoutError, OSError) as e:
            raise FetchError(f"download of {url} interrupted after {done} bytes ({e})") from None
        if total and sys.stderr.isatty():
            print(file=sys.stderr)
    if h.hexdigest() != expected_sha256:
        raise FetchError(f"sha256 mismatch for {url}: got {h.hexdigest()}, expected {expected_sha256}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module, name):  # every route to code (GLOBAL, REDUCE, EXT*) goes here
        raise FetchError(f"features.pkl refers to {module}.{name}; refusing")


def check_pickle_is_plain_data(path: Path) -> None:
    """spacy-pkuseg pickle.load()s features.pkl: make sure it only builds plain data (no class or
    function lookups, so loading it can run no code) and has the keys spacy-pkuseg reads."""
    with open(path, "rb") as f:
        data = _PlainDataUnpickler(f).load()
    keys = {"unigram", "bigram", "feature_to_idx", "tag_to_idx"}
    if not isinstance(data, dict) or not keys <= data.keys():
        raise FetchError(f"{path.name}: not the expected feature tables")


def check_npz(path: Path) -> None:
    """weights.npz must hold the two plain arrays spacy-pkuseg reads (no object arrays)."""
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        if names != ["sizes.npy", "w.npy"]:
            raise FetchError(f"{path.name}: unexpected members {names}")
        for name in names:
            with z.open(name) as f:
                header = f.read(256)
            if not header.startswith(b"\x93NUMPY") or b"'descr': '|O'" in header:
                raise FetchError(f"{path.name}/{name}: not a plain numeric .npy array")


def extract_model(sdist: Path, dest: Path) -> dict[str, str]:
    """Copy only pkuseg/models/default/{features.pkl,weights.npz} from the sdist into dest."""
    out = {}
    with tarfile.open(sdist, "r:gz") as tar:
        for name in MODEL_FILES:
            try:
                member = tar.getmember(MEMBER_DIR + name)
            except KeyError:
                raise FetchError(f"{sdist.name} has no {MEMBER_DIR + name}") from None
            if not member.isfile():
                raise FetchError(f"{MEMBER_DIR + name} is not a regular file")
            src = tar.extractfile(member)
            with src, open(dest / name, "wb") as f:
                shutil.copyfileobj(src, f, 1 << 20)
            out[name] = sha256_file(dest / name)
    check_pickle_is_plain_data(dest / "features.pkl")
    check_npz(dest / "weights.npz")
    return out


def sdist_license(sdist: Path) -> tuple[str, list[str]]:
    with tarfile.open(sdist, "r:gz") as tar:
        f = tar.extractfile(f"{PACKAGE}-{VERSION}/PKG-INFO")
        lines = f.read().decode("utf-8", "replace").splitlines()
    lic = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("License:")), "(none)")
    return lic, [l.split(":", 1)[1].strip() for l in lines if l.startswith("Classifier: License ::")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("target", nargs="?", type=Path, default=None,
                    help="model directory (default: <venv>/share/zwgk/pkuseg-default)")
    ap.add_argument("--sdist", type=Path, help=f"use a local {SDIST} instead of downloading it")
    ap.add_argument("--force", action="store_true", help="re-fetch even if the model is present")
    args = ap.parse_args(argv)
    target = (args.target or default_target()).expanduser().absolute()

    if complete(target) and not args.force:
        print(f"pkuseg model already in {target}")
        return 0
    if target.exists() and not target.is_dir():
        raise FetchError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not complete(target):
        raise FetchError(f"{target} exists but holds an incomplete model; remove it and rerun")
    target.parent.mkdir(parents=True, exist_ok=True)

    # Work next to the target (same filesystem), then move into place in one rename.
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        if args.sdist:
            sdist = args.sdist
            print(f"checking {sdist}")
            if sha256_file(sdist) != SDIST_SHA256:
                raise FetchError(f"{sdist}: sha256 is not the pinned {SDIST_SHA256}")
            lic, classifiers = sdist_license(sdist)
            rel = {"url": str(sdist.absolute()), "sha256": SDIST_SHA256, "license": lic,
                   "license_classifiers": classifiers, "from": f"PKG-INFO of the local {SDIST}"}
        else:
            rel = pypi_release()
            print(f"downloading {SDIST} ({rel['size'] / 1e6:.0f} MB) from PyPI")
            sdist = work / SDIST
            download(rel["url"], sdist, rel["sha256"])
        model = work / "model"
        model.mkdir()
        hashes = extract_model(sdist, model)
        (model / "SOURCE.txt").write_text(
            "Default (mixed-domain) pkuseg model, for spacy_pkuseg.pkuseg(<this directory>).\n"
            f"package: {PACKAGE} {VERSION} (PyPI)\n"
            f"file: {SDIST}\n"
            f"url: {rel['url']}\n"
            f"sha256: {rel['sha256']}\n"
            f"members: {MEMBER_DIR}{{{','.join(MODEL_FILES)}}}, copied unchanged\n"
            + "".join(f"sha256 {name}: {h}\n" for name, h in hashes.items())
            + f"license: {rel['license']}\n"
            f"license classifiers: {'; '.join(rel['license_classifiers']) or '(none)'}\n"
            f"license source: {rel['from']}\n"
            f"fetched: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
            f"by: tools/fetch_pkuseg.py\n",
            encoding="utf-8")
        if target.is_dir():
            if args.force and complete(target):
                shutil.rmtree(target)  # only a directory we recognise as our own complete model
            else:
                target.rmdir()  # empty (checked above)
        os.replace(model, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = sum(f.stat().st_size for f in target.iterdir())
    print(f"pkuseg model ({size / 1e6:.0f} MB) in {target}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FetchError as e:
        print(f"fetch_pkuseg: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
