"""Words, for the features and the spaCy tokenizer that need them: jieba with the government user
dictionary (pipeline/resources/userdict.txt). Loaded lazily, once per process; numbers, dates and
文号 are never found on words (they come from regexes on the raw text)."""
from __future__ import annotations

import functools
import logging
from importlib import resources


@functools.lru_cache(maxsize=1)
def jieba_tokenizer():
    import jieba
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    with resources.as_file(resources.files("pipeline.resources") / "userdict.txt") as path:
        tok.load_userdict(str(path))
    return tok


def words(text: str) -> list[str]:
    """jieba words of `text` (no HMM for unknown words: faster, and rare words matter little here).

    >>> words("加强政务公开工作")
    ['加强', '政务公开', '工作']
    """
    return jieba_tokenizer().lcut(text, HMM=False)
