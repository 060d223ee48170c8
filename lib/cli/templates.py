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
import json
import sys
from pathlib import Path

from lib.settings import SettingsError, get_settings
from lib.templates import CatalogError, Template, dump_catalog, merge_catalog, parse_catalog, template_tags

EXIT_OK, EXIT_USAGE, EXIT_REFUSED = 0, 2, 77


class _Refused(Exception):
    """A reason the command cannot be done; str() is one line for the user."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _Refused(f"templates: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m lib templates", description="List, show, import and export the console's template catalog.",
        epilog="exit codes:\n  0  done\n  2  bad arguments, an unknown template, or a file that cannot be imported\n"
        "  77 refused: not in the team, or the role may not manage templates\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="list|show|import|export")
    listing = commands.add_parser("list", help="one line per template: id, channel, name, tags")
    listing.add_argument("--json", action="store_true", help="print the catalog as JSON")
    show = commands.add_parser("show", help="one template in full")
    show.add_argument("id", type=int, help="the template's id (the platform's templateId)")
    show.add_argument("--json", action="store_true", help="print the template as JSON")
    bring = commands.add_parser("import", help="add the templates of a JSON file; same id replaces")
    bring.add_argument("file", help="a catalog file as `export` writes it")
    bring.add_argument("--replace", action="store_true", help="the file becomes the whole catalog (others removed)")
    bring.add_argument("--as", dest="acting_as", metavar="EMAIL", help="act as this team member (default CONSOLE_OPERATOR)")
    out = commands.add_parser("export", help="the catalog as JSON, to a file or the screen")
    out.add_argument("file", nargs="?", help="where to write it (default: print it)")
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
        print(str(exc) if isinstance(exc, _NotInTeam) else f"Refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (_Refused, CatalogError, SettingsError, OSError, UnicodeDecodeError) as exc:
        print(str(exc), file=sys.stderr)
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
                tags = ", ".join(f"{{{{{tag}}}}}" for tag in template_tags(t)) or "no tags"
                print(f"{t.id:>6}  {t.channel.label:<5}  {t.name}  ({tags})")
            print(f"{len(templates):,} template{'s' * (len(templates) != 1)}")
    elif args.command == "show":
        template = next((t for t in templates if t.id == args.id), None)
        if template is None:
            known = ", ".join(str(t.id) for t in templates) or "none"
            raise _Refused(f"There is no template {args.id} in the catalog (templates: {known})")
        print(json.dumps(template.to_json(), ensure_ascii=False, indent=2) if args.json else _text(template))
    elif args.command == "import":
        imported = parse_catalog(Path(args.file).read_text(encoding="utf-8-sig"))
        if args.replace:
            catalog.replace_all(imported)
            print(f"The catalog is now the {len(imported):,} templates of {Path(args.file).name}.")
        else:
            result = merge_catalog(templates, imported)
            catalog.replace_all(result.templates)
            print(f"Imported {len(imported):,} templates: {result.added:,} new, {result.replaced:,} replacing "
                  "templates with the same id.")
    elif args.command == "export":
        text = dump_catalog(templates)
        if args.file:
            Path(args.file).write_text(text, encoding="utf-8")
            print(f"Wrote {len(templates):,} templates to {args.file}.")
        else:
            print(text)
    return EXIT_OK


def _text(template: Template) -> str:
    tags = ", ".join(f"{{{{{tag}}}}}" for tag in template_tags(template)) or "none"
    lines = [f"Template {template.id} · {template.name} · {template.channel.label}", f"Tags: {tags}"]
    if template.subject:
        lines.append(f"Subject: {template.subject}")
    return "\n".join([*lines, "", template.body])
