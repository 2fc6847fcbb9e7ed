"""Layouts of NTM status sheets: header recognition and one reader per table shape."""
