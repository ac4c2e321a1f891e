"""Imported once by the process that forks the batch workers (multiprocessing's forkserver): the
libraries, the classifier, jieba's dictionary and the gazetteer are loaded there, before any fork,
so every worker starts warm and shares those pages instead of spending seconds loading its own copy
(workers are also replaced every few hundred documents)."""
from . import batch, layout, tables  # noqa: F401  (the stages import their modules lazily: import them here)
from .classify import load_model
from .extract import dates, metrics, quantities, references, responsibilities  # noqa: F401
from .regions import gazetteer
from .words import jieba_tokenizer

load_model()
jieba_tokenizer().check_initialized()
gazetteer()
