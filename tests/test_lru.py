"""cmmc_site/lru.py: the bounded map behind the kept blocks and the kept scores."""

import threading

from cmmc_site.lru import LRU


def test_it_is_bounded_and_the_least_recently_used_go_first():
    kept = LRU(2)
    made = []

    def make(value: str):
        return lambda: made.append(value) or value

    assert kept.get("a", make("A")) == "A"
    assert kept.get("b", make("B")) == "B"
    assert kept.get("a", make("A again")) == "A"  # kept: a is now the most recent
    assert kept.get("c", make("C")) == "C"  # b goes
    assert list(kept._items) == ["a", "c"]
    assert kept.get("b", make("B again")) == "B again"
    assert made == ["A", "B", "C", "B again"]


def test_a_value_that_fails_to_be_made_is_not_kept():
    kept = LRU(4)

    def fail():
        raise ValueError("no")

    try:
        kept.get("a", fail)
    except ValueError:
        pass
    assert len(kept) == 0
    assert kept.get("a", lambda: "A") == "A"


def test_threads_getting_the_same_keys_leave_it_within_its_bound():
    kept = LRU(8)

    def work(n: int) -> None:
        for i in range(500):
            assert kept.get(i % 16, lambda i=i: i % 16) == i % 16

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kept) == 8
