"""Limit markers that are no limit: under mprof run each test errors at its setup with
a line naming the marker as written (tests/integration/pytest.sh)."""
import pytest


@pytest.mark.limit_memory("24 XB")
def test_unknown_unit():
    pass


@pytest.mark.limit_leaks()
def test_no_limit():
    pass


@pytest.mark.limit_memory("1 MB", size="2 MB")
def test_unknown_argument():
    pass
