"""`python -m lib refresh [--once | --every SECONDS]`: refresh dispatch statuses without a browser tab.

For cron (`--once`, the default) or a service (`--every 30`). It reads the same settings as the app
(DATABASE_URL, MESSAGING_API_URL/USER/PASSWORD). The embedded sandbox lives inside the app's
process, so to refresh against it give its address with --platform-url (or CONSOLE_SANDBOX_PORT).
Exit status: 0 when the platform was reached, 1 when it could not be (the reason is printed), 2 for
bad arguments or settings.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from lib import i18n
from lib.cli.options import add_language_option
from lib.history.refresh import refresh_pending
from lib.history.store import SANDBOX_PLATFORM, StoreError, open_store, platform_key
from lib.messaging import MessagingClient
from lib.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib refresh",
        description=i18n.t("cli.refresh.about"),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help=i18n.t("cli.refresh.option.once"))
    mode.add_argument("--every", type=float, metavar="SECONDS", help=i18n.t("cli.refresh.option.every"))
    parser.add_argument("--all", action="store_true", help=i18n.t("cli.refresh.option.all"))
    parser.add_argument("--workers", type=int, default=8, help=i18n.t("cli.refresh.option.workers"))
    parser.add_argument("--platform-url", help=i18n.t("cli.option.platform_url"))
    add_language_option(parser)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)  # stop after N rounds (tests)
    return parser


def platform_url(settings: Settings, override: str | None) -> str:
    if override:
        return override.rstrip("/")
    if settings.api_url:
        return settings.api_url
    if settings.sandbox_port:
        return f"http://127.0.0.1:{settings.sandbox_port}"
    raise SettingsError(i18n.t("cli.refresh.no_platform"))


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.every is not None and args.every <= 0:
        print(i18n.t("cli.refresh.every_shape"), file=sys.stderr)
        return 2
    if args.workers < 1:
        print(i18n.t("cli.refresh.workers_shape"), file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        url = platform_url(settings, args.platform_url)
        store = open_store(settings.database_url, busy_timeout=settings.db_busy_timeout)
        # Only this platform's dispatches: the sandbox's ids and the live platform's overlap.
        store = store.for_platform(platform_key(settings.api_url, False) if settings.api_url else SANDBOX_PLATFORM)
    except (SettingsError, StoreError) as exc:
        print(i18n.t("cli.refresh.cannot", reason=exc), file=sys.stderr)
        return 2
    rounds = 0
    status = 0
    with MessagingClient.from_settings(settings, base_url=url) as client:
        try:
            while True:
                report = refresh_pending(store, client, only_due=not args.all, workers=args.workers)
                stamp = i18n.datetime_text(datetime.now(UTC).astimezone(settings.tz), seconds=True)
                print(f"{stamp} {report.summary()}", flush=True)
                status = 0 if report.ok else 1
                rounds += 1
                if args.every is None or (args.rounds is not None and rounds >= args.rounds):
                    return status
                time.sleep(args.every)
        except KeyboardInterrupt:
            return status
