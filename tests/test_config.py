"""Settings: floci-az's keys and variables, precedence, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from acr_fidelity.config import ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings(env={})
    assert (settings.port, settings.acr_enabled, settings.acr_mocked) == (4577, True, False)
    assert (settings.acr_default_image, settings.acr_base_port, settings.acr_max_port) == ("registry:2", 5000, 5099)
    assert settings.state_dir is None and settings.require_auth


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "floci-az:\n  services:\n    acr:\n      mocked: true\n      base-port: 6000\n      max-port: 6010\n"
        "acr-fidelity:\n  port: 5555\n  require-auth: false\n"
    )
    settings = load_settings(config, env={"FLOCI_AZ_SERVICES_ACR_BASE_PORT": "6001"}, overrides={"port": 7777})
    assert settings.acr_mocked is True and settings.require_auth is False
    assert settings.acr_base_port == 6001 and settings.acr_max_port == 6010 and settings.port == 7777
    sources = {name: source for name, _, source in settings.describe()}
    assert sources["acr_base_port"] == "env FLOCI_AZ_SERVICES_ACR_BASE_PORT"
    assert sources["port"] == "command line"
    assert sources["acr_mocked"] == "file floci-az.services.acr.mocked"


@pytest.mark.parametrize(("env", "message"), [
    ({"FLOCI_AZ_SERVICES_ACR_MOCKED": "perhaps"}, "acr_mocked"),
    ({"FLOCI_AZ_SERVICES_ACR_BASE_PORT": "five"}, "acr_base_port"),
    ({"FLOCI_AZ_SERVICES_ACR_BASE_PORT": "6000", "FLOCI_AZ_SERVICES_ACR_MAX_PORT": "5000"}, "acr_base_port"),
])
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env)
