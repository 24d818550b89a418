"""Sign-in, the session's role, page guards, page-view audit and the one export gate (issue #7).

Three ways in, chosen by :func:`sign_in_mode`:

- ``demo``: ``CSMAP_DEMO=1`` against a store whose every row was made by the demo generator
  (:func:`geo.demo.check.check_demo_store`; anything else is refused). No password; a clearly
  labelled role picker in the sidebar lets a visitor see each role's view.
- ``oidc``: an ``[auth]`` section in Streamlit's ``secrets.toml`` (never committed; see
  ``docs/deployment.md``). Streamlit's built-in ``st.login``/``st.user``; the role comes from the
  verified email or groups through :class:`app.access.policy.RoleMapping`, read from
  ``$CSMAP_ROLE_MAPPING`` (default ``~/.local/share/csmap/roles.yaml``). No mapping, no access.
- ``local``: the users file of :mod:`app.access.users` (argon2id hashes; ``csmap users add``) with a
  sign-in form.

The role lives in ``st.session_state["csmap_role"]`` (pages read it), the user name in
``st.session_state["csmap_user"]``. Sign-ins (and failures), page views with the filters used and
every export go to the store's audit log (:func:`audit_log`). Downloads are offered
only through :func:`export_download`, which asks :mod:`app.access.policy`, requires a stated reason
for
record-level exports and writes the audit entry before the download button appears.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import streamlit as st

from app.access import policy
from app.access.audit import AuditLog
from app.session.state import AppConfig, config_from_env
from app.views.escape import md_escape
from geo.errors import CsmapError

__all__ = [
    "DEMO_ROLE_KEY",
    "ROLE_KEY",
    "ROLE_MAPPING_ENV",
    "USER_KEY",
    "Identity",
    "audit_log",
    "log_session_upload",
    "current_identity",
    "default_role_mapping_path",
    "export_download",
    "log_page_view",
    "oidc_configured",
    "page_role",
    "sign_in",
    "sign_in_mode",
]

ROLE_KEY: Final[str] = "csmap_role"
USER_KEY: Final[str] = "csmap_user"
METHOD_KEY: Final[str] = "csmap_auth_method"
DEMO_ROLE_KEY: Final[str] = "csmap_demo_role"
ROLE_MAPPING_ENV: Final[str] = "CSMAP_ROLE_MAPPING"
_SIGNED_IN_KEY: Final[str] = "csmap_signed_in_logged"
_LAST_VIEW_KEY: Final[str] = "csmap_last_view_logged"
_READY_PREFIX: Final[str] = "csmap_export_ready::"

Mode = Literal["demo", "oidc", "local"]


@dataclass(frozen=True)
class Identity:
    """Who is signed in.

    Attributes
    ----------
    user : str
        User name (local), verified email (OIDC) or ``demo``.
    role : str
        One of :data:`app.access.policy.ROLES`.
    method : str
        ``demo``, ``oidc`` or ``local``.
    """

    user: str
    role: str
    method: str


def sign_in_mode(*, demo: bool, oidc: bool) -> Mode:
    """Which sign-in applies: demo mode first, then OIDC when configured, else local users.

    Examples
    --------
    >>> sign_in_mode(demo=False, oidc=True), sign_in_mode(demo=True, oidc=True)
    ('oidc', 'demo')
    >>> sign_in_mode(demo=False, oidc=False)
    'local'
    """
    if demo:
        return "demo"
    return "oidc" if oidc else "local"


def default_role_mapping_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$CSMAP_ROLE_MAPPING``, else ``~/.local/share/csmap/roles.yaml``.

    Examples
    --------
    >>> default_role_mapping_path({"CSMAP_ROLE_MAPPING": "/etc/csmap/roles.yaml"})
    PosixPath('/etc/csmap/roles.yaml')
    """
    env = os.environ if environ is None else environ
    value = env.get(ROLE_MAPPING_ENV)
    if value:
        return Path(value).expanduser()
    return Path.home() / ".local" / "share" / "csmap" / "roles.yaml"


def audit_log() -> AuditLog:
    """The audit log of the app's store (:meth:`app.access.audit.AuditLog.for_store`).

    ``$CSMAP_AUDIT_LOG`` when set, else ``STORE.audit.jsonl`` beside the store; entries record
    the store, and the Audit page reads only this store's entries.
    """
    return AuditLog.for_store(config_from_env().store_path)


def oidc_configured() -> bool:
    """Whether ``secrets.toml`` has an ``[auth]`` section (Streamlit's OIDC sign-in)."""
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def _audit(action: str, *, user: str, role: str, details: Mapping[str, Any]) -> bool:
    """Append an audit entry; on failure show a warning (the page still works)."""
    try:
        log = audit_log()
        log.append(user=user, role=role, action=action, details=details)
    except (CsmapError, OSError) as exc:
        st.warning(f"Audit log not written ({md_escape(audit_log().path)}): {md_escape(exc)}")
        return False
    return True


def current_identity() -> Identity | None:
    """The signed-in identity of this session, or None."""
    ss = st.session_state
    role, user = ss.get(ROLE_KEY), ss.get(USER_KEY)
    if role not in policy.ROLES or not user:
        return None
    return Identity(str(user), str(role), str(ss.get(METHOD_KEY) or ""))


def _set_identity(identity: Identity) -> None:
    ss = st.session_state
    ss[ROLE_KEY], ss[USER_KEY], ss[METHOD_KEY] = identity.role, identity.user, identity.method
    signature = [identity.user, identity.role, identity.method]
    if ss.get(_SIGNED_IN_KEY) != signature:
        details = {"method": identity.method}
        if _audit("sign_in", user=identity.user, role=identity.role, details=details):
            ss[_SIGNED_IN_KEY] = signature


def _clear_identity() -> None:
    for key in (ROLE_KEY, USER_KEY, METHOD_KEY, _SIGNED_IN_KEY, _LAST_VIEW_KEY):
        st.session_state.pop(key, None)


def _demo(config: AppConfig) -> Identity | None:
    from geo.demo.check import NotDemoStoreError, check_demo_store

    try:
        if config.store_path is None:
            raise NotDemoStoreError("no store")
        check_demo_store(config.store_path)  # every row made by the demo generator (#12 item 15)
    except NotDemoStoreError as exc:
        st.error(
            f"Demo mode refused: {md_escape(str(exc).splitlines()[0])}. Demo mode is only for "
            "the synthetic store built by `csmap demo-data` / `make demo`."
        )
        return None
    ss = st.session_state
    if ss.get(DEMO_ROLE_KEY) not in policy.ROLES:
        initial = ss.get(ROLE_KEY) or os.environ.get("CSMAP_ROLE") or "analyst"
        ss[DEMO_ROLE_KEY] = initial if initial in policy.ROLES else "analyst"
    with st.sidebar:
        st.markdown("### Demo mode")
        st.selectbox(
            "View the app as (demo role)",
            options=list(policy.ROLES),
            key=DEMO_ROLE_KEY,
            help="Demo mode only: in a real deployment the role comes from sign-in.",
        )
        st.caption("Synthetic data; no sign-in. Each role sees only what it may see.")
    return Identity("demo", str(ss[DEMO_ROLE_KEY]), "demo")


def _oidc() -> Identity | None:
    user = st.user
    if not user.is_logged_in:
        st.title("csmap")
        st.write("Sign in with your organisation's account to continue.")
        if st.button("Log in", key="csmap_login", type="primary"):
            st.login()
        return None
    email = str(user.get("email") or "")
    groups_value: Any = user.get("groups") or ()
    groups = [str(g) for g in groups_value] if isinstance(groups_value, list | tuple) else []
    path = default_role_mapping_path()
    try:
        role = policy.RoleMapping.from_yaml(path).role_for(email, groups)
    except CsmapError as exc:
        st.error(f"Sign-in is configured but the role mapping is not usable: {md_escape(exc)}")
        role = None
    if role is None:
        if st.session_state.get("csmap_denied_logged") != email:
            _audit(
                "sign_in_failed",
                user=email or "(no email)",
                role="none",
                details={"method": "oidc", "why": "no role for this account"},
            )
            st.session_state["csmap_denied_logged"] = email
        st.error(
            f"{md_escape(email or 'This account')} has no role in csmap. Ask the administrator."
        )
        if st.button("Log out", key="csmap_logout_denied"):
            st.logout()
        return None
    return Identity(email, role, "oidc")


def _local() -> Identity | None:
    from app.access import (
        signin_guard,
        users,
    )

    identity = current_identity()
    if identity is not None and identity.method == "local":
        return identity
    path = users.default_users_path()
    try:
        have_users = bool(users.list_users(users_file=path))
    except users.UsersFileError as exc:
        st.error(md_escape(exc))
        return None
    if not have_users:
        st.error(
            "No sign-in is configured: add a local user with `csmap users add NAME --role ROLE` "
            "or configure OIDC sign-in (see docs/deployment.md)."
        )
        return None
    st.title("csmap: sign in")
    with st.form("csmap_sign_in"):
        name = st.text_input("Username", key="csmap_login_user")
        password = st.text_input("Password", type="password", key="csmap_login_password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return None
    address = st.context.ip_address
    result = signin_guard.attempt_sign_in(name, password, address=address, users_file=path)
    if result.role is None:
        # the failure that locks the name is its own action (sign_in_locked), so an
        # administrator filtering the Audit page finds every lock-out
        details: dict[str, Any] = {"method": "local"}
        action = "sign_in_failed"
        if result.locked_now:
            action = "sign_in_locked"
            details |= {"why": "locked_out", "failures": result.failures, "address": address}
        elif result.refused != "wrong":
            details |= {"why": result.refused, "failures": result.failures}
        _audit(action, user=name or "(empty)", role="none", details=details)
        if result.refused == "locked":
            st.error(
                "Too many failed sign-ins: this account is locked. Ask the administrator "
                "to unlock it (`csmap users unlock USERNAME`)."
            )
        elif result.refused == "backoff":
            st.error(
                f"Too many failed sign-ins: wait {math.ceil(result.wait_s):d} s and try again."
            )
        else:
            st.error("Wrong username or password.")
        return None
    return Identity(name, result.role, "local")


def sign_in(config: AppConfig) -> Identity | None:
    """Sign the session in (drawing the sign-in UI when needed); None = not signed in.

    The caller stops the script when this returns None. On success the role and user are in
    ``st.session_state`` and the sign-in is in the audit log (once per identity and role).
    """
    mode = sign_in_mode(demo=config.demo, oidc=oidc_configured())
    if mode == "demo":
        identity = _demo(config)
    elif mode == "oidc":
        identity = _oidc()
    else:
        identity = _local()
    if identity is None:
        if mode != "demo":
            _clear_identity()
        return None
    fresh = current_identity() is None
    _set_identity(identity)
    if mode == "local" and fresh:
        st.rerun()  # redraw without the sign-in form
    if mode != "demo":
        with st.sidebar:
            st.caption(f"Signed in as **{md_escape(identity.user)}** ({md_escape(identity.role)})")
            if st.button("Sign out", key="csmap_sign_out"):
                _audit("sign_out", user=identity.user, role=identity.role, details={"method": mode})
                _clear_identity()
                if mode == "oidc":
                    st.logout()
                else:
                    st.rerun()
    return identity


def page_role(page: str) -> str:
    """The session's role if it may open ``page`` (a :data:`app.access.policy.PAGES` name).

    Otherwise an error is shown and the page script stops: the guard every page calls first, so
    a page opened by URL (not from the menu) refuses too.
    """
    role = str(st.session_state.get(ROLE_KEY) or "")
    if role not in policy.ROLES:
        st.error("Not signed in.")
        st.stop()
    if page not in policy.allowed_pages(role):
        st.error(f"The {md_escape(role)} role cannot open this page ({md_escape(page)}).")
        st.stop()
    return role


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str))


def log_page_view(page: str, filters: Any) -> None:
    """Log a page view with the filters used, once per change of page or filters."""
    identity = current_identity()
    if identity is None:
        return
    clean = _jsonable(filters)
    signature = json.dumps([identity.user, identity.role, page, clean], sort_keys=True)
    if st.session_state.get(_LAST_VIEW_KEY) == signature:
        return
    details = {"page": page, "filters": clean}
    if _audit("page_view", user=identity.user, role=identity.role, details=details):
        st.session_state[_LAST_VIEW_KEY] = signature


def log_session_upload(
    *, file: str, kind: str, rows_read: int, rows_loaded: int, rows_quarantined: int
) -> None:
    """Log records uploaded into this session (the Data page's "Add"): an ``ingest`` entry.

    The records stay in the session (never in the store), but they are records about children
    brought into the app, so who added what, and how many, is in the audit log like a CLI ingest.
    """
    identity = current_identity()
    if identity is None:
        return
    details = {
        "what": kind,
        "rows": int(rows_loaded),
        "into": "session",
        "file_name": file,
        "rows_read": int(rows_read),
        "rows_quarantined": int(rows_quarantined),
        "result": "ok",
    }
    _audit("ingest", user=identity.user, role=identity.role, details=details)


def export_download(
    label: str,
    data: str | bytes,
    *,
    file_name: str,
    mime: str,
    what: str,
    rows: int,
    key: str,
    record_level: bool | None = None,
    reason: str | None = None,
    confirmed: bool = False,
    filters: Mapping[str, Any] | None = None,
) -> bool:
    """Offer a download only after :mod:`app.access.policy` allows it and the audit log has it.

    Parameters
    ----------
    label, data, file_name, mime : str
        As for ``st.download_button``.
    what : str
        The export kind (:data:`app.access.policy.EXPORT_KINDS`): ``concerns``, ``hotspots``,
        ``venues``, ``table``, ``location_assessment``...
    rows : int
        Rows (records, hotspots, venues) in the file, for the audit entry.
    key : str
        Widget key of the download button (other widgets derive theirs from it).
    record_level : bool, optional
        One row per record (default: ``what`` is a record kind). Needs the ``record_points``
        capability and a stated reason.
    reason : str, optional
        A reason already asked for by the page; else a text box asks for it when needed.
    confirmed : bool, default False
        The caller's own button was just pressed (e.g. "Prepare report"): log now. Otherwise a
        "Prepare" button does it.
    filters : mapping, optional
        Filters or parameters behind the export (logged).

    Returns
    -------
    bool
        Whether the download button was offered.
    """
    identity = current_identity()
    if identity is None:
        st.error("Not signed in: exports are not available.")
        return False
    rules = policy.export_rules(identity.role)
    if record_level is None:
        record_level = what in policy.RECORD_KINDS
    if what not in rules.kinds or (record_level and not rules.record_level):
        st.caption(f"The {md_escape(identity.role)} role may not export this ({md_escape(what)}).")
        return False
    if record_level and reason is None:
        reason = st.text_input(
            f"Reason for exporting records ({md_escape(label)}); recorded in the audit log",
            key=f"{key}__reason",
        )
    if record_level and not (reason or "").strip():
        st.caption(f"{md_escape(label)}: state a reason to export record-level data.")
        return False
    payload = data.encode("utf-8") if isinstance(data, str) else data
    digest = hashlib.sha256(payload).hexdigest()
    ready_key = _READY_PREFIX + key
    ss = st.session_state
    if ss.get(ready_key) != [digest, reason or ""]:
        if not confirmed and not st.button(f"Prepare: {md_escape(label)}", key=f"{key}__prepare"):
            return False
        try:
            audit_log().export(
                user=identity.user,
                role=identity.role,
                what=what,
                rows=int(rows),
                record_level=bool(record_level),
                reason=reason,
                filters=_jsonable(dict(filters or {})),
                file_name=file_name,
            )
        except (CsmapError, OSError) as exc:
            st.error(
                f"{md_escape(file_name)}: not exported, the audit log could not record it: "
                f"{md_escape(exc)}"
            )
            return False
        ss[ready_key] = [digest, reason or ""]
    st.download_button(
        md_escape(label), data, file_name=file_name, mime=mime, key=key, on_click="ignore"
    )
    return True
