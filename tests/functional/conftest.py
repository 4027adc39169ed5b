"""Functional tests go through ``app.py`` with Chalice's test client, on moto, with the fake gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from chalice.test import Client

from tests.conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.bootstrap import Container


@pytest.fixture
def client(container: Container) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        yield test_client
