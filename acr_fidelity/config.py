"""Every setting of the emulator, read in one place.

Precedence, lowest first: built-in defaults, the YAML file (`--config`), environment variables, command-line flags.
The ACR keys and variables are those of floci-az's ACR service, so its configurations work here unchanged:

    floci-az:
      services:
        acr: {enabled, mocked, default-image, base-port, max-port}
    acr-fidelity: {host, port, state-dir, require-auth, page-size, max-body-bytes, http, https, hostname,
                   config-dir, tls: {cert-file, key-file}, identity: {verify-tokens, service-principals}, ...,
                   acr: {login-host, login-style, namespace, keep-container, health-interval, network, auth}}
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A setting has a value of the wrong kind; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"  # loopback unless asked: authentication is off by default
    port: int = 4577
    state_dir: Path | None = None
    # floci-az compatible ACR service settings
    acr_enabled: bool = True
    acr_mocked: bool = False
    acr_default_image: str = "registry:2"
    acr_base_port: int = 5000
    acr_max_port: int = 5099
    # Docker data plane: the host in each loginServer, the label that keeps several emulators' containers apart,
    # whether shutdown leaves the registry container running, and how often (seconds) it is checked.
    acr_login_host: str = "localhost"
    acr_namespace: str = "default"
    acr_keep_container: bool = True
    acr_health_interval: int = 5
    # How the container is networked: bridge (a published port), host (the registry binds the port itself: for
    # engines started without a bridge), or auto (host when the engine has no bridge network).
    acr_network: str = "auto"
    # Data-plane auth: anonymous (no credentials needed; credentials given must be right) or enforced (Azure's:
    # every request needs a token that covers it).
    acr_auth: str = "anonymous"
    # loginServer: path-style `{login-host}:{port}/{name}` (one host for every registry) or host-style
    # `{name}.{login-host}:{port}` (a host per registry: docker keeps a credential per host).
    acr_login_style: str = "path"
    # What the emulator reads for Key Vault secret identifiers (credential sets of pull-through caching).
    acr_secrets: dict[str, str] = field(default_factory=dict)
    # ARM behaviour
    require_auth: bool = True
    page_size: int = 100
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    tenant_id: str = "00000000-0000-0000-0000-000000000000"
    max_body_bytes: int = 4 * 1024 * 1024
    # floci-az compatibility (a migration aid, off as in Azure): a registry PUT into a missing group creates it.
    arm_auto_create_resource_groups: bool = False
    # TLS and identity: both protocols share the port; the certificate goes into config_dir (or state_dir)
    # unless tls_cert_file/tls_key_file name the user's own. hostname joins localhost in its names.
    http_enabled: bool = True
    https_enabled: bool = True
    hostname: str = "localhost"
    config_dir: Path = Path("~/.config/acr-fidelity").expanduser()
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    verify_tokens: bool = False
    # Registered service principals (tenant, client-id, secret); when there are none, any client is accepted.
    service_principals: tuple[dict[str, str], ...] = ()
    config_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def certificate_names(self) -> list[str]:
        """Host names the certificate covers beside localhost: the emulator's, and the data plane's login servers
        (host-style ones under a wildcard)."""
        return [self.hostname, self.acr_login_host, f"*.{self.acr_login_host}"]

    @property
    def keys_dir(self) -> Path:
        """Where the certificate and the token-signing key live: with the state, else in the config directory."""
        return self.state_dir or self.config_dir

    def describe(self) -> list[tuple[str, Any, str]]:
        """(name, value, where it came from) for `acr-fidelity config`."""
        rows = []
        for f in dataclasses.fields(self):
            if f.name == "sources":
                continue
            rows.append((f.name, getattr(self, f.name), self.sources.get(f.name, "default")))
        return rows


# setting name -> (YAML path, environment variable)
_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "host": (("acr-fidelity", "host"), "ACR_FIDELITY_HOST"),
    "port": (("acr-fidelity", "port"), "ACR_FIDELITY_PORT"),
    "state_dir": (("acr-fidelity", "state-dir"), "ACR_FIDELITY_STATE_DIR"),
    "acr_enabled": (("floci-az", "services", "acr", "enabled"), "FLOCI_AZ_SERVICES_ACR_ENABLED"),
    "acr_mocked": (("floci-az", "services", "acr", "mocked"), "FLOCI_AZ_SERVICES_ACR_MOCKED"),
    "acr_default_image": (("floci-az", "services", "acr", "default-image"), "FLOCI_AZ_SERVICES_ACR_DEFAULT_IMAGE"),
    "acr_base_port": (("floci-az", "services", "acr", "base-port"), "FLOCI_AZ_SERVICES_ACR_BASE_PORT"),
    "acr_max_port": (("floci-az", "services", "acr", "max-port"), "FLOCI_AZ_SERVICES_ACR_MAX_PORT"),
    "acr_login_host": (("acr-fidelity", "acr", "login-host"), "ACR_FIDELITY_ACR_LOGIN_HOST"),
    "acr_namespace": (("acr-fidelity", "acr", "namespace"), "ACR_FIDELITY_ACR_NAMESPACE"),
    "acr_keep_container": (("acr-fidelity", "acr", "keep-container"), "ACR_FIDELITY_ACR_KEEP_CONTAINER"),
    "acr_health_interval": (("acr-fidelity", "acr", "health-interval"), "ACR_FIDELITY_ACR_HEALTH_INTERVAL"),
    "acr_network": (("acr-fidelity", "acr", "network"), "ACR_FIDELITY_ACR_NETWORK"),
    "acr_auth": (("acr-fidelity", "acr", "auth"), "ACR_FIDELITY_ACR_AUTH"),
    "acr_login_style": (("acr-fidelity", "acr", "login-style"), "ACR_FIDELITY_ACR_LOGIN_STYLE"),
    "acr_secrets": (("acr-fidelity", "acr", "secrets"), "ACR_FIDELITY_ACR_SECRETS"),
    "require_auth": (("acr-fidelity", "require-auth"), "ACR_FIDELITY_REQUIRE_AUTH"),
    "http_enabled": (("acr-fidelity", "http"), "ACR_FIDELITY_HTTP"),
    "https_enabled": (("acr-fidelity", "https"), "ACR_FIDELITY_HTTPS"),
    "hostname": (("acr-fidelity", "hostname"), "ACR_FIDELITY_HOSTNAME"),
    "config_dir": (("acr-fidelity", "config-dir"), "ACR_FIDELITY_CONFIG_DIR"),
    "tls_cert_file": (("acr-fidelity", "tls", "cert-file"), "ACR_FIDELITY_TLS_CERT_FILE"),
    "tls_key_file": (("acr-fidelity", "tls", "key-file"), "ACR_FIDELITY_TLS_KEY_FILE"),
    "verify_tokens": (("acr-fidelity", "identity", "verify-tokens"), "ACR_FIDELITY_VERIFY_TOKENS"),
    "arm_auto_create_resource_groups": (("acr-fidelity", "arm", "auto-create-resource-groups"),
                                        "ACR_FIDELITY_ARM_AUTO_CREATE_RESOURCE_GROUPS"),
    "service_principals": (("acr-fidelity", "identity", "service-principals"), "ACR_FIDELITY_SERVICE_PRINCIPALS"),
    "page_size": (("acr-fidelity", "page-size"), "ACR_FIDELITY_PAGE_SIZE"),
    "max_body_bytes": (("acr-fidelity", "max-body-bytes"), "ACR_FIDELITY_MAX_BODY_BYTES"),
    "subscription_id": (("acr-fidelity", "subscription-id"), "ACR_FIDELITY_SUBSCRIPTION_ID"),
    "tenant_id": (("acr-fidelity", "tenant-id"), "ACR_FIDELITY_TENANT_ID"),
}

_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = _TYPES[name]
    if value is None:
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    if kind == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
    if kind in ("Path | None", "Path"):
        return Path(str(value)).expanduser()
    if kind == "tuple[dict[str, str], ...]":
        return _principals(name, value)
    if kind == "dict[str, str]":
        return _string_map(name, value)
    return str(value)


def _string_map(name: str, value: Any) -> dict[str, str]:
    """A mapping of strings; from the environment as a JSON object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(f"{name}: expected a JSON object of strings") from None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ConfigError(f"{name}: expected a mapping of strings to strings")
    return dict(value)


def _principals(name: str, value: Any) -> tuple[dict[str, str], ...]:
    """A list of {tenant, client-id, secret}; from the environment as JSON."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(f"{name}: expected a JSON list of {{tenant, client-id, secret}}") from None
    if not isinstance(value, list):
        raise ConfigError(f"{name}: expected a list of {{tenant, client-id, secret}}")
    out = []
    for item in value:
        if not isinstance(item, Mapping) or not all(isinstance(item.get(k), str) for k in
                                                    ("tenant", "client-id", "secret")):
            raise ConfigError(f"{name}: each entry needs string tenant, client-id and secret")
        out.append({"tenant": item["tenant"], "client-id": item["client-id"], "secret": item["secret"]})
    return tuple(out)


def _dig(doc: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = doc
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def load_settings(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the one Settings object; `overrides` are command-line values (None means not given)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    doc: Mapping[str, Any] = {}
    if config_file is not None:
        path = Path(config_file)
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        if not isinstance(doc, Mapping):
            raise ConfigError(f"config file {path}: expected a mapping at the top level")
        values["config_file"] = path
        sources["config_file"] = "--config"
    for name, (yaml_path, env_name) in _KEYS.items():
        from_file = _dig(doc, yaml_path)
        if from_file is not None:
            values[name] = _coerce(name, from_file)
            sources[name] = f"file {'.'.join(yaml_path)}"
        if env.get(env_name, "") != "":
            values[name] = _coerce(name, env[env_name])
            sources[name] = f"env {env_name}"
        if overrides and overrides.get(name) is not None:
            values[name] = _coerce(name, overrides[name])
            sources[name] = "command line"
    settings = Settings(**values, sources=sources)
    if settings.acr_base_port > settings.acr_max_port:
        raise ConfigError("acr_base_port must not be above acr_max_port")
    if settings.acr_network not in ("auto", "bridge", "host"):
        raise ConfigError("acr_network: auto, bridge or host")
    if settings.acr_auth not in ("anonymous", "enforced"):
        raise ConfigError("acr_auth: anonymous or enforced")
    if settings.acr_login_style not in ("path", "host"):
        raise ConfigError("acr_login_style: path or host")
    if settings.acr_health_interval < 1:
        raise ConfigError("acr_health_interval must be at least 1 second")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", settings.acr_namespace):
        raise ConfigError("acr_namespace: lower-case letters, digits, '.', '_' and '-' (it names Docker objects)")
    if not (settings.http_enabled or settings.https_enabled):
        raise ConfigError("http and https cannot both be off")
    if (settings.tls_cert_file is None) != (settings.tls_key_file is None):
        raise ConfigError("tls cert-file and key-file go together")
    if settings.page_size < 1:
        raise ConfigError("page_size must be at least 1")
    return settings
