"""The declarative comparison rules (rules.yaml): loading, merging, path globs and the named checks."""

from __future__ import annotations

import fnmatch
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

KINDS = ("volatile", "deviation")

_ISO8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$"
)


class RulesError(ValueError):
    """A rules file is malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    reason: str
    paths: tuple[str, ...]
    check: str
    operations: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # cassette ids (fnmatch globs) the rule is for: a rule about one recording's quirk excuses nothing elsewhere
    cassettes: tuple[str, ...] = ()

    def applies_to(self, path: Sequence[Any], operation_id: str | None, cassette: str | None = None) -> bool:
        if self.operations and operation_id not in self.operations:
            return False
        if self.cassettes and not (cassette and any(fnmatch.fnmatchcase(cassette, c) for c in self.cassettes)):
            return False
        return any(glob_match(p, path) for p in self.paths)

    def passes(self, recorded: Any, replayed: Any) -> bool:
        return CHECKS[self.check](self, recorded, replayed)


# --- checks: a named registry, so a rules file can only name checks that exist -------------------------------------

Check = Callable[[Rule, Any, Any], bool]
CHECKS: dict[str, Check] = {}


def register_check(name: str) -> Callable[[Check], Check]:
    def wrap(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return wrap


def _both_str(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str)


@register_check("iso8601")
def _iso8601(rule: Rule, a: Any, b: Any) -> bool:
    return _both_str(a, b) and bool(_ISO8601.match(a)) and bool(_ISO8601.match(b))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@register_check("uuid")
def _uuid(rule: Rule, a: Any, b: Any) -> bool:
    return _both_str(a, b) and _is_uuid(a) and _is_uuid(b)


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@register_check("url")
def _url(rule: Rule, a: Any, b: Any) -> bool:
    return _both_str(a, b) and _is_url(a) and _is_url(b)


@register_check("any-string")
def _any_string(rule: Rule, a: Any, b: Any) -> bool:
    return _both_str(a, b) and a != "" and b != ""


MASK = re.compile(r"^\*+$")


@register_check("same-length-alphabet")
def _same_length_alphabet(rule: Rule, a: Any, b: Any) -> bool:
    """Same length and alphabet; a recording whose recorder masked the secret (`*****`) says neither."""
    if _both_str(a, b) and MASK.match(a):
        return bool(b)
    if not _both_str(a, b) or len(a) != len(b):
        return False
    made_of = re.compile(f"^{rule.options.get('alphabet', '.')}+$")
    return bool(made_of.match(a)) and bool(made_of.match(b))


@register_check("pattern")
def _pattern(rule: Rule, a: Any, b: Any) -> bool:
    if not _both_str(a, b):
        return False
    left = re.fullmatch(rule.options["recorded"], a)
    right = re.fullmatch(rule.options["replayed"], b)
    if left is None or right is None:
        return False
    shared = set(left.groupdict()) & set(right.groupdict())
    return all(left.group(name) == right.group(name) for name in shared if right.group(name) is not None)


@register_check("absent-in-recording")
def _absent_in_recording(rule: Rule, a: Any, b: Any) -> bool:
    """Azure's answer lacked the field (a is None: absent or null) where the emulator has one."""
    return a is None and b is not None


# --- path globs ------------------------------------------------------------------------------------------------------


def glob_match(pattern: str, path: Sequence[Any]) -> bool:
    """Match a dotted glob (`*` one segment, `**` any number) against a list of keys/indices."""
    return _match(pattern.split("."), [str(p) for p in path])


def _match(pat: list[str], segs: list[str]) -> bool:
    if not pat:
        return not segs
    head, rest = pat[0], pat[1:]
    if head == "**":
        return any(_match(rest, segs[i:]) for i in range(len(segs) + 1))
    if not segs:
        return False
    return (head == "*" or head == segs[0]) and _match(rest, segs[1:])


# --- loading ---------------------------------------------------------------------------------------------------------


@dataclass
class RuleSet:
    rules: list[Rule]
    sources: list[str]

    def find(self, path: Sequence[Any], operation_id: str | None, recorded: Any, replayed: Any,
             cassette: str | None = None) -> Rule | None:
        """The first rule that covers this path (in this operation and cassette) and whose check passes on both
        values."""
        for rule in self.rules:
            if rule.applies_to(path, operation_id, cassette) and rule.passes(recorded, replayed):
                return rule
        return None

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


def _parse(doc: Any, source: str) -> tuple[list[Rule], bool]:
    if doc is None:
        return [], False
    if not isinstance(doc, dict):
        raise RulesError(f"{source}: expected a mapping with `rules:`")
    rules = []
    for n, raw in enumerate(doc.get("rules") or []):
        where = f"{source}: rule #{n + 1}"
        if not isinstance(raw, dict) or "id" not in raw:
            raise RulesError(f"{where}: every rule needs an id")
        where = f"{source}: rule {raw['id']!r}"
        kind = raw.get("kind", "deviation")
        if kind not in KINDS:
            raise RulesError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        check = raw.get("check")
        if check not in CHECKS:
            raise RulesError(f"{where}: unknown check {check!r}; known checks: {', '.join(sorted(CHECKS))}")
        if not raw.get("reason"):
            raise RulesError(f"{where}: a rule needs a reason")
        paths = raw.get("paths") or []
        if not paths:
            raise RulesError(f"{where}: a rule needs at least one path")
        options = {k: raw[k] for k in ("alphabet", "recorded", "replayed") if k in raw}
        if check == "pattern" and not {"recorded", "replayed"} <= set(options):
            raise RulesError(f"{where}: check pattern needs `recorded` and `replayed` regexes")
        rules.append(Rule(str(raw["id"]), kind, str(raw["reason"]).strip(), tuple(str(p) for p in paths), check,
                          tuple(raw.get("operations") or ()), options, tuple(raw.get("cassettes") or ())))
    return rules, bool(doc.get("replace"))


BUILTIN = "acr_fidelity/harness/rules.yaml"


def load_rules(extra: Iterable[str | Path] = (), builtin: bool = True) -> RuleSet:
    """The package rules, then each user file in order: same id replaces, new ids append, `replace: true` resets."""
    merged: dict[str, Rule] = {}
    sources: list[str] = []
    if builtin:
        text = resources.files("acr_fidelity.harness").joinpath("rules.yaml").read_text()
        rules, _ = _parse(yaml.safe_load(text), BUILTIN)
        merged = {r.id: r for r in rules}
        sources.append(BUILTIN)
    for path in extra:
        path = Path(path)
        try:
            doc = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise RulesError(f"cannot read rules file {path}: {exc}") from exc
        rules, replace = _parse(doc, str(path))
        if replace:
            merged, sources = {}, []
        for rule in rules:
            merged[rule.id] = rule
        sources.append(str(path))
    return RuleSet(list(merged.values()), sources)
