"""Every notebook in ``notebooks/`` is stored without outputs and runs top to bottom.

Notebooks are executed with nbclient on an IPython kernel of the interpreter running the tests
(the venv), with ``notebooks/`` as the working directory and no ``CSMAP_POLICE_UK`` (so the
police.uk notebook uses the small bundled sample). Add a notebook to the folder and it is tested.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
#: Text that must appear in a notebook's outputs (by file name), beyond running without error.
EXPECTED_OUTPUT: dict[str, tuple[str, ...]] = {
    "01-hotspots-walkthrough.ipynb": (
        "rows_loaded",
        "dual-kde",
        "hdbscan",
        "repeat",
        "population-adjusted",
        "hot by rate only",
    ),
    "02-police-uk-backtest.ipynb": (
        "Anti-social behaviour",
        "Violence and sexual offences",
        "grid_counts",
        "kde",
        "default",
    ),
}


def _ids(path: Path) -> str:
    return path.name


def _output_text(nb: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")))
            for value in out.get("data", {}).values():
                parts.append(str(value))
    return "\n".join(parts)


def test_there_are_notebooks() -> None:
    assert any(p.name == "02-police-uk-backtest.ipynb" for p in PATHS)


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has stored outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_executes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSMAP_POLICE_UK", raising=False)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print('KERNEL', sys.executable)"))
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    text = _output_text(nb)
    assert f"KERNEL {sys.executable}" in text, "the notebook did not run on the venv's Python"
    for expected in EXPECTED_OUTPUT.get(path.name, ()):
        assert expected in text, f"{path.name}: {expected!r} missing from the outputs"
