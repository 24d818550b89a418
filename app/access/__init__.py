"""Access: the role policy, sign-in, users and the audit log.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.access.audit import (
        ACTIONS,
        GENESIS_HASH,
        AuditLog,
        AuditLogError,
        ReasonRequired,
        VerifyResult,
        default_audit_path,
        entry_hash,
    )
    from app.access.audit_anchor import (
        ANCHOR_KEY,
        WITNESS_ENV,
        append_witness,
        disagreement,
        last_witness,
        read_anchor,
        witness_path,
        write_anchor,
    )
    from app.access.audit_table import COLUMNS, entries_table
    from app.access.auth import (
        DEMO_ROLE_KEY,
        ROLE_KEY,
        ROLE_MAPPING_ENV,
        USER_KEY,
        Identity,
        audit_log,
        current_identity,
        default_role_mapping_path,
        export_download,
        log_page_view,
        oidc_configured,
        page_role,
        sign_in,
        sign_in_mode,
    )
    from app.access.policy import (
        CAPABILITIES,
        COUNT_COLUMNS,
        COUNT_PATTERN,
        DISCLOSURE_ROLES,
        MATRIX,
        PAGES,
        ROLES,
        ExportRules,
        PermissionDenied,
        RoleMapping,
        allowed_pages,
        apply_export_policy,
        can,
        disclosure_policy_from_config,
        export_rules,
        is_count_column,
        require,
    )
    from app.access.users import (
        MIN_PASSWORD_LENGTH,
        UsersFileError,
        add_user,
        default_users_path,
        list_users,
        remove_user,
        verify,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "ACTIONS": "app.access.audit",
    "AuditLog": "app.access.audit",
    "AuditLogError": "app.access.audit",
    "GENESIS_HASH": "app.access.audit",
    "ReasonRequired": "app.access.audit",
    "VerifyResult": "app.access.audit",
    "default_audit_path": "app.access.audit",
    "entry_hash": "app.access.audit",
    "ANCHOR_KEY": "app.access.audit_anchor",
    "WITNESS_ENV": "app.access.audit_anchor",
    "append_witness": "app.access.audit_anchor",
    "disagreement": "app.access.audit_anchor",
    "last_witness": "app.access.audit_anchor",
    "read_anchor": "app.access.audit_anchor",
    "witness_path": "app.access.audit_anchor",
    "write_anchor": "app.access.audit_anchor",
    "COLUMNS": "app.access.audit_table",
    "entries_table": "app.access.audit_table",
    "DEMO_ROLE_KEY": "app.access.auth",
    "Identity": "app.access.auth",
    "ROLE_KEY": "app.access.auth",
    "ROLE_MAPPING_ENV": "app.access.auth",
    "USER_KEY": "app.access.auth",
    "audit_log": "app.access.auth",
    "current_identity": "app.access.auth",
    "default_role_mapping_path": "app.access.auth",
    "export_download": "app.access.auth",
    "log_page_view": "app.access.auth",
    "oidc_configured": "app.access.auth",
    "page_role": "app.access.auth",
    "sign_in": "app.access.auth",
    "sign_in_mode": "app.access.auth",
    "CAPABILITIES": "app.access.policy",
    "COUNT_COLUMNS": "app.access.policy",
    "COUNT_PATTERN": "app.access.policy",
    "DISCLOSURE_ROLES": "app.access.policy",
    "ExportRules": "app.access.policy",
    "MATRIX": "app.access.policy",
    "PAGES": "app.access.policy",
    "PermissionDenied": "app.access.policy",
    "ROLES": "app.access.policy",
    "RoleMapping": "app.access.policy",
    "allowed_pages": "app.access.policy",
    "apply_export_policy": "app.access.policy",
    "can": "app.access.policy",
    "disclosure_policy_from_config": "app.access.policy",
    "export_rules": "app.access.policy",
    "is_count_column": "app.access.policy",
    "require": "app.access.policy",
    "MIN_PASSWORD_LENGTH": "app.access.users",
    "UsersFileError": "app.access.users",
    "add_user": "app.access.users",
    "default_users_path": "app.access.users",
    "list_users": "app.access.users",
    "remove_user": "app.access.users",
    "verify": "app.access.users",
}
__all__ = [
    "ACTIONS",
    "ANCHOR_KEY",
    "AuditLog",
    "AuditLogError",
    "CAPABILITIES",
    "COLUMNS",
    "COUNT_COLUMNS",
    "COUNT_PATTERN",
    "DEMO_ROLE_KEY",
    "DISCLOSURE_ROLES",
    "ExportRules",
    "GENESIS_HASH",
    "Identity",
    "MATRIX",
    "MIN_PASSWORD_LENGTH",
    "PAGES",
    "PermissionDenied",
    "ROLES",
    "ROLE_KEY",
    "ROLE_MAPPING_ENV",
    "ReasonRequired",
    "RoleMapping",
    "USER_KEY",
    "UsersFileError",
    "VerifyResult",
    "WITNESS_ENV",
    "add_user",
    "allowed_pages",
    "append_witness",
    "apply_export_policy",
    "audit_log",
    "can",
    "current_identity",
    "default_audit_path",
    "default_role_mapping_path",
    "default_users_path",
    "disagreement",
    "disclosure_policy_from_config",
    "entries_table",
    "entry_hash",
    "export_download",
    "export_rules",
    "is_count_column",
    "last_witness",
    "list_users",
    "log_page_view",
    "oidc_configured",
    "page_role",
    "read_anchor",
    "remove_user",
    "require",
    "sign_in",
    "sign_in_mode",
    "verify",
    "witness_path",
    "write_anchor",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
