"""ntm_data.access: password hashes, sign-in against the [auth] secrets, roles and rights."""
from __future__ import annotations

import base64
import hashlib
import io
import sys
import time

import pytest

from ntm_data import access, cli
from ntm_data.access import (
    LOCAL_USER,
    User,
    auth_mode,
    authenticate,
    can,
    hash_password,
    oidc_user,
    verify_password,
)

# Cheap scrypt parameters keep the tests fast; the format and the checks are the same.
FAST = {"n": 2**4, "r": 1, "p": 1}


@pytest.fixture(scope="module")
def secrets() -> dict:
    return {"auth": {"users": {
        "lan": {"role": "editor", "password_hash": hash_password("mật khẩu của Lan", **FAST)},
        "minh": {"role": "viewer", "password_hash": hash_password("minh-2024", **FAST)},
        "nohash": {"role": "editor"},
        "badrole": {"role": "admin", "password_hash": hash_password("x" * 10, **FAST)},
    }}}


def test_hash_format_and_salt():
    first, second = hash_password("bí mật", **FAST), hash_password("bí mật", **FAST)
    assert first != second  # a fresh salt every time
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16", "1", "1")
    assert len(base64.urlsafe_b64decode(salt + "==")) == 16 and len(base64.urlsafe_b64decode(key + "=")) == 32


def test_default_hash_parameters():
    encoded = hash_password("một mật khẩu dài")
    assert encoded.startswith(f"scrypt${access.SCRYPT_N}${access.SCRYPT_R}${access.SCRYPT_P}$")
    assert verify_password("một mật khẩu dài", encoded)


@pytest.mark.parametrize(("password", "candidate", "ok"), [
    ("mật khẩu", "mật khẩu", True),
    ("mật khẩu", "mat khau", False),
    ("mật khẩu", "mật khẩu ", False),
    ("mật khẩu", "", False),
    ("", "", True),
])
def test_verify_scrypt(password, candidate, ok):
    assert verify_password(candidate, hash_password(password, **FAST)) is ok


def test_verify_pbkdf2():
    salt = b"0123456789abcdef"
    key = hashlib.pbkdf2_hmac("sha256", b"hello-world", salt, 1000)
    encoded = f"pbkdf2_sha256$1000${base64.urlsafe_b64encode(salt).decode()}${base64.urlsafe_b64encode(key).decode()}"
    assert verify_password("hello-world", encoded)
    assert not verify_password("hello-World", encoded)


@pytest.mark.parametrize("encoded", [
    "", "plain-text-password", "scrypt$", "scrypt$16$1$1$salt", "scrypt$x$1$1$AAAA$AAAA",
    "scrypt$15$1$1$AAAA$AAAA",  # n not a power of two
    "scrypt$1048576$64$1$AAAA$AAAA",  # would need 8 GB: refused, not attempted
    "scrypt$16$1$1$!!!$AAAA", "scrypt$16$1$1$AAAA$", "md5$abc$def",
    "pbkdf2_sha256$0$AAAA$AAAA", "pbkdf2_sha256$99999999999$AAAA$AAAA", None, 12345,
])
def test_malformed_hash_is_false_not_an_error(encoded):
    assert verify_password("x", encoded) is False


def test_verify_uses_constant_time_comparison(monkeypatch):
    calls = []
    real = access.hmac.compare_digest
    monkeypatch.setattr(access.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    verify_password("x", hash_password("y", **FAST))
    assert calls == [1]


@pytest.mark.parametrize(("config", "mode"), [
    (None, "local"),
    ({}, "local"),
    ({"auth": {}}, "local"),
    ({"auth": "nonsense"}, "local"),
    ({"auth": {"users": {}}}, "local"),
    ({"auth": {"users": {"a": {"role": "editor"}}}}, "local"),  # nobody can sign in: still local
    ({"auth": {"users": {"a": {"role": "editor", "password_hash": "scrypt$..."}}}}, "password"),
    ({"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s"}}, "oidc"),
    ({"auth": {"redirect_uri": "http://x/oauth2callback", "cookie_secret": "s",
               "users": {"a": {"role": "editor", "password_hash": "scrypt$..."}}}}, "oidc"),
    ({"auth": {"redirect_uri": "http://x/oauth2callback"}}, "local"),  # incomplete OIDC settings
])
def test_auth_mode(config, mode):
    assert auth_mode(config) == mode


@pytest.mark.parametrize(("name", "password", "expected"), [
    ("lan", "mật khẩu của Lan", User("lan", "editor")),
    (" lan ", "mật khẩu của Lan", User("lan", "editor")),
    ("minh", "minh-2024", User("minh", "viewer")),
    ("lan", "minh-2024", None),
    ("Lan", "mật khẩu của Lan", None),  # names are exact
    ("nobody", "whatever", None),
    ("nohash", "", None),
    ("badrole", "x" * 10, None),
    ("", "", None),
])
def test_authenticate(secrets, name, password, expected):
    assert authenticate(secrets, name, password) == expected


def test_authenticate_outside_password_mode_is_none():
    assert authenticate({}, "local", "") is None
    assert authenticate(None, "lan", "x") is None


def test_unknown_name_costs_as_much_as_a_wrong_password():
    config = {"auth": {"users": {"lan": {"role": "editor", "password_hash": hash_password("p" * 12)}}}}
    authenticate(config, "lan", "wrong")  # warm up
    start = time.perf_counter()
    authenticate(config, "lan", "wrong")
    known = time.perf_counter() - start
    start = time.perf_counter()
    authenticate(config, "ghost", "wrong")
    unknown = time.perf_counter() - start
    assert unknown > known / 3


@pytest.mark.parametrize(("config", "claims", "expected"), [
    ({"auth": {}}, {"is_logged_in": True, "email": "a@x.vn"}, User("a@x.vn", "viewer")),
    ({"auth": {"users": {"A@X.vn": {"role": "editor"}}}}, {"email": "a@x.vn"}, User("a@x.vn", "editor")),
    ({"auth": {"default_role": "none"}}, {"email": "a@x.vn"}, None),
    ({"auth": {"default_role": "none", "users": {"a@x.vn": {"role": "viewer"}}}}, {"email": "a@x.vn"},
     User("a@x.vn", "viewer")),
    ({"auth": {"default_role": "editor"}}, {"name": "Trần Văn B"}, User("Trần Văn B", "editor")),
    ({"auth": {}}, {"sub": "12345"}, User("12345", "viewer")),
    ({"auth": {}}, {"is_logged_in": False}, None),
    ({"auth": {}}, {}, None),
    ({"auth": {}}, None, None),
    ({"auth": {"users": {"a@x.vn": {"role": "owner"}}}}, {"email": "a@x.vn"}, None),
])
def test_oidc_user(config, claims, expected):
    assert oidc_user(config, claims) == expected


RIGHTS = [
    ("view", True, True, True, False),
    ("download", True, True, True, False),
    ("upload", False, True, True, False),
    ("save", False, True, True, False),
    ("delete", False, True, True, False),
]


@pytest.mark.parametrize(("action", "viewer", "editor", "local", "nobody"), RIGHTS)
def test_can(action, viewer, editor, local, nobody):
    assert can(User("a", "viewer"), action) is viewer
    assert can(User("b", "editor"), action) is editor
    assert can(LOCAL_USER, action) is local
    assert can(None, action) is nobody


def test_can_rejects_unknown_actions():
    with pytest.raises(ValueError):
        can(LOCAL_USER, "drop_database")


def test_user_is_frozen():
    with pytest.raises(AttributeError):
        LOCAL_USER.role = "viewer"  # type: ignore[misc]


def run_cli(monkeypatch, capsys, argv: list[str], stdin: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_hash_password_command(monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, ["hash-password", "--stdin"], "một mật khẩu dài\n")
    assert code == 0 and err == ""
    assert verify_password("một mật khẩu dài", out.strip())


def test_hash_password_command_prints_a_secrets_table(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys,
                           ["hash-password", "--stdin", "--user", "nguyen.van.a", "--role", "editor"], "mat-khau-dai\n")
    import tomllib

    table = tomllib.loads(out)
    entry = table["auth"]["users"]["nguyen.van.a"]
    assert entry["role"] == "editor" and verify_password("mat-khau-dai", entry["password_hash"])
    assert authenticate(table, "nguyen.van.a", "mat-khau-dai") == User("nguyen.van.a", "editor")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_hash_password_command_refuses_short_passwords(monkeypatch, capsys, lang):
    code, out, err = run_cli(monkeypatch, capsys, ["--lang", lang, "hash-password", "--stdin"], "short\n")
    assert code == 1 and out == ""
    assert "8" in err and "access.cli" not in err


def test_hash_password_command_asks_twice(monkeypatch, capsys):
    answers = iter(["mat-khau-dai", "mat-khau-khac"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, out, err = run_cli(monkeypatch, capsys, ["hash-password"], "")
    assert code == 1 and out == "" and err
