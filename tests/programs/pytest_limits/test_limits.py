"""A suite of known byte counts for the pytest plugin (tests/integration/pytest.sh):
each test allocates what its name says, so its figures are known to the byte. Under
mprof run 3 fail (30,000,000 bytes in the test or in a thread of it, over 24 MB; 2,000,000
left in KEPT, over 1 MB) and 3 pass; anywhere else all 6 pass."""
import threading

import pytest

KEPT = []


@pytest.mark.limit_memory("24 MB")
def test_over_memory_limit():
    block = bytearray(30_000_000)
    del block


@pytest.mark.limit_memory("24 MB")
def test_under_memory_limit():
    block = bytearray(10_000_000)
    del block


@pytest.mark.limit_leaks("1 MB")
def test_leaves_two_million():
    KEPT.append(bytearray(2_000_000))


@pytest.mark.limit_leaks("1 MB")
def test_frees_everything():
    block = bytearray(5_000_000)
    del block


def test_unmarked():
    block = bytearray(1_000_000)
    del block


@pytest.mark.limit_memory("24 MB")
def test_thread_over_memory_limit():
    # The heap is the whole process's: a thread's bytes are the test's too.
    worker = threading.Thread(target=bytearray, args=(30_000_000,))
    worker.start()
    worker.join()
