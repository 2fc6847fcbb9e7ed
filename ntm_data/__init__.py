"""ntm_data: read NTM status workbooks, judge them against a criteria catalogue, and analyse them.

Pure Python: never imports streamlit, ui or pages.
"""
from ntm_data.dataset import load_dataset
from ntm_data.model import Dataset, Issue, Period, ReadError, Severity, Status

__all__ = ["Dataset", "Issue", "Period", "ReadError", "Severity", "Status", "load_dataset"]
