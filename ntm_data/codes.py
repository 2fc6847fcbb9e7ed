"""Integer codes of a text column of any dtype (object, pandas "str", category), shared by evaluation and analytics."""
from __future__ import annotations

import numpy as np
import pandas as pd


def codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """(codes intp, -1 where missing; distinct values) of a column. A categorical gives its own codes and
    categories for free (categories not in use included); anything else is factorized once."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.intp, copy=False), column.cat.categories
    array = column.to_numpy() if column.dtype == object else column.array
    found, uniques = pd.factorize(array)
    return found.astype(np.intp, copy=False), pd.Index(uniques, dtype=object if column.dtype == object else None)
