"""The app's own YAML files (the local users file, the OIDC role mapping) refuse aliases like
``--mapping`` and ``csmap.yaml`` do (issue #12 item 6): a few hundred bytes of nested aliases
("billion laughs") expand to billions of values once walked."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.access.policy import RoleMapping
from app.access.users import UsersFileError, list_users
from geo.errors import CsmapError

# nine levels of nine aliases: 9**9 (387 million) strings once expanded
BOMB = "\n".join(
    ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
)


@pytest.mark.timeout(60)
def test_users_file_with_aliases_is_refused(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text(BOMB + "\nusers: *a9\n", encoding="utf-8")
    with pytest.raises(UsersFileError, match=r"users\.yaml: not valid YAML.*aliases"):
        list_users(users_file=users)


@pytest.mark.timeout(60)
def test_role_mapping_with_aliases_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "roles.yaml"
    mapping.write_text(BOMB + "\nroles: {analyst: {emails: *a9}}\n", encoding="utf-8")
    with pytest.raises(CsmapError, match=r"roles\.yaml: cannot read the role mapping.*aliases"):
        RoleMapping.from_yaml(mapping)


def test_plain_files_still_read(tmp_path: Path) -> None:
    mapping = tmp_path / "roles.yaml"
    mapping.write_text("roles: {analyst: {emails: [a@example.org]}}\n", encoding="utf-8")
    assert RoleMapping.from_yaml(mapping).role_for("A@example.org") == "analyst"
