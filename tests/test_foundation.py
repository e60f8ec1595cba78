import pytest

import rollouts_widgets as rw
from rollouts_widgets import errors
from rollouts_widgets.flags import Flags


def test_error_carries_code_and_message():
    err = errors.RolloutsError(errors.NOT_FOUND, "rollout shop/checkout not found")
    assert err.code == "NOT_FOUND"
    assert err.to_dict() == {"code": "NOT_FOUND", "message": "rollout shop/checkout not found"}
    assert "NOT_FOUND" in str(err)


@pytest.mark.parametrize(
    ("http", "code"),
    [(403, "FORBIDDEN"), (404, "NOT_FOUND"), (409, "CONFLICT"), (422, "INVALID_INPUT"),
     (503, "API_UNAVAILABLE"), (400, "API_ERROR")],
)
def test_http_status_maps_to_code(http, code):
    assert errors.RolloutsError.from_http(http, "x").code == code


def test_flags_default_on_and_read_only_off(monkeypatch):
    for var in ("WATCH", "ANALYSIS", "ROLLBACK", "READ_ONLY"):
        monkeypatch.delenv(f"ROLLOUTS_WIDGETS_{var}_ENABLED", raising=False)
    monkeypatch.delenv("ROLLOUTS_WIDGETS_READ_ONLY", raising=False)
    assert Flags.from_env() == Flags(watch=True, analysis=True, rollback=True, read_only=False)


def test_flags_env_and_override(monkeypatch):
    monkeypatch.setenv("ROLLOUTS_WIDGETS_WATCH_ENABLED", "false")
    monkeypatch.setenv("ROLLOUTS_WIDGETS_ROLLBACK_ENABLED", "no")  # only "false" switches off
    monkeypatch.setenv("ROLLOUTS_WIDGETS_READ_ONLY", "TRUE")
    flags = Flags.from_env()
    assert (flags.watch, flags.rollback, flags.read_only) == (False, True, True)
    assert Flags.from_env(watch=True, read_only=False).watch is True
    assert Flags.from_env(read_only=False).read_only is False


def test_lazy_public_names():
    assert rw.RolloutsError is errors.RolloutsError
    with pytest.raises(AttributeError):
        rw.no_such_name  # noqa: B018
