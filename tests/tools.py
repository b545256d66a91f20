"""The Debian tools some tests run for real (prometheus, promtool, docker-compose,
chromium): found on PATH, or the test fails saying how to install them. Never a skip:
`make test` installs them (scripts/tools.sh), and a suite that quietly stopped checking
the alert rules or the scrape would look as green as one that checked them."""

from __future__ import annotations

import shutil

import pytest


def tool(name: str) -> str:
    """The path of ``name``; fails the test, naming the install script, when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: run `bash scripts/tools.sh` (as root; it installs "
            "Debian's prometheus, docker-compose and chromium with apt-get), which `make test` "
            "runs first",
            pytrace=False,
        )
    return path
