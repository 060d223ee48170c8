"""`python -m lib sandbox`: run the sandbox platform in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import threading
import time
from pathlib import Path

from lib import i18n
from lib.cli.options import add_language_option, problem_words
from lib.sandbox.embedded import publish_address, withdraw_address
from lib.sandbox.server import Sandbox, SandboxConfig, ServerThread, build_sandbox
from lib.templates import SHIPPED_CATALOG, CatalogError, load_catalog


def parse_args(argv: list[str]) -> SandboxConfig:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(prog="python -m lib sandbox", description=i18n.t("cli.sandbox.about"))
    add_language_option(parser)
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port, help=i18n.t("cli.sandbox.option.port"))
    parser.add_argument("--user", default=defaults.user)
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--templates", type=Path, default=SHIPPED_CATALOG, help=i18n.t("cli.sandbox.option.templates"))
    parser.add_argument("--data-dir", type=Path, default=defaults.data_dir, help=i18n.t("cli.sandbox.option.data_dir"))
    parser.add_argument("--step-seconds", type=float, default=defaults.step_seconds, help=i18n.t("cli.sandbox.option.step_seconds"))
    parser.add_argument(
        "--error-template", type=int, action="append", default=[], metavar="ID", help=i18n.t("cli.sandbox.option.error_template")
    )
    parser.add_argument("--allowed-countries", default=",".join(defaults.allowed_countries), help=i18n.t("cli.sandbox.option.allowed_countries"))
    parser.add_argument("--timezone", default=defaults.timezone)
    parser.add_argument(
        "--console-settings", action="store_true", help=i18n.t("cli.sandbox.option.console_settings")
    )
    args = parser.parse_args(argv)
    if args.console_settings:  # the console's user, password, data dir and catalog, never on a command line
        from lib.sandbox.embedded import sandbox_config_for
        from lib.settings import get_settings

        return sandbox_config_for(get_settings())
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
    try:
        load_catalog(config.templates_path)  # a broken catalog would turn every send into "template not found"
    except (OSError, CatalogError) as exc:
        print(i18n.t("cli.sandbox.catalog_unreadable", file=str(config.templates_path), reason=problem_words(exc)), file=sys.stderr)
        return 1
    sandbox = build_sandbox(config)
    try:
        server = ServerThread(sandbox.app, config.host, config.port)
    except OSError as exc:
        print(exc)
        return 1
    publish_address(config.data_dir, server.url)  # the console's other processes find it here
    print(i18n.t("cli.sandbox.serving", url=server.url, user=config.user, outbox=str(config.data_dir / "outbox.jsonl")))
    print(i18n.t("cli.sandbox.nothing_sent"), flush=True)
    stop = threading.Event()
    threading.Thread(target=_flush_outbox, args=(sandbox, stop), name="outbox-flusher", daemon=True).start()
    try:
        server.serve_forever()
    finally:
        withdraw_address(config.data_dir)
        stop.set()
        sandbox.store.close()
    return 0


def _flush_outbox(sandbox: Sandbox, stop: threading.Event) -> None:
    """People read outbox.jsonl directly here, so write due messages even when nobody polls."""
    interval = min(1.0, max(0.05, sandbox.config.step_seconds / 2))
    while not stop.wait(interval):
        try:
            sandbox.store.flush_due(time.time())
        except sqlite3.Error as exc:  # closed at shutdown, or a busy database: try again next tick
            if stop.is_set():
                return
            print(i18n.t("cli.sandbox.outbox_not_written", reason=exc), file=sys.stderr)
