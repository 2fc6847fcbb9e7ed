"""Entry point for `python -m ntm_data`."""
import sys

from ntm_data.cli import main

sys.exit(main())
