"""One object per server process, made on first use: the pool of training workers, the registry of runs a page may
reattach to, the live panels' feeds. They hold process-wide machinery, reached by unguessable ids; never a user's
data by itself."""
from __future__ import annotations

import functools
import threading
from typing import Callable, TypeVar

T = TypeVar("T")


def per_process(make: Callable[[], T]) -> Callable[[], T]:
    """`make()` once, under a lock, the first time the decorated function is called; the same object after that."""
    lock, made = threading.Lock(), []

    @functools.wraps(make)
    def get() -> T:
        with lock:
            if not made:
                made.append(make())
            return made[0]

    return get
