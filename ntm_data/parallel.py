"""Reading several workbooks at once. python-calamine parses a sheet without holding Python's interpreter
lock, so with two threads one workbook's parse runs beside another's Python work: five national yearly
summaries are read in about 2.5 s instead of 3.6 s on two cores (a history, a snapshot store's periods)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
READERS = 2  # workbooks read at once: more threads than cores only add memory (~100 MB per national read)


def read_each(read: Callable[[Item], Result], items: Iterable[Item],
              expected: type[Exception] | tuple[type[Exception], ...] = ()) -> list[Result | Exception]:
    """read(item) for every item, READERS at a time, in the items' order. An `expected` exception (a
    workbook that cannot be read) takes its item's place in the list; any other propagates."""
    def attempt(item: Item) -> Result | Exception:
        try:
            return read(item)
        except expected as exc:
            return exc

    items = list(items)
    if len(items) < 2:
        return [attempt(item) for item in items]
    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="ntm-read") as pool:
        return list(pool.map(attempt, items))
