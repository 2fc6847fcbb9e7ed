#!/usr/bin/env bash
# Set up (first time) and start the dashboard on the bundled sample data: http://localhost:8501
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv requirements.txt
cd "$ROOT"
# Bytecode of the app's own modules, written even where PYTHONDONTWRITEBYTECODE is set (else every start
# compiles them again, about 0.3 s of the first page). Quick when nothing changed.
"$VENV/bin/python" -m compileall -q dashboard.py pages ui ntm_data >/dev/null || true
exec "$VENV/bin/python" -m streamlit run dashboard.py "$@"
