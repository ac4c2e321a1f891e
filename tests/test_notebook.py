"""notebooks/compare_townships.ipynb runs from top to bottom and draws its plots.

The notebook is executed with nbclient in a kernel of the interpreter running the tests (a kernel
spec written to a temporary folder, so no installed Jupyter kernel is needed); it extracts the
bundled corpus into a temporary folder. Skips when the notebook tools are not installed.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "compare_townships.ipynb"


@pytest.fixture()
def kernel_name(tmp_path, monkeypatch):
    """A kernel spec for this interpreter, found through JUPYTER_PATH."""
    pytest.importorskip("ipykernel")
    spec_dir = tmp_path / "jupyter" / "kernels" / "zwgk-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "zwgk test", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "zwgk-test"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_notebook_runs_and_plots(kernel_name, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("ZWGK_NOTEBOOK_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=kernel_name, timeout=900,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()   # raises CellExecutionError on the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 1
    assert (tmp_path / "out" / "panel_wide.parquet").exists()
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "panel:" in text
