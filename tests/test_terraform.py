"""Terraform's azurerm provider applies, reads back without drift and destroys a container registry against the
emulator, over HTTPS, signed in at the emulated Entra ID with a client secret.

Terraform and the provider are built from their Go modules by scripts/build-terraform (tox env `terraform` runs it;
it caches its build). Skipped without them, except in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from acr_fidelity.server import RunningServer
from tests.conftest import SUBSCRIPTION, reg_path, start, trust_bundle_for

CACHE = Path(os.environ.get("ACR_FIDELITY_TF_CACHE", "/opt/acr-fidelity-tf"))
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"

MAIN_TF = """
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "%(version)s" }
  }
}

provider "azurerm" {
  features {}
  metadata_host                   = "localhost:%(port)d"
  subscription_id                 = "%(subscription)s"
  tenant_id                       = "%(tenant)s"
  client_id                       = "terraform-app"
  client_secret                   = "terraform-secret"
  resource_provider_registrations = "none"
}

resource "azurerm_resource_group" "group" {
  name     = "tfgroup"
  location = "westus"
}
"""

REGISTRY_TF = """
resource "azurerm_container_registry" "registry" {
  name                = "tfregistry01"
  resource_group_name = azurerm_resource_group.group.name
  location            = azurerm_resource_group.group.location
  sku                 = "Premium"
  admin_enabled       = true
  tags                = { env = "test" }
}

output "login_server" {
  value = azurerm_container_registry.registry.login_server
}
"""


def _provider_version() -> str:
    versions = sorted((CACHE / "mirror" / "registry.terraform.io" / "hashicorp" / "azurerm").glob("*"))
    return versions[-1].name


def _terraform() -> Path:
    terraform = CACHE / "bin" / "terraform"
    if not terraform.exists() or not (CACHE / "terraformrc").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{terraform} is missing: run scripts/build-terraform (tox -e terraform does)")
        pytest.skip("terraform and the azurerm provider are not built (scripts/build-terraform)")
    return terraform


def _runner(terraform: Path, server: RunningServer, workdir: Path, config: str) -> Callable[..., Any]:
    """Write main.tf (the provider block and `config`) and return a function that runs terraform there."""
    port = int(server.url.rsplit(":", 1)[1])
    (workdir / "main.tf").write_text(MAIN_TF % {"version": _provider_version(), "port": port,
                                                 "subscription": SUBSCRIPTION, "tenant": TENANT} + config)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(CACHE / "terraformrc"), "TF_IN_AUTOMATION": "1",
           "SSL_CERT_FILE": str(trust_bundle_for(server)),  # Go reads its extra roots from here
           "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}

    def tf(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(terraform), *args], cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == expect, f"terraform {' '.join(args)} -> {done.returncode}\n{done.stdout}\n" \
                                          f"{done.stderr}"
        return done

    return tf


def test_terraform_apply_plan_destroy(tmp_path: Path) -> None:
    terraform = _terraform()
    with start() as server:
        tf = _runner(terraform, server, tmp_path, REGISTRY_TF)
        tf("init", "-no-color")
        tf("apply", "-auto-approve", "-no-color")
        outputs = json.loads(tf("output", "-json").stdout)
        assert outputs["login_server"]["value"] == "tfregistry01.azurecr.io"
        registry = requests.get(server.url + f"/subscriptions/{SUBSCRIPTION}" + reg_path("tfgroup", "tfregistry01"),
                                params={"api-version": "2025-11-01"}, headers={"Authorization": "Bearer t"},
                                timeout=10).json()
        assert registry["sku"]["name"] == "Premium" and registry["tags"] == {"env": "test"}
        assert registry["properties"]["adminUserEnabled"] is True
        assert registry["systemData"]["createdBy"] == "terraform-app"
        # Read back: nothing drifted (exit code 0 means no changes)
        tf("plan", "-detailed-exitcode", "-no-color")
        tf("destroy", "-auto-approve", "-no-color")
        gone = requests.get(server.url + f"/subscriptions/{SUBSCRIPTION}/resourcegroups/tfgroup",
                            params={"api-version": "2021-04-01"}, headers={"Authorization": "Bearer t"}, timeout=10)
        assert gone.status_code == 404
    shutil.rmtree(tmp_path / ".terraform", ignore_errors=True)


CHILDREN_TF = """
resource "azurerm_container_registry" "geo" {
  name                = "tfgeoreg01"
  resource_group_name = azurerm_resource_group.group.name
  location            = azurerm_resource_group.group.location
  sku                 = "Premium"
  georeplications {
    location                         = "eastus"
    global_endpoint_routing_enabled  = true
    tags                             = {}
  }
}

resource "azurerm_container_registry_webhook" "hook" {
  name                = "tfhook01"
  resource_group_name = azurerm_resource_group.group.name
  registry_name       = azurerm_container_registry.geo.name
  location            = azurerm_resource_group.group.location
  service_uri         = "http://127.0.0.1:9/hook"
  status              = "enabled"
  scope               = "app:*"
  actions             = ["push"]
  custom_headers      = { "X-Team" = "a" }
}

resource "azurerm_container_registry_scope_map" "map" {
  name                    = "tfmap01"
  container_registry_name = azurerm_container_registry.geo.name
  resource_group_name     = azurerm_resource_group.group.name
  actions                 = ["repositories/app/content/read", "repositories/app/metadata/read"]
}

resource "azurerm_container_registry_token" "token" {
  name                    = "tftoken01"
  container_registry_name = azurerm_container_registry.geo.name
  resource_group_name     = azurerm_resource_group.group.name
  scope_map_id            = azurerm_container_registry_scope_map.map.id
}

resource "azurerm_container_registry_token_password" "password" {
  container_registry_token_id = azurerm_container_registry_token.token.id
  password1 {
    expiry = "2030-01-01T00:00:00Z"
  }
}

resource "azurerm_container_registry_cache_rule" "cache" {
  name                  = "tfcache01"
  container_registry_id = azurerm_container_registry.geo.id
  source_repo           = "docker.io/library/hello-world"
  target_repo           = "hub/hello-world"
}
"""


def test_terraform_child_resources(tmp_path: Path) -> None:
    """georeplications, webhook, scope map, token, token password and cache rule: apply, plan without drift,
    destroy."""
    terraform = _terraform()
    with start() as server:
        tf = _runner(terraform, server, tmp_path, CHILDREN_TF)
        tf("init", "-no-color")
        tf("apply", "-auto-approve", "-no-color")
        base = server.url + f"/subscriptions/{SUBSCRIPTION}" + reg_path("tfgroup", "tfgeoreg01")

        def get(path: str) -> Any:
            return requests.get(base + path, params={"api-version": "2025-04-01"},
                                headers={"Authorization": "Bearer t"}, timeout=10).json()

        assert sorted(r["location"] for r in get("/replications")["value"]) == ["eastus", "westus"]
        assert get("/webhooks/tfhook01")["properties"]["scope"] == "app:*"
        assert get("/tokens/tftoken01")["properties"]["credentials"]["passwords"][0]["name"] == "password1"
        assert get("/cacheRules/tfcache01")["properties"]["targetRepository"] == "hub/hello-world"
        tf("plan", "-detailed-exitcode", "-no-color")
        tf("destroy", "-auto-approve", "-no-color")
    shutil.rmtree(tmp_path / ".terraform", ignore_errors=True)
