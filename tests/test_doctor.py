"""`acr-fidelity doctor` (issue 12): it finds what is missing for these settings and says what to do."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from acr_fidelity.cli import main
from tests.conftest import free_port


def _config(tmp_path: Path, acr: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"floci-az:\n  services:\n    acr: {acr}\n")
    return str(path)


def test_a_taken_port_fails_with_the_remedy(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACR_FIDELITY_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["doctor", "--config", _config(tmp_path, "{mocked: true}"), "--port", str(port)]) == 1
    out = capsys.readouterr().out
    assert f"127.0.0.1:{port} is taken" in out and "serve with --port" in out


def test_mocked_with_free_ports_is_ready_whatever_docker_says(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACR_FIDELITY_CONFIG_DIR", str(tmp_path))
    assert main(["doctor", "--config", _config(tmp_path, "{mocked: true}"), "--port", str(free_port())]) == 0
    assert "ARM port" in capsys.readouterr().out


@pytest.mark.usefixtures("docker_engine")
def test_a_missing_registry_image_names_the_script_that_builds_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACR_FIDELITY_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    config = _config(tmp_path, "{mocked: false, default-image: 'acr-fidelity-no-such-image:1'}")
    assert main(["doctor", "--config", config, "--port", str(free_port())]) == 1
    out = capsys.readouterr().out
    assert "acr-fidelity-no-such-image:1 is not in the engine" in out and "scripts/build-registry-image" in out
