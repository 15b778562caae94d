"""The language ``ncms`` speaks: Simplified Chinese, unless the locale asks for English.

Every text a person reads is written once, in English, as ``_("...")`` (the message
id), and translated through a gettext catalogue (``cli/locale/zh_CN/LC_MESSAGES/
ncms.po``, compiled to ``ncms.mo`` with Babel: ``make messages``). The language is
the first of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is set: ``en…`` — and the
untranslated locales ``C`` and ``POSIX``, as for every gettext program — gives
English; anything else, or nothing set, gives Simplified Chinese. Click's own texts
(usage, option errors) are translated by the same catalogue.

Times for people are Beijing time with the zone named (``beijing``); ``--json`` keeps
ISO 8601 with the offset.
"""

from __future__ import annotations

import gettext
import os
from datetime import UTC, datetime
from pathlib import Path

DOMAIN = "ncms"
LOCALE_DIR = Path(__file__).parent / "locale"
CHINESE = "zh_CN"
ENGLISH = "en"


def language(environ: dict[str, str] | os._Environ = os.environ) -> str:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (environ.get(name) or "").split(":")[0].strip()
        if not value:
            continue
        base = value.split(".")[0].split("@")[0]
        if base in ("C", "POSIX") or base.lower().startswith("en"):
            return ENGLISH
        return CHINESE
    return CHINESE


LANGUAGE = language()
if LANGUAGE == CHINESE:
    _translation: gettext.NullTranslations = gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[CHINESE], fallback=True)
    # Click asks gettext's global functions: point them at this catalogue.
    os.environ["LANGUAGE"] = CHINESE
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
else:
    _translation = gettext.NullTranslations()

_ = _translation.gettext
ngettext = _translation.ngettext


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is translated later (tables of names)."""
    return message


def beijing(value: datetime | None, *, zone: bool = True) -> str:
    """``2026-12-02 17:30:05 北京时间`` (``""`` for None)."""
    if value is None:
        return ""
    from runtime.clock import BEIJING

    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return _("{time} Beijing time").format(time=text) if zone else text


def stamp_time(stamp, *, zone: bool = True) -> str:
    """A protobuf Timestamp in Beijing time ("" when unset)."""
    if not stamp.seconds and not stamp.nanos:
        return ""
    return beijing(stamp.ToDatetime(tzinfo=UTC), zone=zone)


def N_plural(singular: str, plural: str) -> str:
    """Marks a text with a plural for the catalogue (Click's own, below)."""
    return singular


# Click's own texts (usage lines, option errors), translated by this catalogue too.
CLICK_TEXTS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."), N_("Show the version and exit."),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("Missing option"), N_("Missing argument"),
    N_("Missing command."), N_("Missing parameter: {param_name}"), N_("Missing {param_type}"),
    N_("No such command {name!r}."), N_("No such option {name!r}."), N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"), N_("Aborted!"), N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."), N_("Do you want to continue?"), N_("default: {default}"),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."), N_("%(prog)s, version %(version)s"),
    N_("Option {name!r} does not take a value."), N_("Could not open file {filename!r}: {message}"),
    N_("env var: {var}"), N_("Error: invalid input"), N_("required"),
    N_plural("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    N_plural("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    N_plural("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    N_plural("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
)
