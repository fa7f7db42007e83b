"""The pytest plugin, as a user's suite uses it: `acr_emulator` in a test file run by pytester (issue 12)."""

from __future__ import annotations

import pytest

from acr_fidelity.pytest_plugin import AcrEmulator
from tests.conftest import start

pytest_plugins = ["pytester"]

USER_TEST = '''
from azure.mgmt.containerregistry import models


def test_a_registry_through_the_sdk(acr_emulator):
    acr_emulator.resource_group("plugin-rg")
    poller = acr_emulator.client.registries.begin_create(
        "plugin-rg", "pluginreg01", models.Registry(location="westus", sku=models.Sku(name="Basic")))
    assert poller.result().provisioning_state == "Succeeded"
    assert [r.name for r in acr_emulator.client.registries.list()] == ["pluginreg01"]
    assert acr_emulator.url.startswith("https://localhost:")
'''


def test_the_fixture_starts_an_emulator_with_a_ready_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USER_TEST)
    pytester.runpytest("--acr-emulator-data-plane=off", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_fixture_can_use_a_running_emulator(pytester: pytest.Pytester) -> None:
    with start() as server:
        pytester.makepyfile(USER_TEST)
        result = pytester.runpytest(f"--acr-emulator-url={server.url}", "-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)
        # the user's registry is in the running emulator, where the rest of their tooling sees it
        assert server.emulator.backend.find_registry("pluginreg01") is not None


@pytest.mark.usefixtures("docker_engine")
def test_with_docker_the_fixture_serves_the_data_plane_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USER_TEST + '''

def test_the_login_server_answers(acr_emulator):
    import requests
    assert acr_emulator.data_plane
    server = acr_emulator.client.registries.get("plugin-rg", "pluginreg01").login_server
    challenge = requests.get(f"http://{server.split('/')[0]}/v2/", timeout=30)
    assert challenge.status_code == 401 and "Bearer" in challenge.headers["WWW-Authenticate"]
''')
    pytester.runpytest("--acr-emulator-data-plane=on", "-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_this_suite_uses_the_fixture_too(acr_emulator: AcrEmulator) -> None:
    """The project's own suite takes the fixture as a user's would (session-scoped, data plane when Docker answers)."""
    from azure.mgmt.containerregistry import models

    acr_emulator.resource_group("dogfood-rg")
    client = acr_emulator.client
    registry = client.registries.begin_create("dogfood-rg", "dogfoodreg01", models.Registry(
        location="westus", sku=models.Sku(name="Standard"))).result()
    assert registry.provisioning_state == "Succeeded"
    assert client.registries.get("dogfood-rg", "dogfoodreg01").sku.name == "Standard"
