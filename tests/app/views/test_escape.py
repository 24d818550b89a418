"""User-supplied text is escaped wherever Streamlit renders Markdown (issue #12 item 16).

An uploaded file named ``![x](http://127.0.0.1:9/x.png).csv`` was rendered as Markdown in the
Data page's status line, so the browser fetched the URL. Every such string now goes through
:func:`app.views.escape.md_escape`; an AST check keeps new calls from interpolating raw values.
"""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path
from typing import Any

import pytest
import streamlit
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import app.views.escape
from app.maps.vendor import missing_assets
from app.views.escape import md_escape
from tests._app_store import build_store

ROOT = Path(__file__).resolve().parents[3]
APP = str(ROOT / "app" / "streamlit_app.py")
EVIL = "![x](http://127.0.0.1:9/x.png).csv"
CSV = (
    b"record_id,reported_date,category,reporting_agency,risk_level,latitude,longitude,summary\n"
    b"U1,2024-01-20,CSE,police,high,53.6458,-1.7850,a\n"
)


def test_doctests_run() -> None:
    result = doctest.testmod(app.views.escape)
    assert result.attempted > 0 and result.failed == 0


def _unescaped(out: str) -> str:
    """``out`` without its backslash escapes (what Markdown could still read as syntax)."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", out)


@pytest.mark.parametrize(
    "text",
    [EVIL, "[a](javascript:alert(1))", "<img src=x>", ":red[x] $x^2$", "`code`", "a\n# b", "- x"],
)
def test_escaped_text_has_no_markdown_syntax_left(text: str) -> None:
    out = md_escape(text)
    left = _unescaped(out)
    assert "\n" not in out and not set(left) & set("\\`*_[]<>|~$"), out
    assert "://" not in left and not re.match(r"\s*[#+\-=]", out), out


@given(st.text())
def test_any_text_is_escaped(text: str) -> None:
    out = md_escape(text)
    left = _unescaped(out)
    assert not set(left) & set("\\`*[]<>|~$\r\n"), (text, out)
    for run in re.finditer(r"(?<!\\)_+", out):  # unescaped "_" only inside a word
        before, after = out[run.start() - 1 : run.start()], out[run.end() : run.end() + 1]
        assert before.isalnum() and after.isalnum(), (text, out)
    assert "://" not in left and not re.match(r"\s*([#+\-=]|\d+[.)])", out), (text, out)
    # nothing but backslashes is added, and line breaks become spaces
    assert out.replace("\\", "").replace(" ", "") == re.sub(
        r"[\r\n\t\f\v\u2028\u2029\x85 \\]", "", text
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("escapestore"))


@pytest.fixture
def app_env(store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    if missing_assets():
        pytest.skip("map assets not vendored: run `make vendor`")
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    monkeypatch.delenv("CSMAP_MAX_UPLOAD_MB", raising=False)
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    return store


MARKDOWN_ELEMENTS = frozenset(
    {"Markdown", "Caption", "Subheader", "Title", "Header", "Info", "Warning", "Error", "Success"}
)


def _rendered_markdown(at: AppTest) -> list[str]:
    """Every main-area text Streamlit renders as Markdown, and every widget/metric label."""
    out = []
    for element in at.main:
        if type(element).__name__ in MARKDOWN_ELEMENTS:
            out.append(str(getattr(element, "value", "")))
        label = getattr(element, "label", None)
        if isinstance(label, str):
            out.append(label)
    return out


def _data_page(monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, list[str]]:
    """The Data page, recording every label given to ``st.status`` and ``status.update``."""
    labels: list[str] = []
    real_status = streamlit.status

    def status(label: str, *args: Any, **kwargs: Any) -> Any:
        labels.append(label)
        box = real_status(label, *args, **kwargs)
        real_update = box.update

        def update(*, label: str | None = None, **kw: Any) -> Any:
            if label is not None:
                labels.append(label)
            return real_update(label=label, **kw)

        box.update = update  # type: ignore[method-assign]
        return box

    monkeypatch.setattr(streamlit, "status", status)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    return at, labels


def test_uploaded_file_name_is_escaped_in_the_status_line(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, labels = _data_page(monkeypatch)
    at.file_uploader[0].set_value((EVIL, CSV, "text/csv")).run()
    assert not at.exception, at.exception
    assert labels and labels[0] == f"Checking {md_escape(EVIL)} ..."
    shown = [*labels, *_rendered_markdown(at)]
    assert not [s for s in shown if "](" in _unescaped(s) or "![" in _unescaped(s)], shown


def test_uploaded_file_name_is_escaped_in_the_refusal(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSMAP_MAX_UPLOAD_MB", "0.00001")  # ~10 bytes: the upload is refused
    at, labels = _data_page(monkeypatch)
    at.file_uploader[0].set_value((EVIL, CSV, "text/csv")).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.main.error]
    assert any(md_escape(EVIL) in e and "limit" in e for e in errors), errors
    shown = [*labels, *_rendered_markdown(at)]
    assert not [s for s in shown if "](" in _unescaped(s) or "![" in _unescaped(s)], shown


# --- every Markdown-rendering call in app/ interpolates only escaped values ---------------------

#: Streamlit calls whose first argument (or ``label=``/``body=``) is rendered as Markdown.
MARKDOWN_CALLS = frozenset(
    {
        "markdown", "write", "caption", "info", "warning", "error", "success", "exception",
        "title", "header", "subheader", "toast", "expander", "tabs", "status", "popover",
        "button", "download_button", "link_button", "form_submit_button", "metric", "checkbox",
        "toggle", "radio", "selectbox", "multiselect", "slider", "select_slider", "text_input",
        "text_area", "number_input", "date_input", "file_uploader",
    }
)  # fmt: skip
#: Calls whose result is safe to interpolate (escaped, or a number).
SAFE_FUNCTIONS = frozenset({"md_escape", "len", "int", "float", "round", "shown_count"})


def _is_constant(node: ast.expr) -> bool:
    """A literal, or a module constant (``UPPER_CASE``, its items, attributes or ``.get``)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Subscript | ast.Attribute):
        return _is_constant(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"get", "lower", "title"} and _is_constant(node.func.value)
    return False


def _safe(node: ast.expr) -> bool:
    if _is_constant(node):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name in SAFE_FUNCTIONS
    if isinstance(node, ast.JoinedStr):
        return all(
            _safe(v.value) or v.format_spec is not None  # formatted numbers ({n:,})
            for v in node.values
            if isinstance(v, ast.FormattedValue)
        )
    if isinstance(node, ast.BinOp):
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    return False


def _unescaped_calls(source: str, *, where: str) -> list[str]:
    """``where:line: call`` of each Markdown-rendering call with an unescaped value."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in MARKDOWN_CALLS:
            continue
        args = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("label", "body"))]
        if node.func.attr == "tabs" and node.args and isinstance(node.args[0], ast.List):
            args = list(node.args[0].elts)
        for arg in args:
            if not _safe(arg):
                bad.append(f"{where}:{node.lineno}: {ast.unparse(node)[:100]}")
    return bad


def _streamlit_modules() -> list[Path]:
    files = sorted((ROOT / "app").rglob("*.py"))
    return [f for f in files if "import streamlit" in f.read_text(encoding="utf-8")]


def test_markdown_calls_interpolate_only_escaped_values() -> None:
    files = _streamlit_modules()
    assert any(f.name == "data.py" for f in files)
    bad = [
        line
        for f in files
        for line in _unescaped_calls(f.read_text(encoding="utf-8"), where=str(f.relative_to(ROOT)))
    ]
    assert not bad, "\n".join(bad)


def test_the_check_finds_an_unescaped_call() -> None:
    """The AST check is not blind."""
    sample = (
        "import streamlit as st\nname = 'x'\n"
        "st.caption(f'{name}')\nst.caption(f'{md_escape(name)} {3:,}')\n"
        "st.status(name)\nst.error(str(name))\nst.metric(KIND_LABELS[name], 3)\n"
        "st.tabs(['a', name])\n"
    )
    bad = _unescaped_calls(sample, where="sample")
    assert [line.split(":")[1] for line in bad] == ["3", "5", "6", "8"], bad
