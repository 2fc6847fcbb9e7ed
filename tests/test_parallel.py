"""Several workbooks read at once (ntm_data.parallel): results in the items' order, two reads at a time,
an unreadable workbook in its own place."""
from __future__ import annotations

import threading
import time

import pytest

from ntm_data.parallel import READERS, read_each


def test_results_keep_the_order_of_the_items_not_of_their_finishing() -> None:
    def slow_first(n: int) -> int:
        time.sleep(0.02 * (5 - n))  # the first item finishes last
        return n * n

    assert read_each(slow_first, range(5)) == [0, 1, 4, 9, 16]


def test_two_reads_run_at_the_same_time() -> None:
    both = threading.Barrier(READERS, timeout=10)  # broken (and the test failed) if the reads run one by one

    def meet(n: int) -> str:
        both.wait()
        return threading.current_thread().name

    names = read_each(meet, range(4))
    assert READERS == 2 and len(set(names)) == 2 and all(n.startswith("ntm-read") for n in names)


def test_an_expected_error_takes_its_items_place_and_the_others_are_still_read() -> None:
    def read(n: int) -> int:
        if n == 1:
            raise ValueError("unreadable")
        return n

    out = read_each(read, [0, 1, 2], ValueError)
    assert out[0] == 0 and out[2] == 2
    assert isinstance(out[1], ValueError) and str(out[1]) == "unreadable"


def test_an_unexpected_error_propagates() -> None:
    def read(n: int) -> int:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        read_each(read, [0, 1], ValueError)
    with pytest.raises(OSError, match="disk gone"):
        read_each(read, [0])


def test_no_items_and_one_item() -> None:
    assert read_each(str, []) == []
    assert read_each(str, [7]) == ["7"]  # one read needs no second thread
