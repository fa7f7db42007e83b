"""A registry's child resources (replications, ...): one generic path for what every family shares (names, storage,
systemData, provisioning, cascade delete); each family's own rules live in a module of its own (replications.py).
No HTTP here.

A child record: {name, registry, subscriptionId, resourceGroup, location?, tags, properties, provisioningState,
createdAt/By/ByType, lastModifiedAt/By/ByType}, stored as kind `child.{segment}`, key `{registry}/{name}` (lower).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from acr_fidelity.registry.errors import DomainError

if TYPE_CHECKING:
    from acr_fidelity.registry.models import Backend, Caller


class FamilyRules(Protocol):
    """What a family decides; each raises DomainError with Azure's code. `Rules` gives the common defaults."""

    def create(self, backend: Backend, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        """The new record's own fields (location, tags, properties) from a PUT body."""

    def replace(self, backend: Backend, record: dict[str, Any], body: dict[str, Any]) -> None:
        """A PUT on an existing child: change what may change."""

    def update(self, backend: Backend, record: dict[str, Any], body: dict[str, Any]) -> None:
        """A PATCH."""

    def check_delete(self, registry: dict[str, Any], record: dict[str, Any]) -> None:
        """Refuse to delete what Azure keeps."""

    def implicit(self, registry: dict[str, Any], siblings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Children Azure creates by itself once the user made these (their own fields, as `create` returns)."""

    def builtin(self, registry: dict[str, Any]) -> list[dict[str, Any]]:
        """Children every registry has without anyone creating them (whole records, not stored)."""

    def observe(self, record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """What a read shows, and whether the read moved the record on (a status that progresses)."""

    def deleted(self, backend: Backend, record: dict[str, Any]) -> None:
        """The child is gone: drop what the family keeps beside it."""


class Rules:
    """The defaults most families share: a PUT on an existing child is a PATCH, anything may be deleted, nothing
    is implied, built in, progressing or kept beside."""

    def replace(self, backend: Backend, record: dict[str, Any], body: dict[str, Any]) -> None:
        self.update(backend, record, body)  # type: ignore[attr-defined]

    def check_delete(self, registry: dict[str, Any], record: dict[str, Any]) -> None:
        return None

    def implicit(self, registry: dict[str, Any], siblings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return []

    def builtin(self, registry: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    def observe(self, record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        return record, False

    def deleted(self, backend: Backend, record: dict[str, Any]) -> None:
        return None


class LocatedRules(Rules):
    """The defaults of families with a location, which a PUT may not change."""

    def replace(self, backend: Backend, record: dict[str, Any], body: dict[str, Any]) -> None:
        keep_location(record, body)
        self.update(backend, record, body)  # type: ignore[attr-defined]


def sibling_id(backend: Backend, family: Family, registry: dict[str, Any], value: Any, code: str) -> str:
    """The resource id of a child of `family` in the same registry (a token's scope map, a cache rule's
    credential set), as given; `code` (with value and registry) when it names none."""
    pattern = (r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ContainerRegistry/registries/"
               rf"(?P<registry>[^/]+)/{family.segment}/(?P<name>[^/]+)$")
    found = re.match(pattern, value, re.IGNORECASE) if isinstance(value, str) else None
    if (found is None or found["registry"].lower() != registry["name"].lower()
            or backend.children.find(family, registry, found["name"]) is None):
        raise DomainError(code, value=value, registry=registry["name"])
    return value


def check_limit(backend: Backend, usage: str, registry: dict[str, Any], count: int, code: str) -> None:
    """A registry holds at most its SKU's number (the listUsages row `usage`) of a family's children."""
    limit = backend.limit(usage, registry["sku"])
    if count >= limit:
        raise DomainError(code, limit=limit, sku=registry["sku"])


@dataclass(frozen=True)
class Family:
    segment: str  # the path segment under a registry: replications
    type_name: str  # Microsoft.ContainerRegistry/registries/replications
    name_pattern: re.Pattern[str]
    rules: FamilyRules
    delete_accepted: bool = False  # DELETE answers 202 + Location (as Azure, for some families), else 200
    patchable: bool = True  # the swagger has a PATCH (private endpoint connections have none)

    @property
    def kind(self) -> str:
        return f"child.{self.segment}"


# ARM's limits on tags: 50 pairs, names of at most 512 characters without these, values of at most 256.
TAG_LIMIT, TAG_NAME_LIMIT, TAG_VALUE_LIMIT = 50, 512, 256
TAG_NAME_RESERVED = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")


def resource_tags(value: Any) -> dict[str, str]:
    """An ARM resource's `tags`, held to ARM's own rules."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise DomainError("InvalidTags")
    if len(value) > TAG_LIMIT:
        raise DomainError("InvalidTagsCount", count=len(value))
    reserved = [name for name in value if not name or TAG_NAME_RESERVED.search(name)]
    if reserved:
        raise DomainError("InvalidTagNameCharacters", names=",".join(reserved))
    for name, item in value.items():
        if len(name) > TAG_NAME_LIMIT:
            raise DomainError("InvalidTagNameLength", name=name[:32] + "…")
        if len(item) > TAG_VALUE_LIMIT:
            raise DomainError("InvalidTagValueLength", name=name)
    return dict(value)


def enum_value(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    """The allowed spelling of a value, matched case-insensitively as Azure does."""
    match = next((a for a in allowed if isinstance(value, str) and a.lower() == value.lower()), None)
    if match is None:
        raise DomainError("InvalidEnumValue", field=field, value=value, allowed=allowed)
    return match


def optional(doc: dict[str, Any], key: str, kind: type, default: Any, where: str = "") -> Any:
    """An optional field: its default when absent or null (as Json.NET reads null), else a value of `kind`."""
    value = doc.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DomainError("InvalidRequestContent", detail=f"'{where}{key}' must be a {_KIND_NAMES[kind]}")
    return value


_KIND_NAMES = {str: "string", list: "list", dict: "object", int: "whole number", bool: "boolean"}


def body_properties(body: dict[str, Any]) -> dict[str, Any]:
    """A body's `properties` object (empty when absent)."""
    props = body.get("properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise DomainError("InvalidRequestContent", detail="'properties' must be an object")
    return props


def keep_location(record: dict[str, Any], body: dict[str, Any]) -> None:
    """A PUT on an existing located child may not move it."""
    from acr_fidelity.registry.locations import normalize_location

    given = body.get("location")
    if isinstance(given, str) and normalize_location(given) != record["location"]:
        raise DomainError("InvalidResourceLocation", name=record["name"], existing=record["location"],
                          resourceGroup=record["resourceGroup"], requested=given)


def _check_name(family: Family, name: str) -> None:
    """A name the family can never hold is a 400 for a write or a delete (a read of it is simply not found)."""
    if not family.name_pattern.match(name):
        raise DomainError("InvalidChildResourceName", type=family.segment, name=name,
                          pattern=family.name_pattern.pattern)


def child_id(family: Family, record: dict[str, Any]) -> str:
    return (f"/subscriptions/{record['subscriptionId']}/resourceGroups/{record['resourceGroup']}/providers/"
            f"Microsoft.ContainerRegistry/registries/{record['registry']}/{family.segment}/{record['name']}")


def _stamp(record: dict[str, Any], who: str, kind: str, now: datetime, created: bool) -> None:
    from acr_fidelity.registry.models import azure_time

    fields = ("lastModifiedAt", "lastModifiedBy", "lastModifiedByType")
    if created:
        fields = ("createdAt", "createdBy", "createdByType", *fields)
    values = {"At": azure_time(now), "By": who, "ByType": kind}
    for name in fields:
        record[name] = values[name.removeprefix("created").removeprefix("lastModified")]


class Children:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.store = backend.store

    def _registry(self, subscription_id: str, resource_group: str, registry: str) -> dict[str, Any]:
        return self.backend.get_registry(subscription_id, resource_group, registry)

    def _key(self, registry: dict[str, Any], name: str) -> str:
        return f"{registry['name']}/{name}".lower()

    @staticmethod
    def key(record: dict[str, Any]) -> str:
        """A child's key in the store (its family's kind): `{registry}/{name}`, lower-case."""
        return f"{record['registry']}/{record['name']}".lower()

    def of(self, family: Family, registry: dict[str, Any]) -> list[dict[str, Any]]:
        """A registry's children of one family (the built-in ones first), in name order."""
        prefix = registry["name"].lower() + "/"
        return [*family.rules.builtin(registry), *self.store.under(family.kind, prefix)]

    def _observe(self, family: Family, record: dict[str, Any]) -> dict[str, Any]:
        shown, changed = family.rules.observe(record)
        if changed:
            self.store.put(family.kind, self._key({"name": record["registry"]}, record["name"]), record)
        return shown

    def page(self, family: Family, subscription_id: str, resource_group: str, registry: str, after: str,
             limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a registry's children in key order after `after`, the built-in ones among them, and where
        the next page starts."""
        parent = self._registry(subscription_id, resource_group, registry)
        stored, more = self.store.page(family.kind, parent["name"].lower() + "/", after, limit)
        builtin = [b for b in family.rules.builtin(parent)  # only those before the stored page's end
                   if self._key(parent, b["name"]) > after and (more is None or self._key(parent, b["name"]) <= more)]
        merged = sorted([*stored, *builtin], key=lambda record: self._key(parent, record["name"]))
        shown = merged[:limit]
        following = self._key(parent, shown[-1]["name"]) if shown and (len(merged) > limit or more) else None
        return [self._observe(family, record) for record in shown], following

    def get(self, family: Family, subscription_id: str, resource_group: str, registry: str,
            name: str) -> dict[str, Any]:
        return self._observe(family, self._stored(family, subscription_id, resource_group, registry, name))

    def find(self, family: Family, parent: dict[str, Any], name: str) -> dict[str, Any] | None:
        """A registry's child of that name, stored or built in."""
        return self.store.get(family.kind, self._key(parent, name)) or next(
            (b for b in family.rules.builtin(parent) if b["name"].lower() == name.lower()), None)

    def _stored(self, family: Family, subscription_id: str, resource_group: str, registry: str,
                name: str) -> dict[str, Any]:
        parent = self._registry(subscription_id, resource_group, registry)
        record = self.find(family, parent, name)
        if record is None:
            raise DomainError("ChildResourceNotFound", resource=f"Microsoft.ContainerRegistry/registries/"
                              f"{parent['name']}/{family.segment}/{name}", resourceGroup=resource_group)
        return record

    def put(self, family: Family, subscription_id: str, resource_group: str, registry: str, name: str,
            body: Any, caller: Caller) -> tuple[dict[str, Any], bool]:
        """Create or replace; the record and whether it was created."""
        if not isinstance(body, dict):
            raise DomainError("InvalidRequestContent", detail="the body must be a JSON object")
        parent = self._registry(subscription_id, resource_group, registry)
        _check_name(family, name)
        now = datetime.now(UTC)
        with self.store.transaction():
            existing = self.store.get(family.kind, self._key(parent, name))
            if existing is not None:
                family.rules.replace(self.backend, existing, body)
                _stamp(existing, caller.name, caller.kind, now, created=False)
                self.store.put(family.kind, self._key(parent, name), existing)
                return existing, False
            siblings = self.of(family, parent)
            record = self._new(parent, name, family.rules.create(self.backend, parent, name, body, siblings),
                               caller.name, caller.kind, now)
            self.store.put(family.kind, self._key(parent, name), record)
            for implied in family.rules.implicit(parent, [*siblings, record]):
                key = self._key(parent, implied["name"])
                if self.store.get(family.kind, key) is None:
                    self.store.put(family.kind, key, self._new(parent, implied["name"], implied, AZURE_APP,
                                                               "Application", now))
        return record, True

    @staticmethod
    def _new(parent: dict[str, Any], name: str, fields: dict[str, Any], who: str, kind: str,
             now: datetime) -> dict[str, Any]:
        record = {"name": name, "registry": parent["name"], "subscriptionId": parent["subscriptionId"],
                  "resourceGroup": parent["resourceGroup"], "tags": {}, "provisioningState": "Succeeded",
                  **{k: v for k, v in fields.items() if k != "name"}}
        _stamp(record, who, kind, now, created=True)
        return record

    def update(self, family: Family, subscription_id: str, resource_group: str, registry: str, name: str,
               body: Any, caller: Caller) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise DomainError("InvalidRequestContent", detail="the body must be a JSON object")
        record = self._stored(family, subscription_id, resource_group, registry, name)
        family.rules.update(self.backend, record, body)
        _stamp(record, caller.name, caller.kind, datetime.now(UTC), created=False)
        self.store.put(family.kind, self._key({"name": record["registry"]}, name), record)
        return record

    def delete(self, family: Family, subscription_id: str, resource_group: str, registry: str, name: str) -> bool:
        """False when there was nothing to delete."""
        parent = self._registry(subscription_id, resource_group, registry)
        _check_name(family, name)
        record = self.find(family, parent, name)
        if record is None:
            return False
        family.rules.check_delete(parent, record)
        family.rules.deleted(self.backend, record)
        return self.store.delete(family.kind, self._key(parent, name))

    def forget_registry(self, families: tuple[Family, ...], registry_name: str) -> None:
        """A deleted registry takes its children with it."""
        for family in families:
            for record in self.store.under(family.kind, registry_name.lower() + "/"):
                family.rules.deleted(self.backend, record)
                self.store.delete(family.kind, self.key(record))


# Who Azure names in systemData for children it creates itself (the home replication), as recorded.
AZURE_APP = "6a0ec4d3-30cb-4a83-91c0-ae56bc0e3d26"
