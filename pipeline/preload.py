"""Imported once by the process that forks the batch workers (multiprocessing's forkserver): the
libraries, the classifier, jieba's dictionary and the gazetteer are loaded there, before any fork,
so every worker starts warm and shares those pages instead of spending seconds loading its own copy
(workers are also replaced every few hundred documents)."""
from .classify import load_model
from .regions import gazetteer
from .run import STAGES  # noqa: F401  (imports the stages' modules)
from .words import jieba_tokenizer
from . import layout, tables  # noqa: F401
from .extract import dates, metrics, quantities, references, responsibilities  # noqa: F401

load_model()
jieba_tokenizer().check_initialized()
gazetteer()
