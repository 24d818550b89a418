"""``csmap --help`` lists every command module; every (sub-)command's ``--help`` exits 0; a
command module that fails to import makes the CLI fail loudly."""

from __future__ import annotations

import argparse
import importlib

import pytest

from app import cli


def _names(module: str) -> list[str]:
    """The sub-command names ``module.register`` adds."""
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(sub)
    return list(sub.choices)


def _subcommand_paths(parser: argparse.ArgumentParser, prefix: list[str]) -> list[list[str]]:
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                paths.append([*prefix, name])
                paths += _subcommand_paths(child, [*prefix, name])
    return paths


def test_help_lists_every_command_module(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for module in cli.COMMAND_MODULES:
        names = _names(module)
        assert names, f"{module} registers no command"
        for name in names:
            assert f"    {name} " in text or f"    {name}\n" in text, (module, name)


def test_every_subcommand_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    paths = _subcommand_paths(cli.build_parser(), [])
    top = {p[0] for p in paths if len(p) == 1}
    assert top == {n for m in cli.COMMAND_MODULES for n in _names(m)}
    assert any(len(p) > 1 for p in paths)  # nested ones too (audit verify, ...)
    for path in paths:
        with pytest.raises(SystemExit) as stop:
            cli.main([*path, "--help"])
        assert stop.value.code == 0, path
        assert "usage: csmap " + " ".join(path) in capsys.readouterr().out, path


def test_a_command_module_that_fails_to_import_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = "app.commands.no_such_command"
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, missing))
    with pytest.raises(ModuleNotFoundError, match="no_such_command"):
        cli.build_parser()
