"""`python -m lib sandbox`: run the sandbox platform in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
from pathlib import Path

from lib.sandbox.server import SandboxConfig, ServerThread, build_sandbox
from lib.templates import SHIPPED_CATALOG


def parse_args(argv: list[str]) -> SandboxConfig:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(prog="python -m lib sandbox", description="Run the local sandbox platform.")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port, help="0 picks a free port")
    parser.add_argument("--user", default=defaults.user)
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--templates", type=Path, default=SHIPPED_CATALOG, help="template catalog JSON")
    parser.add_argument("--data-dir", type=Path, default=defaults.data_dir, help="dispatches and outbox.jsonl")
    parser.add_argument("--step-seconds", type=float, default=defaults.step_seconds, help="Draft→Pending→Queued step")
    parser.add_argument(
        "--error-template", type=int, action="append", default=[], metavar="ID", help="dispatches end in Error"
    )
    parser.add_argument("--allowed-countries", default=",".join(defaults.allowed_countries), help="e.g. GR,CY")
    parser.add_argument("--timezone", default=defaults.timezone)
    args = parser.parse_args(argv)
    return SandboxConfig(
        host=args.host,
        port=args.port,
        user=args.user,
        password=args.password,
        templates_path=args.templates,
        data_dir=args.data_dir,
        step_seconds=args.step_seconds,
        error_template_ids=frozenset(args.error_template),
        allowed_countries=tuple(c.strip().upper() for c in args.allowed_countries.split(",") if c.strip()),
        timezone=args.timezone,
    )


def main(argv: list[str]) -> int:
    config = parse_args(argv)
    sandbox = build_sandbox(config)
    try:
        server = ServerThread(sandbox.app, config.host, config.port)
    except OSError as exc:
        print(exc)
        return 1
    print(f"Sandbox platform on {server.url} (user {config.user}); outbox: {config.data_dir / 'outbox.jsonl'}")
    print("Nothing is really sent. Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    finally:
        sandbox.store.close()
    return 0
