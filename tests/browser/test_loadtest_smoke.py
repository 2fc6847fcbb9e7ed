"""scripts/loadtest.py runs end to end with two concurrent sessions: its own server on loopback, each
session sees its own upload, and it reports every step's timings and PASS (docs/loadtest.md has the
10-session figures)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from browserkit import ROOT

pytestmark = pytest.mark.browser

STEPS = ("open", "upload", "overview", "lagging_communes")


def test_loadtest_two_sessions_pass(chromium, tmp_path):
    figures = tmp_path / "loadtest.json"
    result = subprocess.run(
        [sys.executable, "scripts/loadtest.py", "--sessions", "2", "--timeout", "180", "--json", str(figures),
         "--no-screenshots"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, f"exit {result.returncode}\n{out[-3000:]}\n{result.stderr[-3000:]}"
    assert out.strip().splitlines()[-1] == "PASS", out
    assert "completed with their own data: 2, saw another session's data: 0" in out
    data = json.loads(figures.read_text(encoding="utf-8"))
    assert data["passed"] is True and data["sessions"] == 2 and not data["problems"]
    for step in STEPS:
        stats = data["steps"][step]
        assert stats["n"] == 2
        assert 0 < stats["p50"] <= stats["p95"] <= stats["max"] < 180
        assert any(line.startswith(step) for line in out.splitlines()), out


def test_loadtest_refuses_too_many_sessions():
    result = subprocess.run([sys.executable, "scripts/loadtest.py", "--sessions", "500"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--sessions must be" in result.stderr
