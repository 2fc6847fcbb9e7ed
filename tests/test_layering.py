"""The domain package must stay usable without Streamlit (shared/design.md, section 1)."""
import subprocess
import sys


def test_ntm_data_never_imports_streamlit():
    code = (
        "import sys, pkgutil, importlib, ntm_data\n"
        "for m in pkgutil.walk_packages(ntm_data.__path__, 'ntm_data.'):\n"
        "    if m.name != 'ntm_data.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
