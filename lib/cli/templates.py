"""`python -m lib templates list|show|import|export`: the console's template catalog from a shell.

The same catalog the Templates page edits (the sandbox's own file in sandbox mode, the history
store's copy for a live platform), so a live console's catalog can be set up from a script.
`import` changes it as a named person (`--as EMAIL`, else CONSOLE_OPERATOR) under the team's roles,
and is written to the audit trail, exactly like an import on the Templates page.

Exit codes: 0 done; 2 bad arguments, an unknown template, or a file that cannot be read or imported;
77 refused: that person is not in the team or may not manage templates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib import i18n
from lib.cli.options import add_language_option, json_text, problem_words
from lib.settings import SettingsError, get_settings
from lib.templates import CatalogError, Template, dump_catalog, merge_catalog, parse_catalog_file, template_tags

EXIT_OK, EXIT_USAGE, EXIT_REFUSED = 0, 2, 77


class _Refused(Exception):
    """A reason the command cannot be done; str() is one line for the user."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _Refused(f"templates: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m lib templates", description=i18n.t("cli.templates.about"),
        epilog=i18n.t("cli.templates.exit_codes"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_language_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="list|show|import|export")
    listing = commands.add_parser("list", help=i18n.t("cli.templates.list.about"))
    listing.add_argument("--json", action="store_true", help=i18n.t("cli.templates.list.json"))
    show = commands.add_parser("show", help=i18n.t("cli.templates.show.about"))
    show.add_argument("id", type=int, help=i18n.t("cli.send.option.template"))
    show.add_argument("--json", action="store_true", help=i18n.t("cli.templates.show.json"))
    bring = commands.add_parser("import", help=i18n.t("cli.templates.import.about"))
    bring.add_argument("file", help=i18n.t("cli.templates.import.file"))
    bring.add_argument("--replace", action="store_true", help=i18n.t("cli.templates.import.replace"))
    bring.add_argument("--as", dest="acting_as", metavar="EMAIL", help=i18n.t("cli.option.as"))
    out = commands.add_parser("export", help=i18n.t("cli.templates.export.about"))
    out.add_argument("file", nargs="?", help=i18n.t("cli.templates.export.file"))
    for sub in (listing, show, bring, out):
        sub.error = parser.error  # one line and exit 2, from the sub-commands too
    return parser


def main(argv: list[str]) -> int:
    from lib.history.store import open_store
    from lib.runtime import console_catalog
    from lib.team.roles import NotAllowed

    try:
        args = _parser().parse_args(argv)
        settings = get_settings()
        store = open_store(settings.database_url)
        catalog = console_catalog(settings, store)
        if args.command == "import":
            catalog = _audited(catalog, store, settings, args.acting_as)
        return _run(args, catalog)
    except (NotAllowed, _NotInTeam) as exc:
        print(str(exc) if isinstance(exc, _NotInTeam) else i18n.t("cli.refused", reason=exc), file=sys.stderr)
        return EXIT_REFUSED
    except (_Refused, CatalogError, SettingsError, OSError, UnicodeDecodeError) as exc:
        print(problem_words(exc), file=sys.stderr)
        return EXIT_USAGE


class _NotInTeam(Exception):
    """The team does not know the person the command acts as; str() is the team's own sentence."""


def _audited(catalog, store, settings, acting_as: str | None):
    """The catalog as the Templates page changes it: role checked, every change in the audit trail."""
    from lib.cli import team as team_cli
    from lib.templates_audit import AuditedCatalog

    try:
        person = team_cli.acting_person(settings, store, acting_as)
    except team_cli._Stop as stop:  # the team command's own refusal: not in the team
        raise _NotInTeam(str(stop)) from None
    return AuditedCatalog(catalog, store, person)


def _run(args, catalog) -> int:
    templates = catalog.list()
    if args.command == "list":
        if args.json:
            print(dump_catalog(templates))
        else:
            for t in templates:
                tags = ", ".join(f"{{{{{tag}}}}}" for tag in template_tags(t)) or i18n.t("cli.templates.no_tags")
                print(f"{t.id:>6}  {str(t.channel.label):<5}  {t.name}  ({tags})")
            print(i18n.t("cli.templates.count", n=len(templates)))
    elif args.command == "show":
        template = next((t for t in templates if t.id == args.id), None)
        if template is None:
            known = ", ".join(str(t.id) for t in templates) or i18n.t("cli.none")
            raise _Refused(i18n.t("cli.template.missing_known", id=str(args.id), known=known))
        print(json_text(template.to_json(), indent=True) if args.json else _text(template))
    elif args.command == "import":
        imported = parse_catalog_file(Path(args.file).read_bytes())
        if args.replace:
            catalog.replace_all(imported)
            print(i18n.t("cli.templates.replaced", n=len(imported), file=Path(args.file).name))
        else:
            result = merge_catalog(templates, imported)
            catalog.replace_all(result.templates)
            print(i18n.t("cli.templates.imported", n=len(imported), added=result.added, replaced=result.replaced))
    elif args.command == "export":
        text = dump_catalog(templates)
        if args.file:
            Path(args.file).write_text(text, encoding="utf-8")
            print(i18n.t("cli.templates.wrote", n=len(templates), file=args.file))
        else:
            print(text)
    return EXIT_OK


def _text(template: Template) -> str:
    tags = ", ".join(f"{{{{{tag}}}}}" for tag in template_tags(template)) or i18n.t("cli.none")
    lines = [i18n.t("cli.templates.head", id=str(template.id), name=template.name, channel=template.channel.label),
             i18n.t("cli.templates.tags", tags=tags)]
    if template.subject:
        lines.append(i18n.t("cli.preview.subject", subject=template.subject))
    return "\n".join([*lines, "", template.body])
