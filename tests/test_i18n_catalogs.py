"""The catalogs are complete: every key the code looks up has words in Greek and in English, every key
in a catalog is used, and both languages' sentences take the same parameters."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest

import lib
from lib import i18n

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "lib").rglob("*.py"))]
KEY = r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+"
# A lookup names its key as the first argument: t("…"), Msg("…"), i18n.t("…").
LOOKUP = re.compile(r"\b(?:t|Msg)\(\s*[\"'](" + KEY + r")[\"']")
LITERAL = re.compile(r"[\"'](" + KEY + r")[\"']")


def _source_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)


def _import_all_of_lib() -> None:
    """Importing every module declares its key families (i18n.family)."""
    for module in pkgutil.walk_packages(lib.__path__, "lib."):
        if ".migrations" in module.name or module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)


def _family_keys() -> set[str]:
    _import_all_of_lib()
    return {f"{prefix}.{code}" for prefix, codes in i18n.KEY_FAMILIES.items() for code in codes}


def _placeholders(text: str | tuple[str, ...]) -> set[str]:
    texts = text if isinstance(text, tuple) else (text,)
    return {name for one in texts for _, name, _, _ in string.Formatter().parse(one) if name}


def test_every_key_has_words_in_both_languages():
    greek, english = i18n.keys("el"), i18n.keys("en")
    assert sorted(english - greek) == [], "keys with English words but no Greek ones"
    assert sorted(greek - english) == [], "keys with Greek words but no English ones"


def test_every_key_looked_up_by_the_code_is_in_the_catalogs():
    used = set(LOOKUP.findall(_source_text())) | _family_keys()
    assert sorted(used - i18n.keys("en")) == []


def test_every_key_in_the_catalogs_is_used():
    used = set(LITERAL.findall(_source_text())) | _family_keys()
    assert sorted(i18n.keys("en") - used) == []


def test_both_languages_fill_the_same_parameters():
    greek, english = i18n.catalog("el").messages, i18n.catalog("en").messages
    differ = {key: (_placeholders(greek[key]), _placeholders(english[key]))
              for key in greek.keys() & english.keys() if _placeholders(greek[key]) != _placeholders(english[key])}
    assert differ == {}


def test_plural_messages_are_chosen_by_n():
    for lang in i18n.LANGUAGES:
        for key, text in i18n.catalog(lang).messages.items():
            if isinstance(text, tuple):
                assert len(text) == 2, f"{lang} {key}: Greek and English have two plural forms"
                assert "n" in _placeholders(text), f"{lang} {key}: a plural message is chosen by {{n}}"


def test_a_key_in_two_files_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entry = 'msgid "a.b"\nmsgstr "one"\n'
    (folder / "a.po").write_text(entry, encoding="utf-8")
    (folder / "b.po").write_text(entry, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(i18n.CatalogError, match="a.b is defined in both a.po and b.po"):
        i18n._Catalog("en")
