"""Listing reads one page per request from the store's index (issue 11): `nextLink` continues where the page
ended, so creates and deletes between pages neither repeat nor hide anything, for every kind of list."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from tests.conftest import SUBSCRIPTION, Arm, reg_path, start

REGISTRIES = "/providers/Microsoft.ContainerRegistry/registries"


@pytest.fixture
def arm() -> Iterator[Arm]:
    with start(page_size=3) as server:
        yield Arm(server.url)


def _walk(arm: Arm, first: str, between: Callable[[int], None] = lambda _: None, **params: str) -> list[str]:
    """Every name a list shows, page by page; `between(n)` runs after page n."""
    names, answer, pages = [], arm.call("GET", first, params=dict(params)), 0
    while True:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        names += [item["name"] for item in body["value"]]
        between(pages)
        pages += 1
        if "nextLink" not in body:
            return names
        answer = arm.session.get(body["nextLink"], timeout=10)


def test_registries_created_and_deleted_between_pages(arm: Arm) -> None:
    for group in ("rga", "rgb"):
        arm.group(group)
    for i in range(8):
        assert arm.registry(f"listreg{i:02d}", group="rga" if i % 2 else "rgb").status_code == 201

    def churn(page: int) -> None:
        if page == 0:
            # after the first page: one not yet seen goes, one seen goes, one new one sorts after the cursor
            assert arm.call("DELETE", reg_path("rga", "listreg07")).status_code == 200
            assert arm.call("DELETE", reg_path("rga", "listreg01")).status_code == 200
            assert arm.registry("listreg99", group="rgb").status_code == 201

    names = _walk(arm, REGISTRIES, churn)
    assert len(names) == len(set(names)), names  # nothing twice
    assert "listreg07" not in names and "listreg99" in names
    assert {f"listreg{i:02d}" for i in (0, 2, 3, 4, 5, 6)} <= set(names)
    assert _walk(arm, "/resourceGroups/rgb" + REGISTRIES) == ["listreg00", "listreg02", "listreg04", "listreg06",
                                                              "listreg99"]


def test_resources_keep_their_filter_across_pages(arm: Arm) -> None:
    arm.group("rga")
    for i in range(7):
        arm.registry(f"resreg{i:02d}", group="rga")
    flt = "resourceType eq 'Microsoft.ContainerRegistry/registries'"
    assert _walk(arm, f"/subscriptions/{SUBSCRIPTION}/resources", **{"$filter": flt}) == [
        f"resreg{i:02d}" for i in range(7)]
    assert _walk(arm, f"/subscriptions/{SUBSCRIPTION}/resources",
                 **{"$filter": "resourceType eq 'Microsoft.Network/virtualNetworks'"}) == []
    assert _walk(arm, f"/subscriptions/{SUBSCRIPTION}/resources", **{"$filter": "name eq 'resreg03'"}) == ["resreg03"]


def test_resource_groups_page(arm: Arm) -> None:
    for i in range(7):
        arm.group(f"group{i}")
    assert _walk(arm, f"/subscriptions/{SUBSCRIPTION}/resourcegroups") == [f"group{i}" for i in range(7)]


def test_child_lists_page_with_the_built_in_children_among_them(arm: Arm) -> None:
    arm.group("rga")
    arm.registry("kidsreg01", group="rga")
    made = ["alpha-map", "zulu-map", "mid-map", "beta-map"]
    for name in made:
        answer = arm.call("PUT", reg_path("rga", "kidsreg01") + f"/scopeMaps/{name}",
                          json={"properties": {"actions": ["repositories/app/content/read"]}})
        assert answer.status_code in (200, 201), answer.text
    names = _walk(arm, reg_path("rga", "kidsreg01") + "/scopeMaps")
    assert len(names) == len(set(names))
    assert set(made) <= set(names) and any(n.startswith("_repositories_") for n in names)
    assert names == sorted(names, key=str.lower)


def test_a_skiptoken_this_server_never_gave_is_a_400(arm: Arm) -> None:
    answer = arm.call("GET", REGISTRIES, params={"$skiptoken": "%%%"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidRequestContent"


def test_a_page_reads_only_its_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request reads one page from the index (page size + 1 rows), never the whole kind."""
    with start(page_size=5) as server:
        arm = Arm(server.url)
        arm.group("rga")
        for i in range(40):
            arm.registry(f"manyreg{i:02d}", group="rga", sku="Basic")
        store = server.emulator.store
        read: list[int] = []
        original = store.page

        def counted(*args: object, **kwargs: object) -> object:
            records, more = original(*args, **kwargs)  # type: ignore[arg-type]
            read.append(len(records))
            return records, more

        monkeypatch.setattr(store, "page", counted)
        assert len(_walk(arm, REGISTRIES)) == 40
        assert read == [5] * 8
        assert requests.get(server.url + "/_emulator/health", timeout=10).ok


