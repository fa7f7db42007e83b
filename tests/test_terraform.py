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
from pathlib import Path

import pytest
import requests

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


def test_terraform_apply_plan_destroy(tmp_path: Path) -> None:
    terraform = CACHE / "bin" / "terraform"
    if not terraform.exists() or not (CACHE / "terraformrc").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{terraform} is missing: run scripts/build-terraform (tox -e terraform does)")
        pytest.skip("terraform and the azurerm provider are not built (scripts/build-terraform)")
    with start() as server:
        port = int(server.url.rsplit(":", 1)[1])
        (tmp_path / "main.tf").write_text(MAIN_TF % {"version": _provider_version(), "port": port,
                                                      "subscription": SUBSCRIPTION, "tenant": TENANT})
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(CACHE / "terraformrc"), "TF_IN_AUTOMATION": "1",
               "SSL_CERT_FILE": str(trust_bundle_for(server)),  # Go reads its extra roots from here
               "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}

        def tf(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
            done = subprocess.run([str(terraform), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=600)
            assert done.returncode == expect, f"terraform {' '.join(args)} -> {done.returncode}\n{done.stdout}\n" \
                                              f"{done.stderr}"
            return done

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
