"""The toolkit API through its real handlers: the SQLite store of `app_env` with an installation
(tokens encrypted, as the OAuth callback stores them) and a member, GHL answered by respx with
spec-shaped bodies (`tests/ghl/ghl_testkit.py`).

The GHL client is the container's (`factories.get_ghl_client`), built with a recorded sleep, so a
retried call costs no wall-clock time and the test can assert the back-off it asked for.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import respx

from tests import leak_guard
from tests.conftest import app_environment
from tests.ghl.ghl_testkit import ACCESS_TOKEN, BASE_URL, REFRESH_TOKEN, SECRETS
from tests.seed import seed_installation
from tests.toolkit.kit import LOCATION, Toolkit


@pytest.fixture
def toolkit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Toolkit]:
    """An installed LOCATION with USER as a member; GHL's base URL is the real one (respx answers).

    The settings are `app_env`'s (`tests.conftest.app_environment`), without its GHL sandbox:
    no token here is refreshed, and respx (`assert_all_mocked`) would refuse the sandbox anyway.
    """
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher
    from ghlbridge.ghl.client import GHLClient

    env = app_environment(BASE_URL, tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    factories.reset()
    leak_guard.register(*SECRETS)
    store = factories.get_store()
    seed_installation(
        store, get_cipher(), LOCATION, access=ACCESS_TOKEN, refresh=REFRESH_TOKEN, expires_in=timedelta(hours=20)
    )
    kit = Toolkit(env, store)
    kit.add_member()
    client = GHLClient(base_url=BASE_URL, timeout=2.0, sleep=kit.sleeps.append, rng=lambda: 0.5)
    # cached like the real factory (factories.reset() clears it)
    monkeypatch.setattr(factories, "get_ghl_client", functools.lru_cache(maxsize=1)(lambda: client))
    yield kit
    factories.reset()


@pytest.fixture
def ghl_api(toolkit: Toolkit) -> Iterator[respx.MockRouter]:
    """GHL: every request must be mocked, every mocked route called."""
    with respx.mock(base_url=BASE_URL, assert_all_called=True, assert_all_mocked=True) as router:
        yield router
