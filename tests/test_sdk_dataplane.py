"""The real azure-containerregistry SDK against the data plane's front door over HTTPS, in Azure's enforced auth
mode: ContainerRegistryClient signed in with ClientSecretCredential at the emulated Entra ID (ACR's token exchange),
and anonymously where the registry allows anonymous pull.

Skipped when no Docker engine answers, except in CI (tests/docker_support.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import reg_path, trust_bundle_for
from tests.docker_support import BASE_PORT, Emu, push_new_image, sh

pytestmark = pytest.mark.usefixtures("docker_engine")
containerregistry = pytest.importorskip("azure.containerregistry")
identity = pytest.importorskip("azure.identity")
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    emulator = Emu(tmp_path_factory.mktemp("sdk-dataplane"), acr_auth="enforced")
    yield emulator
    emulator.server.stop()


def test_container_registry_client_lists_updates_and_deletes(emu: Emu, monkeypatch: pytest.MonkeyPatch) -> None:
    login = emu.create("sdkdata01")["loginServer"]
    user, password = emu.credentials("sdkdata01")
    sh("docker", "login", f"localhost:{BASE_PORT}", "-u", user, "--password-stdin", input=password.encode())
    try:
        first = push_new_image(login, "library/hello", "1")
        second = push_new_image(login, "library/hello", "2")
        push_new_image(login, "other", "1")
    finally:
        sh("docker", "logout", f"localhost:{BASE_PORT}")

    bundle = str(trust_bundle_for(emu.server))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    authority = emu.server.https_url.replace("127.0.0.1", "localhost")
    credential = identity.ClientSecretCredential(TENANT, "sdk-data-app", "a-secret", authority=authority,
                                                 disable_instance_discovery=True)
    client = containerregistry.ContainerRegistryClient(f"https://{login}", credential,
                                                       audience="https://containerregistry.azure.net",
                                                       connection_verify=bundle)

    assert sorted(client.list_repository_names()) == ["library/hello", "other"]
    repository = client.get_repository_properties("library/hello")
    assert (repository.name, repository.tag_count, repository.manifest_count) == ("library/hello", 2, 2)
    tags = {t.name: t.digest for t in client.list_tag_properties("library/hello")}
    assert tags == {"1": first, "2": second}
    manifests = list(client.list_manifest_properties("library/hello"))
    assert {m.digest for m in manifests} == {first, second}
    assert all(m.architecture == "amd64" and m.operating_system == "linux" and m.size_in_bytes for m in manifests)

    locked = client.update_tag_properties("library/hello", "1", can_write=False)
    assert locked.can_write is False and locked.can_delete is True
    assert client.get_tag_properties("library/hello", "1").can_write is False
    unlisted = client.update_repository_properties("other", can_list=False)
    assert unlisted.can_list is False
    assert sorted(client.list_repository_names()) == ["library/hello"]

    client.update_tag_properties("library/hello", "1", can_write=True)
    client.delete_tag("library/hello", "1")
    assert [t.name for t in client.list_tag_properties("library/hello")] == ["2"]
    client.delete_manifest("library/hello", second)
    assert [m.digest for m in client.list_manifest_properties("library/hello")] == [first]
    client.delete_repository("library/hello")
    assert list(client.list_repository_names()) == []

    # Anonymously: refused until the registry allows anonymous pull, then read-only.
    anonymous = containerregistry.ContainerRegistryClient(f"https://{login}", None,
                                                          audience="https://containerregistry.azure.net",
                                                          connection_verify=bundle)
    with pytest.raises(Exception, match="(?i)unauthorized|authentication"):
        list(anonymous.list_repository_names())
    emu.arm.call("PATCH", reg_path("rg1", "sdkdata01"), json={"properties": {"anonymousPullEnabled": True}})
    client.update_repository_properties("other", can_list=True)
    assert list(anonymous.list_repository_names()) == ["other"]
