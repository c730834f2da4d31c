from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _run_settings(monkeypatch):
    """Use `etr.hybrid.run.RunSettings` when it imports, else a stand-in with its fields."""
    try:
        from etr.hybrid.run import RunSettings  # noqa: F401
    except ImportError:
        from etr_fakes import FakeRunSettings

        monkeypatch.setattr("etr.experiment.spec._run_settings_cls", lambda: FakeRunSettings)
    yield
