"""pipeline.numbers: parse_number and find_numerals, on our forms and the public peer suite."""
from __future__ import annotations

import doctest
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.numbers
from pipeline.numbers import find_numerals, parse_number

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PEER = SHARED / "peer" / "zh_numbers.jsonl"
PEER_NEGATIVE = SHARED / "peer" / "zh_numbers_negative.jsonl"


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_FORMS = _load("numbers_surface_forms.json")["cases"]
_NEGATIVES = _load("numbers_negatives.json")
_FIND = _load("numbers_find_cases.json")["cases"]
_KNOWN_FAILURES = {c["input"]: c["reason"] for c in _load("numbers_known_failures.json")["cases"]}
_PEER = _jsonl(PEER)
_PEER_NEGATIVE = _jsonl(PEER_NEGATIVE)
needs_peer = pytest.mark.skipif(not PEER.exists(), reason="shared/peer is absent")


def _close(got: float | None, want: float) -> bool:
    return got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def test_numbers_doctests():
    result = doctest.testmod(pipeline.numbers)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(("form", "value"), [
    pytest.param(form, case["value"], id=f"{form}={case['value']}") for case in _FORMS for form in case["forms"]])
def test_numbers_parse_surface_forms(form, value):
    assert _close(parse_number(form), value)


@pytest.mark.parametrize("text", _NEGATIVES["parse_number"])
def test_numbers_parse_rejects_non_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("text", [None, 12, b"12"])
def test_numbers_parse_rejects_non_strings(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(("text", "value"), [
    ("百分之十五", 15), ("15%", 15), ("千分之五", 0.5), ("３个百分点", 3), ("一百分之十五", 0.15), ("十分之一", 0.1)])
def test_numbers_parse_percent_convention(text, value):
    """Percent forms give percent points (Recognizers PercentModel); a written base is a fraction."""
    assert _close(parse_number(text), value)


@pytest.mark.parametrize("case", _FIND, ids=[c["text"] for c in _FIND])
def test_numbers_find_spans_and_values(case):
    text = case["text"]
    got = [(text[s:e], v) for s, e, v in find_numerals(text)]
    assert len(got) == len(case["found"])
    for (surface, value), (want_surface, want_value) in zip(got, case["found"]):
        assert surface == want_surface and _close(value, want_value)


@pytest.mark.parametrize("text", _NEGATIVES["find_numerals"])
def test_numbers_find_skips_words(text):
    assert list(find_numerals(text)) == []


def test_numbers_find_offsets_are_those_of_the_input():
    text = "全年共受理申请１２１５１０件，办结一百二十件。"
    assert [text[s:e] for s, e, _ in find_numerals(text)] == ["１２１５１０", "一百二十"]


def test_numbers_regex_is_exported_and_lazy():
    assert pipeline.numbers.NUMERAL_RE.search("共计217条").group() == "217"


def _peer_params():
    for i, case in enumerate(_PEER):
        marks = ()
        if case["input"] in _KNOWN_FAILURES:
            marks = pytest.mark.xfail(strict=True, reason=_KNOWN_FAILURES[case["input"]])
        yield pytest.param(case["input"], case["value"], id=f"{i}-{case['input']}", marks=marks)


@needs_peer
@pytest.mark.parametrize(("text", "value"), list(_peer_params()))
def test_numbers_peer_case(text, value):
    assert _close(parse_number(text), value)


@needs_peer
def test_numbers_peer_rate():
    correct = sum(_close(parse_number(c["input"]), c["value"]) for c in _PEER)
    assert len(_PEER) == 427
    assert correct / len(_PEER) >= 0.95


@needs_peer
def test_numbers_peer_known_failures_are_listed_inputs():
    inputs = {c["input"] for c in _PEER}
    assert set(_KNOWN_FAILURES) <= inputs


@needs_peer
@pytest.mark.parametrize("text", [c["input"] for c in _PEER_NEGATIVE])
def test_numbers_peer_negative_case(text):
    assert parse_number(text) is None


@needs_peer
def test_numbers_peer_negative_rate():
    rejected = sum(parse_number(c["input"]) is None for c in _PEER_NEGATIVE)
    assert rejected / len(_PEER_NEGATIVE) >= 0.90


def test_numbers_import_is_light():
    """Importing the module loads no heavy library and reads no resource file."""
    code = ("import sys, pipeline; before = set(sys.modules); import pipeline.numbers as n; "
            "heavy = {'jieba', 'spacy', 'pandas', 'numpy', 'sklearn'} & {m.split('.')[0] for m in set(sys.modules) - before}; "
            "print(sorted(heavy), n.resources.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "0"]
