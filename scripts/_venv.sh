# Shared by run.sh and test.sh: make .venv with the given requirements file, once per change of that file.
# Works on a fresh Debian with Python 3.11: installs python3-venv through apt-get when venv is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

apt_install() {  # apt_install PKG...: install Debian packages, running 'apt-get update' once per call
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

ensure_venv() {  # ensure_venv REQUIREMENTS_FILE
  local req="$ROOT/$1" stamp="$VENV/.installed-$(basename "$1")"
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      echo ">> python3-venv is missing: installing it with apt-get" >&2
      apt_install python3-venv python3-pip
      "$PY" -m venv "$VENV"
    fi
  fi
  local want; want="$(cat "$ROOT/requirements.txt" "$req" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo ">> installing Python packages from $1 into .venv" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$req"
    echo "$want" > "$stamp"
  fi
}
