"""The optional spacy-pkuseg segmenter (pipeline.words.pkuseg_words). Skips unless spacy_pkuseg is
installed and its model has been put in place by `make pkuseg`."""
from __future__ import annotations

import pytest

pytest.importorskip("spacy_pkuseg")

from pipeline.words import pkuseg_available, pkuseg_model_dir, pkuseg_words  # noqa: E402

needs_model = pytest.mark.skipif(
    not pkuseg_available(), reason=f"no pkuseg model in {pkuseg_model_dir()} (run `make pkuseg`)")


@needs_model
def test_segments_into_words():
    text = "加强政务公开工作"
    got = pkuseg_words(text)
    assert "".join(got) == text
    assert got[0] == "加强" and got[-1] == "工作"
    # the middle is 政务公开 or 政务 + 公开, depending on the model: either is a sensible split
    assert got[1:-1] in (["政务公开"], ["政务", "公开"])


@needs_model
def test_empty_and_blank():
    assert pkuseg_words("") == []
    assert pkuseg_words("  \n") == []


def test_missing_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ZWGK_PKUSEG_MODEL", str(tmp_path))
    assert not pkuseg_available()
    with pytest.raises(RuntimeError, match="make pkuseg"):
        pkuseg_words("加强政务公开工作")
    assert not any(tmp_path.iterdir())  # nothing written (and nothing downloaded) there
