"""A bounded, thread-safe map that forgets what was used least recently: for values made from their whole key
(kept requirement blocks, kept scores), where nothing is ever invalidated and old entries simply age out.

``functools.lru_cache`` would do for a pure function of hashable arguments; these keys are built by the caller from
more than the function's arguments (a kept block's markup, a score's rules by identity)."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class LRU[V]:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: two threads may both make it, and either result is the same
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
