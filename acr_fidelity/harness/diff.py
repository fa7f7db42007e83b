"""Compare one recorded response with its replay: status, JSON body (DeepDiff) and the LRO headers' presence."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from acr_fidelity.harness.cassette import parse_json
from acr_fidelity.harness.rules import RuleSet

LINK_HEADERS = ("Azure-AsyncOperation", "Location")
# Classes of an interaction. Scored ones enter the fidelity; skipped and unsupported only coverage.
MATCH, DEVIATION, LRO_SHAPE, GAP, ERROR, SKIPPED, UNSUPPORTED = (
    "match", "deviation", "lro-shape", "gap", "error", "skipped", "unsupported")
CLASSES = (MATCH, DEVIATION, LRO_SHAPE, GAP, ERROR, SKIPPED, UNSUPPORTED)
GOOD = (MATCH, DEVIATION, LRO_SHAPE)
SCORED = (MATCH, DEVIATION, LRO_SHAPE, GAP, ERROR)


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]  # one value per name; lookups are case-insensitive
    body: str

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def has_link(self) -> bool:
        return any(self.header(h) for h in LINK_HEADERS)


@dataclass
class Gap:
    path: str
    kind: str  # status | header | changed | type | added | removed | body
    recorded: Any
    replayed: Any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "recorded": self.recorded, "replayed": self.replayed}


@dataclass
class Outcome:
    cls: str
    gaps: list[Gap] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # ids of the rules that excused a difference, one per difference
    note: str = ""


def format_path(path: Iterable[Any]) -> str:
    """`properties.policies.retentionPolicy.days`, `value['/subscriptions/…'].name`, `passwords[0].value`."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif isinstance(seg, str) and seg.replace("_", "").replace("-", "").isalnum():
            out += f".{seg}" if out else seg
        else:
            out += f"[{seg!r}]"
    return out or "(body)"


def key_value_list(body: Any, keep: set[str] | None) -> Any:
    """A copy of `{"value": [...]}` with items keyed by lower-cased id (and, given `keep`, only those ids kept).

    List answers are compared item by item, whatever their order; the recording's lists also hold resources the
    recorder had from elsewhere, which a replay can never have.
    """
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        return body
    items = body["value"]
    if not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        return body  # an empty list is keyed too (as {}), so the other side's items count one by one
    out = copy.deepcopy(body)
    keyed: dict[str, Any] = {}
    for item in out["value"]:
        key = item["id"].lower()
        if keep is None or key in keep:
            keyed[key] = item
    out["value"] = keyed
    return out


def _without_equal(recorded: Any, replayed: Any) -> tuple[Any, Any]:
    """Both bodies without the object members they share unchanged (compared at C speed), so that DeepDiff walks
    only what differs; members that differ or exist on one side only stay where they were, so paths are kept."""
    if not (isinstance(recorded, dict) and isinstance(replayed, dict)):
        return recorded, replayed
    left, right = {}, {}
    for key in recorded.keys() | replayed.keys():
        if key in recorded and key in replayed:
            if recorded[key] == replayed[key]:
                continue
            left[key], right[key] = _without_equal(recorded[key], replayed[key])
        elif key in recorded:
            left[key] = recorded[key]
        else:
            right[key] = replayed[key]
    return left, right


def _is_lro_shape(recorded: Response, replayed: Response) -> bool:
    both_ok = 200 <= recorded.status < 300 and 200 <= replayed.status < 300
    return both_ok and recorded.status != replayed.status and (recorded.has_link() or replayed.has_link())


def compare(
    recorded: Response,
    replayed: Response,
    rules: RuleSet,
    operation_id: str | None = None,
    keep_ids: set[str] | None = None,
    cassette: str | None = None,
) -> Outcome:
    """Classify a replayed response against the recorded one; inputs are never modified."""
    gaps: list[Gap] = []
    applied: list[str] = []
    deviations = False
    lro_shape = _is_lro_shape(recorded, replayed)

    if recorded.status != replayed.status and not lro_shape:
        gaps.append(Gap("status", "status", recorded.status, replayed.status))
    if not lro_shape:
        # Azure's LRO headers must be there; headers Azure did not send are the emulator's business.
        for name in LINK_HEADERS:
            if recorded.header(name) and not replayed.header(name):
                gaps.append(Gap(f"headers.{name}", "header", "present", "absent"))

    rec_json, rec_body = parse_json(recorded.body)
    rep_json, rep_body = parse_json(replayed.body)
    if rec_json and rep_json:
        rec_body, rep_body = _without_equal(key_value_list(rec_body, keep_ids), key_value_list(rep_body, keep_ids))
        # threshold 0: always descend, so every gap has its exact path (DeepDiff 8+ otherwise reports whole dicts)
        diff = DeepDiff(rec_body, rep_body, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
        for report_type, levels in diff.items():
            for level in levels:
                path = level.path(output_format="list")
                before = None if level.t1 is notpresent else level.t1
                after = None if level.t2 is notpresent else level.t2
                if lro_shape and path[:2] in (["properties", "provisioningState"], ["properties", "status"]):
                    continue  # the same resource seen at another point of its creation (state, progress)
                if level.t2 is not notpresent:  # only the absent-in-recording check accepts a missing side
                    rule = rules.find(path, operation_id, before, after, cassette)
                    if rule is not None:
                        applied.append(rule.id)
                        deviations = deviations or rule.kind == "deviation"
                        continue
                kind = {"dictionary_item_added": "added", "iterable_item_added": "added",
                        "dictionary_item_removed": "removed", "iterable_item_removed": "removed",
                        "type_changes": "type"}.get(report_type, "changed")
                gaps.append(Gap(format_path(path), kind, _plain(before), _plain(after)))
    elif lro_shape and "" in (rec_body, rep_body):
        pass  # an accepted-now answer and a done-now answer need not both carry a body
    elif rec_body != rep_body:
        gaps.append(Gap("(body)", "body", _plain(rec_body), _plain(rep_body)))

    if gaps:
        cls = GAP
    elif lro_shape:
        cls = LRO_SHAPE
    elif deviations:
        cls = DEVIATION
    else:
        cls = MATCH
    note = f"recorded {recorded.status}, emulator {replayed.status}" if lro_shape else ""
    return Outcome(cls, sorted(gaps, key=lambda g: g.path), sorted(applied), note)


def _plain(value: Any) -> Any:
    """Values as JSON can carry them (DeepDiff hands back the originals)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)
