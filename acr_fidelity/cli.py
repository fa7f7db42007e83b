"""The `acr-fidelity` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from acr_fidelity.arm.metadata import CLOUD_NAME
from acr_fidelity.config import ConfigError, Settings, load_settings
from acr_fidelity.tls.certs import CertificatePair, ensure_certificate, trust_bundle


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides = {
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "state_dir": getattr(args, "state_dir", None),
    }
    return load_settings(args.config, overrides=overrides)


def _cmd_serve(args: argparse.Namespace) -> int:
    from acr_fidelity.server import serve

    serve(_settings_from(args))
    return 0


def _print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]],
                 overflow: Literal["fold", "ellipsis"] = "ellipsis") -> None:
    # rich is imported by the commands that print with it: `serve` starts without it.
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow=overflow)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def _cmd_config(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    _print_table("acr-fidelity settings", ("setting", "value", "source"),
                 ((name, str(value), source) for name, value, source in settings.describe()))
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from acr_fidelity.doctor import examine

    findings = examine(_settings_from(args))
    _print_table("acr-fidelity doctor", ("check", "", "found", "to do"),
                 ((f.check, "[green]ok[/]" if f.ok else ("[red]fail[/]" if f.needed else "[yellow]warn[/]"), f.found,
                   f.fix) for f in findings), overflow="fold")
    return 1 if any(not f.ok and f.needed for f in findings) else 0


def _certificate(settings: Settings) -> CertificatePair:
    if settings.tls_cert_file and settings.tls_key_file:
        return CertificatePair(settings.tls_cert_file, settings.tls_key_file)
    return ensure_certificate(settings.keys_dir, settings.certificate_names)


def _cmd_cert(args: argparse.Namespace) -> int:
    settings = _settings_from(args)
    pair = _certificate(settings)
    if args.bundle:
        print(trust_bundle(pair, Path(args.bundle)))
    else:
        print(pair.cert)
    return 0


def _cmd_env(args: argparse.Namespace) -> int:
    """One block a user pastes into a shell to point the az CLI at this emulator."""
    settings = _settings_from(args)
    bundle = trust_bundle(_certificate(settings), settings.keys_dir / "ca-bundle.pem")
    url = f"https://{settings.hostname}:{settings.port}"
    print(f"""# az CLI -> acr-fidelity at {url}
export REQUESTS_CA_BUNDLE={bundle}
export AZURE_CORE_INSTANCE_DISCOVERY=false
export AZURE_CONFIG_DIR={settings.keys_dir / "az"}
az cloud register --name {CLOUD_NAME} --endpoint-resource-manager {url}/
az cloud set --name {CLOUD_NAME}
az login --service-principal --username acr-fidelity-app --password acr-fidelity-secret \\
    --tenant {settings.tenant_id}""")
    return 0


def _cmd_dataplane(args: argparse.Namespace) -> int:
    from acr_fidelity.dataplane.docker import connect

    plane = connect(_settings_from(args), 0)  # maintenance only: no front door
    if isinstance(plane, str):
        print(f"acr-fidelity: {plane}", file=sys.stderr)
        return 1
    if args.action == "remove":
        plane.purge()
        print(f"removed container {plane.container_name} and its volume")
    else:
        plane.collect_garbage()
        print(f"collected unreferenced blobs in {plane.container_name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acr-fidelity", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", help="YAML configuration file")
        p.add_argument("--host", help="address to bind (default 127.0.0.1; 0.0.0.0 serves other machines)")
        p.add_argument("--port", type=int, help="port of the ARM endpoint (default 4577)")
        p.add_argument("--state-dir", help="keep state here across restarts (default: in memory)")

    serve = sub.add_parser("serve", help="run the emulator")
    server_options(serve)
    serve.set_defaults(func=_cmd_serve)

    config = sub.add_parser("config", help="show every setting and where it came from")
    server_options(config)
    config.set_defaults(func=_cmd_config)

    cert = sub.add_parser("cert", help="print the path of the emulator's TLS certificate (made on first use)")
    server_options(cert)
    cert.add_argument("--bundle", metavar="FILE", help="write the system CAs plus the certificate here instead")
    cert.set_defaults(func=_cmd_cert)

    doctor = sub.add_parser("doctor", help="check Docker, the registry image, ports, the certificate and the "
                                           "clients, and say what to fix")
    server_options(doctor)
    doctor.set_defaults(func=_cmd_doctor)

    env = sub.add_parser("env", help="print the environment and login lines that point a client at the emulator")
    server_options(env)
    env.add_argument("client", choices=["az"], help="the client to configure")
    env.set_defaults(func=_cmd_env)

    dataplane = sub.add_parser("dataplane", help="manage the shared registry container")
    server_options(dataplane)
    dataplane.add_argument("action", choices=["remove", "gc"], help=(
        "remove: the container and its volume, with every image (stop the emulator first: a running one brings "
        "the container back); gc: collect the blobs of deleted registries (the container pauses a few seconds)"))
    dataplane.set_defaults(func=_cmd_dataplane)

    from acr_fidelity.harness.commands import add_harness_commands

    add_harness_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"acr-fidelity: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
