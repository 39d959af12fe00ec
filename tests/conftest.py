"""Suite-wide isolation (no developer cache, no HRPOLICY_* settings and no NO_COLOR leak into the tests),
shared sessions, and the fake GitHub the publishing tests talk to."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fakegithub import SPEC_FILE, FakeGitHub, openapi_description, serve

from hrpolicy.evaluate.session import Session, SessionConfig


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes seconds (builds or installs the package); kept because it proves packaging"
    )


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("HRPOLICY_") or k == "NO_COLOR"]:
        del os.environ[key]
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def builtin_session(_isolated_environment: None) -> Session:
    """A session over the built-in pack without third-party plugins, built once for the whole run: the
    evaluation date is given per call, so every test can share it."""
    return Session(SessionConfig(autoload=False))


@pytest.fixture(scope="session")
def openapi() -> Any:
    if not SPEC_FILE.is_file():
        pytest.skip(f"{SPEC_FILE} is missing (a clone without ../shared)")
    core = pytest.importorskip("openapi_core")
    return core.OpenAPI.from_dict(openapi_description())


@pytest.fixture
def github(openapi: Any, request: pytest.FixtureRequest) -> Iterator[FakeGitHub]:
    """A fake GitHub; parametrize indirectly with a path prefix (``/api/v3``) for GitHub Enterprise Server."""
    with serve(FakeGitHub(openapi, prefix=getattr(request, "param", ""))) as fake:
        yield fake
