"""Host-style login servers (`{name}.{login-host}:{port}`): docker keeps one credential per host, so only they let a
user be logged in to two registries at once. The names must resolve to this machine: an /etc/hosts line each (CI
adds them), or a resolver that maps `*.localhost` to loopback.

Skipped when no Docker engine answers or the names do not resolve, except in CI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.docker_support import HOST_DOMAIN, HOST_NAMES, Emu, make_image, pulled_digest, push, require_host_names, sh

pytestmark = pytest.mark.usefixtures("docker_engine")
DOMAIN, NAMES = HOST_DOMAIN, HOST_NAMES


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    require_host_names()
    emulator = Emu(tmp_path_factory.mktemp("hosts"), acr_auth="enforced", acr_login_style="host",
                   acr_login_host=DOMAIN)
    yield emulator
    emulator.server.stop()


def test_two_registries_logged_in_at_once(emu: Emu) -> None:
    servers = {name: emu.create(name)["loginServer"] for name in NAMES}
    port = emu.server.emulator.dataplane.public_port
    assert servers == {name: f"{name}.{DOMAIN}:{port}" for name in NAMES}

    challenge = requests.get(f"http://127.0.0.1:{port}/v2/", headers={"Host": servers["hostreg01"]}, timeout=10)
    assert challenge.headers["WWW-Authenticate"].endswith(f'service="{servers["hostreg01"]}"')

    digests = {}
    try:
        for name, server in servers.items():
            user, password = emu.credentials(name)
            sh("docker", "login", server, "-u", user, "--password-stdin", input=password.encode())
        for name, server in servers.items():  # both logins hold: no login between the pushes
            make_image(f"{server}/app:1")
            digests[name] = push(f"{server}/app:1")
            sh("docker", "rmi", "-f", f"{server}/app:1")
        for name, server in servers.items():
            assert pulled_digest(f"{server}/app:1") == digests[name]
        user, password = emu.credentials("hostreg01")
        listed = requests.get(f"http://127.0.0.1:{port}/acr/v1/_catalog", auth=(user, password),
                              headers={"Host": servers["hostreg01"]}, timeout=10)
        assert listed.json() == {"repositories": ["app"]}
        refused = requests.get(f"http://127.0.0.1:{port}/v2/app/tags/list", auth=(user, password),
                               headers={"Host": servers["hostreg02"]}, timeout=10)
        assert refused.status_code == 401
    finally:
        for server in servers.values():
            sh("docker", "logout", server, check=False)
