"""Words, for the features and the spaCy tokenizer that need them: jieba with the government user
dictionary (pipeline/resources/userdict.txt). Loaded lazily, once per process; numbers, dates and
文号 are never found on words (they come from regexes on the raw text)."""
from __future__ import annotations

import functools
import logging
from importlib import resources


@functools.lru_cache(maxsize=1)
def jieba_tokenizer():
    """A jieba Tokenizer with the user dictionary. jieba_fast, when installed, is the same algorithm
    and dictionary with its inner loops in C (about 1.6x faster, identical words): preferred."""
    try:
        import jieba_fast as jieba
    except ImportError:
        import jieba
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    with resources.files("pipeline.resources").joinpath("userdict.txt").open("rb") as f:
        tok.load_userdict(f)  # a file object: given a path, jieba leaves the file open
    return tok


def words(text: str) -> list[str]:
    """jieba words of `text` (no HMM for unknown words: faster, and rare words matter little here).

    >>> words("加强政务公开工作")
    ['加强', '政务公开', '工作']
    """
    return jieba_tokenizer().lcut(text, HMM=False)


# --- Optional: spacy-pkuseg words, for the classifier comparison -------------------------------
# The model (pkuseg's default mixed-domain one) is put in place by `make pkuseg`
# (tools/fetch_pkuseg.py); nothing is downloaded here.
import contextlib
import importlib.util
import io
import os
import sys
from pathlib import Path


def pkuseg_model_dir() -> Path:
    """$ZWGK_PKUSEG_MODEL, else <venv>/share/zwgk/pkuseg-default (where `make pkuseg` puts it)."""
    env = os.environ.get("ZWGK_PKUSEG_MODEL")
    if env:
        return Path(env).expanduser().absolute()
    return Path(sys.prefix) / "share/zwgk/pkuseg-default"


def _pkuseg_model_complete(model_dir: Path) -> bool:
    # What spacy_pkuseg loads: features.msgpack or features.pkl, and weights.npz.
    return (model_dir / "weights.npz").is_file() and any(
        (model_dir / name).is_file() for name in ("features.msgpack", "features.pkl"))


def pkuseg_available() -> bool:
    """True if spacy_pkuseg is installed and its model is in pkuseg_model_dir()."""
    return (importlib.util.find_spec("spacy_pkuseg") is not None
            and _pkuseg_model_complete(pkuseg_model_dir()))


@functools.lru_cache(maxsize=1)
def _pkuseg_segmenter(model_dir: str):
    try:
        import spacy_pkuseg
    except ImportError as e:
        raise RuntimeError(
            "spacy-pkuseg is not installed (it is in requirements.lock: run `make pkuseg`)") from e
    if not _pkuseg_model_complete(Path(model_dir)):
        raise RuntimeError(
            f"no pkuseg model in {model_dir} (features.pkl + weights.npz): run `make pkuseg`, "
            "or set ZWGK_PKUSEG_MODEL to a directory holding one")
    # An absolute path never matches spacy_pkuseg's model names, so it loads from disk and never
    # downloads. It prints "WARNING: features.msgpack does not exist, try loading features.pkl"
    # on every load (features.pkl is what pkuseg ships); drop that line, pass anything else on.
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        seg = spacy_pkuseg.pkuseg(model_dir)
    for line in captured.getvalue().splitlines():
        if "features.msgpack does not exist" not in line:
            print(line, file=sys.stderr)
    return seg


def pkuseg_words(text: str) -> list[str]:
    """spacy-pkuseg words of `text` (default mixed-domain model; loaded once per process, ~5 s).
    Unlike words(), whitespace is not kept: pkuseg splits on it and drops it.

    >>> pkuseg_words("加强政务公开工作")  # doctest: +SKIP
    ['加强', '政务', '公开', '工作']
    """
    return _pkuseg_segmenter(str(pkuseg_model_dir())).cut(text)
