"""Options shared by the command line's sub-commands: one name and one help text for each, everywhere."""

from __future__ import annotations

import argparse


def add_map_option(parser: argparse.ArgumentParser) -> None:
    """`--map NAME=COLUMN` on check, preview and send."""
    parser.add_argument(
        "--map", action="append", default=[], metavar="NAME=COLUMN",
        help="which column fills a field or a tag: --map mobile=Κινητό, --map Firstname='First name' "
        "(fields: mobile, email, id, card, consent); repeat for each",
    )


def add_gsm_safe_greek_option(parser: argparse.ArgumentParser) -> None:
    """`--gsm-safe-greek` on preview and send; `--gsm-greek` (its old name in preview) is a hidden alias."""
    parser.add_argument(
        "--gsm-safe-greek", action="store_true", dest="gsm_safe_greek",
        help="write Greek values in GSM-7 capitals (cheaper SMS)",
    )
    parser.add_argument("--gsm-greek", action="store_true", dest="gsm_safe_greek", help=argparse.SUPPRESS)
