"""Repositories, tags and manifests described as ACR's `/acr/v1/` API shows them: storage's listing (tags, digests,
times) joined with what each manifest says (size, platform, media types) and the changeable attributes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tornado import httputil
from tornado.ioloop import IOLoop

from acr_fidelity.dataplane.mediatypes import ACCEPT, INDEX_TYPES
from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.frontdoor.upstream import Address, fetch
from acr_fidelity.registry.models import azure_time
from acr_fidelity.registry.repositories import Repositories, item_key

FACTS_CACHE = 10_000  # manifests are content-addressed: what one says never changes
# What ACR's manifest attributes show of a manifest's facts (the others serve the referrers API).
ACR_FACTS = ("mediaType", "imageSize", "configMediaType", "architecture", "os", "references")


def _time(stat: str) -> str:
    """stat's %y (`2026-12-02 01:11:38.614594121 +0000`) as ACR writes times (`2026-12-02T01:11:38.6145941Z`)."""
    moment, _, _ = stat.strip().rpartition(" ")
    seconds, _, fraction = moment.partition(".")
    parsed = datetime.strptime(seconds, "%Y-%m-%d %H:%M:%S").replace(microsecond=int((fraction + "000000")[:6]))
    return azure_time(parsed, zulu=True)


@dataclass
class Tag:
    name: str
    digest: str
    created: str
    updated: str


@dataclass
class Listing:
    created: str
    tags: list[Tag] = field(default_factory=list)
    manifests: dict[str, str] = field(default_factory=dict)  # digest -> when it was linked

    @property
    def updated(self) -> str:
        return max([self.created, *(t.updated for t in self.tags), *self.manifests.values()])

    def tags_of(self, digest: str) -> list[str]:
        return sorted(t.name for t in self.tags if t.digest == digest)


def parse_listing(lines: list[list[str]]) -> Listing:
    listing = Listing(created="")
    for fields in lines:
        if fields[0] == "R":
            listing.created = _time(fields[1])
        elif fields[0] == "T" and len(fields) == 5:
            listing.tags.append(Tag(fields[1], fields[2], _time(fields[3]), _time(fields[4])))
        elif fields[0] == "M" and len(fields) == 3:
            listing.manifests[fields[1]] = _time(fields[2])
    return listing


class Describer:
    def __init__(self, dataplane: Any, repositories: Repositories) -> None:
        self.dataplane = dataplane
        self.repositories = repositories
        self._facts: dict[str, dict[str, Any]] = {}

    async def listing(self, registry: str, repository: str) -> Listing:
        lines = await IOLoop.current().run_in_executor(None, self.dataplane.repository_listing, registry, repository)
        if lines is None:
            raise RegistryError("NAME_UNKNOWN", f"repository {repository!r} is not known to registry {registry!r}",
                                detail={"name": repository})
        return parse_listing(lines)

    async def facts(self, backend: Address, backend_repository: str, digest: str) -> dict[str, Any]:
        """What a manifest says of itself: media types, total size, platform, or its children for an index; and
        as a descriptor: its own size, artifact type, annotations and the subject it refers to."""
        if digest in self._facts:
            return self._facts[digest]
        headers = httputil.HTTPHeaders({"Accept": ACCEPT})
        status, _, body = await fetch(backend, "GET", f"/v2/{backend_repository}/manifests/{digest}", headers)
        if status != 200:
            raise RegistryError("MANIFEST_UNKNOWN", f"manifest {digest} is not in the repository",
                                detail={"digest": digest})
        manifest = json.loads(body)
        media_type = manifest.get("mediaType") or ("application/vnd.oci.image.index.v1+json"
                                                   if "manifests" in manifest else
                                                   "application/vnd.oci.image.manifest.v1+json")
        config = manifest.get("config") or {}
        facts: dict[str, Any] = {"mediaType": media_type, "size": len(body),
                                 "artifactType": manifest.get("artifactType") or config.get("mediaType"),
                                 "annotations": manifest.get("annotations"),
                                 "subject": (manifest.get("subject") or {}).get("digest")}
        if media_type in INDEX_TYPES or "manifests" in manifest:
            facts["imageSize"] = len(body)
            facts["references"] = [{"digest": child.get("digest"),
                                    "architecture": (child.get("platform") or {}).get("architecture"),
                                    "os": (child.get("platform") or {}).get("os")}
                                   for child in manifest.get("manifests") or []]
        else:
            facts["imageSize"] = len(body) + int(config.get("size") or 0) + sum(
                int(layer.get("size") or 0) for layer in manifest.get("layers") or [])
            facts["configMediaType"] = config.get("mediaType")
            platform = await self._platform(backend, backend_repository, config)
            facts.update(platform)
        if len(self._facts) >= FACTS_CACHE:
            self._facts.pop(next(iter(self._facts)))
        self._facts[digest] = facts
        return facts

    @staticmethod
    async def _platform(backend: Address, backend_repository: str, config: dict[str, Any]) -> dict[str, str]:
        """architecture and os from an image config; artifacts whose config is not an image's have none."""
        if not str(config.get("mediaType", "")).endswith(("container.image.v1+json", "image.config.v1+json")):
            return {}
        status, _, body = await fetch(backend, "GET", f"/v2/{backend_repository}/blobs/{config.get('digest')}")
        try:
            document = json.loads(body) if status == 200 else {}
        except ValueError:
            return {}
        return {key: document[key] for key in ("architecture", "os") if isinstance(document.get(key), str)}

    # ---- documents ------------------------------------------------------------------------------------------------

    def repository(self, login_server: str, registry: str, repository: str, listing: Listing) -> dict[str, Any]:
        return {"registry": login_server, "imageName": repository, "createdTime": listing.created,
                "lastUpdateTime": listing.updated, "manifestCount": len(listing.manifests),
                "tagCount": len(listing.tags),
                "changeableAttributes": self.repositories.attributes(item_key(registry, repository))}

    def tag(self, registry: str, repository: str, tag: Tag) -> dict[str, Any]:
        return {"name": tag.name, "digest": tag.digest, "createdTime": tag.created, "lastUpdateTime": tag.updated,
                "signed": False,
                "changeableAttributes": self.repositories.attributes(item_key(registry, repository, tag=tag.name))}

    async def manifest(self, backend: Address, registry: str, repository: str, listing: Listing,
                       digest: str) -> dict[str, Any]:
        facts = await self.facts(backend, f"{registry}/{repository}", digest)
        linked = listing.manifests.get(digest, listing.created)
        document: dict[str, Any] = {"digest": digest, **{k: facts[k] for k in ACR_FACTS if k in facts},
                                    "createdTime": linked, "lastUpdateTime": linked}
        tags = listing.tags_of(digest)
        if tags:
            document["tags"] = tags
        document["changeableAttributes"] = self.repositories.attributes(
            item_key(registry, repository, digest=digest))
        return document
