"""`python -m lib worker [--platform-url URL] [--no-refresh]`: post queued sends and refresh statuses.

Runs until Ctrl-C or SIGTERM; a POST in flight is finished first. One log line per event (a send
claimed or taken over, each chunk's result, a send done, a refresh round that asked anything).
It reads the same settings as the app (DATABASE_URL, MESSAGING_API_URL/USER/PASSWORD); with no
platform configured it starts its own sandbox server on the sandbox's data directory (the same
dispatches as the app's), unless --platform-url names a running one.
Exit status: 0 stopped when asked; 2 bad settings or database; 5 the database refused a POST's
answer (written to the results journal, replayed at the next start; the dispatch id is printed).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from lib import i18n
from lib.cli.options import add_language_option
from lib.history.store import StoreError
from lib.sending.engine import ResultNotRecorded
from lib.sending.worker import POLL_SECONDS, REFRESH_EVERY_SECONDS, Worker, first_line
from lib.settings import SettingsError, load_settings

EXIT_OK, EXIT_USAGE, EXIT_NOT_RECORDED = 0, 2, 5


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lib worker", description=i18n.t("cli.worker.about"))
    p.add_argument("--platform-url", help=i18n.t("cli.option.platform_url"))
    p.add_argument("--no-refresh", action="store_true", help=i18n.t("cli.worker.option.no_refresh"))
    add_language_option(p)
    p.add_argument("--poll", type=float, default=POLL_SECONDS, help=argparse.SUPPRESS)
    p.add_argument("--lease", type=float, metavar="SECONDS", help=argparse.SUPPRESS)  # tests: short leases
    p.add_argument("--refresh-every", type=float, default=REFRESH_EVERY_SECONDS, help=argparse.SUPPRESS)
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s worker %(message)s", datefmt="%Y-%m-%d %H:%M:%S", stream=sys.stdout
    )
    for noisy in ("httpx", "urllib3", "uvicorn", "uvicorn.access", "uvicorn.error", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from lib.runtime import start_runtime

    try:
        settings = load_settings()
        runtime = start_runtime(settings, platform_url=args.platform_url)
    except (SettingsError, StoreError) as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:  # e.g. locked while replaying the journal: nothing was posted
        print("worker: " + i18n.t("cli.worker.database_busy_nothing_sent", reason=first_line(exc)), file=sys.stderr)
        return EXIT_USAGE
    except ResultNotRecorded as exc:  # the journal could not be replayed
        print(f"worker: {exc}", file=sys.stderr)
        return EXIT_NOT_RECORDED
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    lease = timedelta(seconds=args.lease) if args.lease else None
    try:
        logging.getLogger("lib.worker").info("platform: %s; database: %s", runtime.describe_platform(),
                                             runtime.store.engine.url.render_as_string(hide_password=True))  # fmt: skip
        worker = Worker(
            lambda: runtime.engine(lease=lease),
            poll_seconds=args.poll,
            refresh_every=None if args.no_refresh else args.refresh_every,
            ledger=runtime.ledger,
        )
        worker.run_forever(stop)
    except ResultNotRecorded as exc:
        print(f"worker: {exc}", file=sys.stderr, flush=True)
        return EXIT_NOT_RECORDED
    except StoreError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        print("worker: " + i18n.t("cli.worker.database_busy", reason=first_line(exc)), file=sys.stderr)
        return EXIT_USAGE
    finally:
        runtime.close()
    return EXIT_OK
