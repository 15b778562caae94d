"""The ncms command's messages: every text of the code in the Chinese catalogue with the
same placeholders, the compiled catalogue current, the language chosen from the locale,
and `ncms --help` answered without loading gRPC, protobuf, SQLAlchemy or the settings."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli import i18n

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "cli" / "locale" / "zh_CN" / "LC_MESSAGES" / "ncms.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z]+\)s")


def catalogue():
    from babel.messages.pofile import read_po

    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def code_messages() -> set[str]:
    from babel.messages.extract import extract_from_dir

    keywords = {"_": None, "N_": None, "ngettext": (1, 2), "N_plural": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "cli"), keywords=keywords, method_map=[("**.py", "python")]):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_text_of_the_command_is_translated_with_the_same_placeholders():
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalogue() if m.id}
    missing = sorted(code_messages() - set(translated))
    assert not missing, f"not in the catalogue (run `make messages` and translate): {missing}"
    for key, message in translated.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and "fuzzy" not in message.flags, f"untranslated: {key!r}"
        forms = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(PLACEHOLDER.findall(form) for form in forms))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= wanted, (key, text)
            if not isinstance(message.id, tuple):
                assert set(PLACEHOLDER.findall(text)) == wanted, (key, text)


def test_the_compiled_catalogue_is_current():
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalogue())
    assert buffer.getvalue() == MO.read_bytes(), "run `make messages`"


@pytest.mark.parametrize("environment,language", [
    ({}, i18n.CHINESE), ({"LANG": "zh_CN.UTF-8"}, i18n.CHINESE), ({"LANG": "en_US.UTF-8"}, i18n.ENGLISH),
    ({"LANG": "C.UTF-8"}, i18n.ENGLISH), ({"LANG": "POSIX"}, i18n.ENGLISH), ({"LANG": "fr_FR.UTF-8"}, i18n.CHINESE),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, i18n.CHINESE),
    ({"LANGUAGE": "en_GB:zh_CN", "LANG": "zh_CN.UTF-8"}, i18n.ENGLISH),
])
def test_the_language_follows_the_locale(environment, language):
    assert i18n.language(environment) == language


def test_help_needs_no_heavy_module():
    code = ("import sys\nfrom cli.main import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\n"
            "    cli.main(['hospital', 'rotate-key', '--help'], standalone_mode=False)\n"
            "except SystemExit:\n    pass\n"
            "heavy = {'grpc', 'google', 'sqlalchemy', 'pydantic', 'pydantic_settings', 'yaml', 'openpyxl', 'ncms'}\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_beijing_times_name_their_zone():
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 2, 9, 30, 5, tzinfo=UTC)
    assert i18n.beijing(moment, zone=False) == "2026-12-02 17:30:05"
    assert i18n.beijing(moment).startswith("2026-12-02 17:30:05 ")
    assert i18n.beijing(None) == ""
