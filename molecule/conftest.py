"""Shared pytest fixtures for every Molecule scenario's testinfra tests."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from labprobe import lab_host


@pytest.fixture(scope="session")
def lab():
    """`lab("name")` returns a testinfra host for that lab container."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = lab_host(name)
        return cache[name]

    return get
