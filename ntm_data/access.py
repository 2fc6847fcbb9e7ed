"""Who may do what: password hashes, sign-in against the [auth] secrets, roles and their rights.

Pure: the UI passes `st.secrets` (or any mapping) in. The format is documented in docs/access.md.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["viewer", "editor"]
AuthMode = Literal["local", "password", "oidc"]
ROLES: tuple[str, ...] = ("viewer", "editor")
ACTIONS: tuple[str, ...] = ("view", "download", "upload", "save", "delete")
RIGHTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"view", "download"}),
    "editor": frozenset(ACTIONS),
}

# scrypt with n=2**14, r=8, p=1 takes ~50 ms and 16 MB: slow for a guesser, quick for a sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SCRYPT_MAXMEM = 256 * 1024 * 1024  # refuse hashes whose parameters would need more memory than this
PBKDF2_ITERATIONS = 600_000  # OWASP 2023 figure for PBKDF2-HMAC-SHA256
_PBKDF2_MAX_ITERATIONS = 10_000_000
_KEY_BYTES = 32


@dataclass(frozen=True)
class User:
    """A signed-in person (or the local user) and the role that decides their rights."""

    name: str
    role: Role


# Without any [auth] configuration the app is a single-user tool on one machine, with every right.
LOCAL_USER = User(name="local", role="editor")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash encoded as "scrypt$n$r$p$salt$hash" (salt and hash URL-safe base64)."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES,
                         maxmem=_SCRYPT_MAXMEM)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches `encoded` ("scrypt$n$r$p$salt$hash" or
    "pbkdf2_sha256$iterations$salt$hash"). Compares in constant time; a malformed hash is False."""
    try:
        scheme, *fields = str(encoded).strip().split("$")
        if scheme == "scrypt" and len(fields) == 5:
            n, r, p = (int(v) for v in fields[:3])
            salt, expected = _unb64(fields[3]), _unb64(fields[4])
            if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * r * (n + p) > _SCRYPT_MAXMEM or not expected:
                return False
            key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(expected),
                                 maxmem=_SCRYPT_MAXMEM)
        elif scheme == "pbkdf2_sha256" and len(fields) == 3:
            iterations = int(fields[0])
            salt, expected = _unb64(fields[1]), _unb64(fields[2])
            if not 1 <= iterations <= _PBKDF2_MAX_ITERATIONS or not expected:
                return False
            key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations, len(expected))
        else:
            return False
    except (ValueError, TypeError, OverflowError, MemoryError):
        return False
    return hmac.compare_digest(key, expected)


def _section(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The [auth] table of the secrets mapping; empty when absent or not a table."""
    if not config:
        return {}
    auth = config.get("auth", None)
    return auth if isinstance(auth, Mapping) else {}


def _users(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    users = _section(config).get("users", None)
    return users if isinstance(users, Mapping) else {}


def auth_mode(config: Mapping[str, Any] | None) -> AuthMode:
    """"oidc" when [auth] has Streamlit's st.login settings (redirect_uri and cookie_secret), else
    "password" when [auth.users] lists someone with a password hash, else "local" (no sign-in)."""
    auth = _section(config)
    if auth.get("redirect_uri") and auth.get("cookie_secret"):
        return "oidc"
    if any(isinstance(u, Mapping) and u.get("password_hash") for u in _users(config).values()):
        return "password"
    return "local"


def _role(value: object) -> Role | None:
    role = str(value or "").strip().lower()
    return role if role in ROLES else None  # type: ignore[return-value]


# Verified against when the name is unknown, so a wrong name costs as long as a wrong password and
# response times do not reveal which names exist.
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def authenticate(config: Mapping[str, Any] | None, name: str, password: str) -> User | None:
    """The user named `name` in [auth.users] when `password` matches their hash and their role is valid;
    None otherwise (unknown name, wrong password, no hash, unknown role, or not password mode)."""
    key = str(name or "").strip()
    entry = _users(config).get(key) if auth_mode(config) == "password" and key else None
    if not isinstance(entry, Mapping) or not entry.get("password_hash"):
        verify_password(password or "", _DUMMY_HASH)
        return None
    if not verify_password(password or "", str(entry["password_hash"])):
        return None
    role = _role(entry.get("role"))
    return User(name=key, role=role) if role else None


def oidc_user(config: Mapping[str, Any] | None, claims: Mapping[str, Any] | None) -> User | None:
    """The user for an identity from st.login (`st.user` as a dict): named by email (else name or sub);
    role from [auth.users."email"].role, else [auth].default_role ("viewer" unless set; "none" lets
    only listed people in). None when not signed in or not let in."""
    if not claims or not claims.get("is_logged_in", True):
        return None
    name = str(claims.get("email") or claims.get("name") or claims.get("sub") or "").strip()
    if not name:
        return None
    users = {str(k).strip().casefold(): v for k, v in _users(config).items()}
    entry = users.get(name.casefold())
    if isinstance(entry, Mapping) and entry.get("role") is not None:
        role = _role(entry.get("role"))
    else:
        role = _role(_section(config).get("default_role", "viewer"))
    return User(name=name, role=role) if role else None


def can(user: User | None, action: str) -> bool:
    """True when `user` may do `action` ("view", "download", "upload", "save", "delete").

    No user (not signed in) may do nothing. In local mode the UI passes LOCAL_USER, an editor.
    An unknown action is a programming error and raises ValueError.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
    return user is not None and action in RIGHTS.get(user.role, frozenset())
