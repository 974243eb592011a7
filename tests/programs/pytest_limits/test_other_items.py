"""Limits on what is not a plain test function (tests/integration/pytest.sh): a unittest
method, measured around pytest's whole runtest, and markers with pytest-memray's
keyword arguments, which mprof takes and cannot apply (it counts the whole process)."""
import unittest

import pytest

KEPT = []


class TestCase(unittest.TestCase):
    @pytest.mark.limit_memory("24 MB")
    def test_method_over_memory_limit(self):
        block = bytearray(30_000_000)
        del block

    @pytest.mark.limit_memory("24 MB")
    def test_method_under_memory_limit(self):
        block = bytearray(10_000_000)
        del block


@pytest.mark.limit_memory("24 MB", current_thread_only=True)
def test_current_thread_only():
    block = bytearray(30_000_000)
    del block


@pytest.mark.limit_leaks("1 MB", filter_fn=lambda stack: True)
def test_filter_fn():
    KEPT.append(bytearray(2_000_000))
