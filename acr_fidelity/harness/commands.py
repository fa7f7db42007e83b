"""The harness's subcommands (`replay`, `record`, `compare`); cli.py registers them with add_harness_commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_harness_commands(subparsers: Any) -> None:
    replay = subparsers.add_parser("replay", help="replay recorded Azure traffic against the emulator and score it")
    replay.add_argument("paths", nargs="+", metavar="PATH",
                        help="a cassette, a folder searched for *.yaml/*.yml/*.json, or spec example files")
    replay.add_argument("--target", help="replay against this running emulator instead of a fresh one per cassette")
    replay.add_argument("--report-dir", default="reports", help="where file reports go (default: reports/)")
    replay.add_argument("--format", default="console,json",
                        help="comma-separated: console,json,junit,html,markdown,github (default: console,json)")
    replay.add_argument("--baseline", help="a previous fidelity.json: fail when something that matched no longer does")
    replay.add_argument("--write-baseline", metavar="FILE", help="also write this run as a baseline (classes only)")
    replay.add_argument("--fail-under", type=float, metavar="PERCENT", help="fail when fidelity is below PERCENT")
    replay.add_argument("--api-version", help="send every registry request with this api-version instead")
    replay.add_argument("--rules", action="append", default=[], metavar="FILE",
                        help="extra rules file merged over the built-in rules.yaml (repeatable)")
    replay.add_argument("--swagger", help="swagger for spec examples (default: found next to the examples)")
    replay.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="cassettes replayed at once on fresh emulators (default: one per core; 1 = in turn)")
    replay.set_defaults(func=cmd_replay)

    record = subparsers.add_parser("record", help="record traffic to an upstream through a proxy into a cassette")
    record.add_argument("--upstream", required=True, help="URL to forward to, e.g. https://management.azure.com")
    record.add_argument("--out", required=True, help="cassette file to write (.yaml, or .json)")
    record.add_argument("--port", type=int, default=8765, help="port of the proxy (default 8765)")
    record.add_argument("--host", default="127.0.0.1", help="address of the proxy (default 127.0.0.1)")
    record.set_defaults(func=cmd_record)

    compare = subparsers.add_parser("compare", help="what got better and worse between two fidelity.json reports")
    compare.add_argument("old", help="the earlier fidelity.json")
    compare.add_argument("new", help="the later fidelity.json")
    compare.set_defaults(func=cmd_compare)


def _err(message: str) -> int:
    print(f"acr-fidelity: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_replay(args: argparse.Namespace) -> int:
    from acr_fidelity.harness import compare as compare_mod
    from acr_fidelity.harness.model import to_json
    from acr_fidelity.harness.replay import Replayer
    from acr_fidelity.harness.reports import parse_formats, writer
    from acr_fidelity.harness.reports.console import progress_bar
    from acr_fidelity.harness.rules import RulesError, load_rules

    try:
        formats = parse_formats(args.format)
        rules = load_rules(args.rules)
        baseline = compare_mod.read(args.baseline) if args.baseline else None
    except (ValueError, RulesError, OSError) as exc:
        return _err(str(exc))
    replayer = Replayer(rules, target=args.target, api_version=args.api_version,
                        swagger=Path(args.swagger) if args.swagger else None, workers=max(args.jobs, 1))
    try:
        replayer.collect(args.paths)
    except FileNotFoundError as exc:
        return _err(str(exc))
    if "console" in formats and sys.stderr.isatty():
        with progress_bar(replayer.count()) as advance:
            replayer.progress = advance
            run = replayer.run()
    else:
        run = replayer.run()
    doc = to_json(run)
    out_dir = Path(args.report_dir)
    for name in formats:
        path = writer(name)(doc, out_dir)
        if path is not None and name != "console":
            print(f"{name} report: {path}", file=sys.stderr)

    if args.write_baseline:
        Path(args.write_baseline).write_text(json.dumps(compare_mod.baseline_of(doc), indent=1) + "\n")
    status = EXIT_OK
    if baseline is not None:
        try:
            lost = compare_mod.regressions(baseline, doc)
        except ValueError as exc:
            return _err(f"baseline {args.baseline}: {exc}")
        if lost:
            status = EXIT_FAIL
            print(f"{len(lost)} interaction(s) matched in the baseline and no longer do:", file=sys.stderr)
            for iid, old, new in lost:
                print(f"  {iid}: {old} → {new}", file=sys.stderr)
    fidelity = doc["summary"]["fidelity"]
    if args.fail_under is not None and (fidelity is None or fidelity * 100 < args.fail_under):
        status = EXIT_FAIL
        shown = "n/a" if fidelity is None else f"{fidelity * 100:.1f}%"
        print(f"fidelity {shown} is under --fail-under {args.fail_under}%", file=sys.stderr)
    return status


def cmd_compare(args: argparse.Namespace) -> int:
    from acr_fidelity.harness.compare import compare_reports, read, render

    try:
        result = compare_reports(read(args.old), read(args.new))
    except (OSError, ValueError, KeyError) as exc:
        return _err(f"cannot compare: {exc}")
    print(render(result))
    return EXIT_FAIL if result.worse else EXIT_OK


def cmd_record(args: argparse.Namespace) -> int:
    import os

    from acr_fidelity.config import load_settings
    from acr_fidelity.harness.record import serve_proxy
    from acr_fidelity.tls.certs import ensure_certificate

    # The proxy answers HTTPS with the emulator's certificate, so clients that trust the emulator trust it too;
    # an HTTPS upstream is verified with REQUESTS_CA_BUNDLE, as the clients themselves do.
    settings = load_settings()
    tls = ensure_certificate(settings.keys_dir, [settings.hostname]).server_context()
    return serve_proxy(args.upstream, Path(args.out), args.port, args.host, tls,
                       os.environ.get("REQUESTS_CA_BUNDLE"))


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point (`python -m acr_fidelity.harness.commands`) until cli.py wires the commands in."""
    parser = argparse.ArgumentParser(prog="acr-fidelity")
    add_harness_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["add_harness_commands", "json"]
