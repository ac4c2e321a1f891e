"""TfidfVectorizer with a fast transform and a compact saved form; same numbers as scikit-learn's.

scikit-learn counts n-grams in a Python loop, one dictionary lookup per n-gram occurrence: that
loop was most of the classifier's time. Here character n-grams are integers computed and looked
up with numpy, words are looked up by a C-level `map`, and the weighting (sublinear tf, idf, l2
norm) is scikit-learn's own. skops stores a vocabulary dict as one node per entry (seconds to
load); the saved state keeps it as one array of terms.
"""
from __future__ import annotations

from itertools import repeat

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


class FastTfidfVectorizer(TfidfVectorizer):
    """A TfidfVectorizer (fit is scikit-learn's) whose transform is vectorized for the two analyzers
    the classifier uses: character n-grams (n <= 3) and words from a tokenizer callable."""

    def transform(self, raw_documents):
        if self._char_path():
            rows, columns, n_docs = self._char_counts(list(raw_documents))
        elif self._word_path():
            rows, columns, n_docs = self._word_counts(raw_documents)
        else:
            return super().transform(raw_documents)
        X = sp.csr_matrix((np.ones(len(columns)), (rows, columns)),
                          shape=(n_docs, len(self.vocabulary_)), dtype=np.float64)
        X.sum_duplicates()
        if self.binary:
            X.data.fill(1)
        if self.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1
        if self.use_idf:
            X.data *= self.idf_[X.indices]
        return normalize(X, norm=self.norm, copy=False) if self.norm else X

    def _plain(self) -> bool:
        return (self.preprocessor is None and self.strip_accents is None and self.input == "content"
                and self.stop_words is None)

    def _char_path(self) -> bool:
        return self._plain() and self.analyzer == "char" and self.ngram_range[1] <= 3

    def _word_path(self) -> bool:
        return (self._plain() and self.analyzer == "word" and callable(self.tokenizer) and not self.lowercase
                and self.ngram_range == (1, 1))

    def _word_counts(self, raw_documents):
        vocab_get = self.vocabulary_.get
        ids: list[int] = []
        indptr = [0]
        for doc in raw_documents:
            ids.extend(map(vocab_get, self.tokenizer(doc), repeat(-1)))
            indptr.append(len(ids))
        columns = np.array(ids, dtype=np.int64)
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        known = columns >= 0
        return rows[known], columns[known], len(indptr) - 1

    def _char_counts(self, docs: list[str]):
        """Every character n-gram of every document as one integer (its code points, 21 bits each),
        looked up in the vocabulary's sorted keys: numpy throughout, no Python loop per n-gram."""
        texts = [self._white_spaces.sub(" ", d.lower() if self.lowercase else d) for d in docs]
        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        doc_of = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
        keys_by_n = self._vocabulary_keys()
        rows, columns = [], []
        for n in range(self.ngram_range[0], self.ngram_range[1] + 1):
            m = len(codes) - n + 1
            if m <= 0 or n not in keys_by_n:
                continue
            key = codes[:m].copy()
            for k in range(1, n):
                key = (key << 21) | codes[k:k + m]
            inside = doc_of[:m] == doc_of[n - 1:]  # the n-gram does not cross into the next document
            vocab_keys, vocab_columns = keys_by_n[n]
            at = np.minimum(np.searchsorted(vocab_keys, key), len(vocab_keys) - 1)
            hit = inside & (vocab_keys[at] == key)
            rows.append(doc_of[:m][hit])
            columns.append(vocab_columns[at[hit]])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), len(docs)
        return np.concatenate(rows), np.concatenate(columns), len(docs)

    def _vocabulary_keys(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """{n: (sorted integer keys of the n-character terms, their columns)}, built once per vocabulary."""
        cached = getattr(self, "_keys_cache", None)
        if cached is not None and cached[0] is self.vocabulary_:
            return cached[1]
        by_n: dict[int, tuple[list, list]] = {}
        for term, column in self.vocabulary_.items():
            codes = term.encode("utf-32-le", "surrogatepass")
            key = 0
            for c in np.frombuffer(codes, dtype=np.uint32).tolist():
                key = (key << 21) | c
            keys, cols = by_n.setdefault(len(term), ([], []))
            keys.append(key)
            cols.append(column)
        out = {}
        for n, (keys, cols) in by_n.items():
            if n <= 3:
                order = np.argsort(np.array(keys, dtype=np.int64))
                out[n] = (np.array(keys, dtype=np.int64)[order], np.array(cols, dtype=np.int64)[order])
        self._keys_cache = (self.vocabulary_, out)
        return out

    # skops saves the state: the vocabulary as one array of terms in column order (not a dict of
    # thousands of nodes), and without stop_words_ (the pruned terms, kept only for introspection).
    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: the base class may hand out the live __dict__
        vocabulary = state.pop("vocabulary_", None)
        state.pop("stop_words_", None)
        state.pop("_keys_cache", None)
        if vocabulary is not None:
            terms = sorted(vocabulary, key=vocabulary.get)
            state["vocabulary_terms_"] = np.array(terms, dtype=str)
        return state

    def __setstate__(self, state):
        state = dict(state)
        terms = state.pop("vocabulary_terms_", None)
        if terms is not None:
            state["vocabulary_"] = {t: i for i, t in enumerate(terms.tolist())}
        super().__setstate__(state)
