"""Compensation policies (补偿方案) as data: checked as a whole, versioned, per year.

A year's policy is a YAML document with the keys of policies/default.yaml (the
default of policy.md, with a comment on every key). ``check`` reads one and finds
*every* problem at once, each with its line in the file, so that an administrator
fixes a file in one go; a policy with any problem is never used.

The settlement service keeps the policies the centre imported (``ncms policy
import``) in its database, each with who imported it, when, and the day it takes
effect; ``PolicyStore`` gives every settlement the year's policy in force from such a
source (api/policies.py), re-reading it every couple of seconds so that every
replica follows an import promptly. A year without an imported policy uses the
shipped default policy unless the fallback is turned off, and then has none (E4006).
``DirectorySource`` reads ``<year>.yaml`` files of a directory instead: the service
imports such files once when it starts (see api/policies.py), and tests use it.

Numbers are read as exact decimals (never binary floating point). Every policy has a
``digest`` (SHA-256 of its canonical form): settlements record the policy they used,
content and all, so that they can be explained whatever was imported since.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

import yaml

log = logging.getLogger(__name__)

LEVELS = (1, 2, 3, 4, 5)
DEFAULT_FILE = Path(__file__).parent / "policies" / "default.yaml"
DEFAULT_SOURCE = "default.yaml"
PER_LEVEL = ("mz_ratio", "mz_visit_cap", "zy_deductible")
RATIOS = ("special_bonus", "no_referral_cut", "default_zfbl")
AMOUNTS = ("mz_year_cap", "zy_year_cap")
KEYS = (*PER_LEVEL, "zy_bands", *AMOUNTS, *RATIOS, "zy_fixed")

# Why a policy is refused (PolicyProblem.reason over gRPC, so that `ncms` can say it in
# the administrator's language).
YAML_SYNTAX = "YAML_SYNTAX"
NOT_A_MAPPING = "NOT_A_MAPPING"
MISSING = "MISSING"
MISSING_LEVELS = "MISSING_LEVELS"
UNKNOWN_KEY = "UNKNOWN_KEY"
DUPLICATE_KEY = "DUPLICATE_KEY"
NOT_A_NUMBER = "NOT_A_NUMBER"
RATIO_RANGE = "RATIO_RANGE"
NEGATIVE = "NEGATIVE"
UNKNOWN_LEVEL = "UNKNOWN_LEVEL"
LACKS_LEVEL = "LACKS_LEVEL"
BANDS_NOT_LIST = "BANDS_NOT_LIST"
BAND_NEEDS_RATIO = "BAND_NEEDS_RATIO"
LAST_BAND_WIDTH = "LAST_BAND_WIDTH"
BAND_WIDTH_ZERO = "BAND_WIDTH_ZERO"
FIXED_NOT_MAPPING = "FIXED_NOT_MAPPING"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy: where (key path and line) and why."""

    key: str  # e.g. "mz_ratio[1]", "zy_bands[3][0].width"; "" for the file as a whole
    reason: str  # one of the constants above
    message: str  # in English, e.g. "a ratio must be between 0 and 1, not 1.60"
    line: int = 0  # the line in the file (from 1); 0: not known, or the whole file
    value: str = ""  # the offending value or levels, as written

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class PolicyError(ValueError):
    """A policy that cannot be used; ``problems`` says everything to fix."""

    def __init__(self, problems: list[Problem] | str, prefix: str = "") -> None:
        self.problems = [Problem("", NOT_A_MAPPING, problems)] if isinstance(problems, str) else list(problems)
        text = "; ".join((f"line {p.line}: {p}" if p.line else str(p)) for p in self.problems)
        super().__init__(f"{prefix}{text}")


class _DecimalLoader(yaml.SafeLoader):
    """YAML with every float read as an exact Decimal."""


_DecimalLoader.add_constructor(
    "tag:yaml.org,2002:float",
    lambda loader, node: Decimal(loader.construct_scalar(node).replace("_", "")))


@dataclass(frozen=True)
class Band:
    width: Decimal | None  # None: the rest
    ratio: Decimal


@dataclass(frozen=True)
class Policy:
    year: int | None  # None: the default policy
    source: str
    mz_ratio: dict[int, Decimal]
    mz_visit_cap: dict[int, Decimal]
    mz_year_cap: Decimal
    zy_deductible: dict[int, Decimal]
    zy_bands: dict[int, tuple[Band, ...]]
    zy_year_cap: Decimal
    special_bonus: Decimal
    no_referral_cut: Decimal
    default_zfbl: Decimal
    zy_fixed: dict[str, Decimal]

    def canonical(self) -> dict:
        """The policy's content as plain JSON-able data (decimals as strings)."""
        def levels(values: dict[int, Decimal]) -> dict[str, str]:
            return {str(level): str(values[level]) for level in LEVELS}

        return {
            "mz_ratio": levels(self.mz_ratio), "mz_visit_cap": levels(self.mz_visit_cap),
            "mz_year_cap": str(self.mz_year_cap), "zy_deductible": levels(self.zy_deductible),
            "zy_bands": {str(level): [{"width": None if b.width is None else str(b.width),
                                       "ratio": str(b.ratio)} for b in self.zy_bands[level]]
                         for level in LEVELS},
            "zy_year_cap": str(self.zy_year_cap), "special_bonus": str(self.special_bonus),
            "no_referral_cut": str(self.no_referral_cut), "default_zfbl": str(self.default_zfbl),
            "zy_fixed": {prefix: str(amount) for prefix, amount in sorted(self.zy_fixed.items())},
        }

    def canonical_json(self) -> str:
        return json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False)

    @functools.cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()[:16]


# --- checking ------------------------------------------------------------------------------

def _parent(key: str) -> str:
    parent = re.sub(r"(\[[^\]]*\]|\.[^.\[]*)$", "", key)
    return "" if parent == key else parent


class _Checker:
    """Collects every problem of one policy, each at its line when the file is known."""

    def __init__(self, lines: dict[str, int] | None = None) -> None:
        self.lines = lines or {}
        self.problems: list[Problem] = []

    def add(self, key: str, reason: str, message: str, value: object = "") -> None:
        line, at = 0, key
        while at and not line:
            line, at = self.lines.get(at, 0), _parent(at)
        self.problems.append(Problem(key, reason, message, line, "" if value is None else str(value)))

    def decimal(self, value: object, where: str) -> Decimal | None:
        if isinstance(value, bool) or value is None:
            self.add(where, NOT_A_NUMBER, "not a number", "" if value is None else value)
            return None
        try:
            number = value if isinstance(value, Decimal) else Decimal(value)
        except (InvalidOperation, ValueError, TypeError):
            number = None
        if number is None or not number.is_finite():
            self.add(where, NOT_A_NUMBER, f"{value!r} is not a number", value)
            return None
        return number

    def ratio(self, value: object, where: str) -> Decimal | None:
        number = self.decimal(value, where)
        if number is not None and not Decimal(0) <= number <= Decimal(1):
            self.add(where, RATIO_RANGE, f"a ratio must be between 0 and 1, not {number}", number)
            return None
        return number

    def amount(self, value: object, where: str) -> Decimal | None:
        number = self.decimal(value, where)
        if number is not None and number < 0:
            self.add(where, NEGATIVE, f"an amount cannot be negative ({number})", number)
            return None
        return number

    def per_level(self, data: dict, key: str, check: Callable[[object, str], Decimal | None]) -> dict:
        values = data.get(key)
        if not isinstance(values, dict):
            self.add(key, MISSING_LEVELS, "missing (one value per hospital level 1-5)")
            return {}
        self.levels(values, key)
        return {level: check(values[level], f"{key}[{level}]") for level in LEVELS if level in values}

    def levels(self, values: dict, key: str) -> None:
        unknown = sorted(str(k) for k in values if k not in LEVELS)
        if unknown:
            self.add(key, UNKNOWN_LEVEL, f"unknown level {', '.join(unknown)} (levels are 1-5)",
                     ", ".join(unknown))
        missing = [str(level) for level in LEVELS if level not in values]
        if missing:
            self.add(key, LACKS_LEVEL, f"lacks level {', '.join(missing)}", ", ".join(missing))

    def bands(self, data: dict) -> dict[int, tuple[Band, ...]]:
        values = data.get("zy_bands")
        if not isinstance(values, dict):
            self.add("zy_bands", MISSING_LEVELS, "missing (a list of bands per hospital level 1-5)")
            return {}
        self.levels(values, "zy_bands")
        result: dict[int, tuple[Band, ...]] = {}
        for level in LEVELS:
            if level not in values:
                continue
            entries = values[level]
            if not isinstance(entries, list) or not entries:
                self.add(f"zy_bands[{level}]", BANDS_NOT_LIST, "a list of bands, the last one without a width")
                continue
            bands, complete = [], True
            for index, entry in enumerate(entries):
                where = f"zy_bands[{level}][{index}]"
                if not isinstance(entry, dict) or "ratio" not in entry:
                    self.add(where, BAND_NEEDS_RATIO, "needs a ratio (and a width, but for the last band)")
                    complete = False
                    continue
                width = None
                if index == len(entries) - 1:
                    if entry.get("width") is not None:
                        self.add(where, LAST_BAND_WIDTH, "the last band takes the rest and has no width")
                        complete = False
                else:
                    width = self.amount(entry.get("width"), f"{where}.width")
                    if width is not None and width <= 0:
                        self.add(f"{where}.width", BAND_WIDTH_ZERO, "must be above 0", width)
                        width = None
                    complete = complete and width is not None
                ratio = self.ratio(entry["ratio"], f"{where}.ratio")
                complete = complete and ratio is not None
                bands.append(Band(width, ratio))
            if complete:
                result[level] = tuple(bands)
        return result

    def fixed(self, data: dict) -> dict[str, Decimal]:
        fixed = data.get("zy_fixed") or {}
        if not isinstance(fixed, dict):
            self.add("zy_fixed", FIXED_NOT_MAPPING, "a mapping of diagnosis-code prefix to amount")
            return {}
        return {str(prefix).strip().upper(): self.amount(amount, f"zy_fixed[{prefix}]")
                for prefix, amount in fixed.items()}


def _check_data(data: object, checker: _Checker, *, year: int | None, source: str) -> Policy | None:
    if not isinstance(data, dict):
        checker.add("", NOT_A_MAPPING, "the file must hold the policy's keys (see policies/default.yaml)")
        return None
    for key in data:
        if key not in KEYS:
            checker.add(str(key), UNKNOWN_KEY, f"unknown key (the keys are {', '.join(KEYS)})", key)
    for key in (*AMOUNTS, *RATIOS):
        if key not in data:
            checker.add(key, MISSING, "missing")
    values = dict(
        mz_ratio=checker.per_level(data, "mz_ratio", checker.ratio),
        mz_visit_cap=checker.per_level(data, "mz_visit_cap", checker.amount),
        mz_year_cap=checker.amount(data["mz_year_cap"], "mz_year_cap") if "mz_year_cap" in data else None,
        zy_deductible=checker.per_level(data, "zy_deductible", checker.amount),
        zy_bands=checker.bands(data),
        zy_year_cap=checker.amount(data["zy_year_cap"], "zy_year_cap") if "zy_year_cap" in data else None,
        **{key: checker.ratio(data[key], key) if key in data else None for key in RATIOS},
        zy_fixed=checker.fixed(data))
    if checker.problems:
        return None
    return Policy(year=year, source=source, **values)


def _key_lines(node: yaml.Node) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """The line of every key path in the document, and keys given twice in a mapping."""
    lines: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []

    def walk(current: yaml.Node, path: str) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                name: object = key_node.value
                if key_node.tag.endswith(":int") and re.fullmatch(r"[0-9]+", str(name)):
                    name = int(str(name))
                if isinstance(name, int) or path == "zy_fixed":
                    child = f"{path}[{name}]"
                else:
                    child = f"{path}.{name}" if path else str(name)
                line = key_node.start_mark.line + 1
                if child in seen:
                    duplicates.append((child, line))
                seen.add(child)
                lines.setdefault(child, line)
                walk(value_node, child)
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                child = f"{path}[{index}]"
                lines.setdefault(child, item.start_mark.line + 1)
                walk(item, child)

    walk(node, "")
    return lines, duplicates


def check(text: str, *, year: int | None, source: str) -> tuple[Policy | None, list[Problem]]:
    """The policy in ``text`` (YAML), or every problem found in it, each with its line."""
    loader = _DecimalLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [Problem("", YAML_SYNTAX, f"not valid YAML ({exc.problem or exc.context})",
                              mark.line + 1 if mark else 0, f"{mark.column + 1}" if mark else "")]
    except yaml.YAMLError as exc:
        return None, [Problem("", YAML_SYNTAX, f"not valid YAML ({exc})")]
    finally:
        loader.dispose()
    lines, duplicates = ({}, []) if node is None else _key_lines(node)
    checker = _Checker(lines)
    for key, line in duplicates:
        checker.problems.append(Problem(key, DUPLICATE_KEY, "given twice (the second would silently win)",
                                        line))
    policy = _check_data(data, checker, year=year, source=source)
    problems = sorted(checker.problems, key=lambda p: (p.line == 0, p.line))
    return (None if problems else policy), problems


def parse(data: object, *, year: int | None, source: str) -> Policy:
    """The policy of already-read data; PolicyError names every problem."""
    checker = _Checker()
    policy = _check_data(data, checker, year=year, source=source)
    if policy is None:
        raise PolicyError(checker.problems)
    return policy


def from_canonical(content: str, *, year: int | None, source: str) -> Policy:
    """A policy from its canonical JSON (as stored): the same policy, the same digest."""
    data = json.loads(content)

    def number(value):
        return None if value is None else Decimal(value)

    for key in PER_LEVEL:
        data[key] = {int(level): number(value) for level, value in data[key].items()}
    data["zy_bands"] = {int(level): [{"width": number(b["width"]), "ratio": number(b["ratio"])} for b in bands]
                        for level, bands in data["zy_bands"].items()}
    for key in (*AMOUNTS, *RATIOS):
        data[key] = number(data[key])
    data["zy_fixed"] = {prefix: number(amount) for prefix, amount in data["zy_fixed"].items()}
    return parse(data, year=year, source=source)


def load(path: Path, *, year: int | None) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read ({exc})", prefix=f"{path.name}: ") from None
    policy, problems = check(text, year=year, source=path.name)
    if policy is None:
        raise PolicyError(problems, prefix=f"{path.name}: ")
    return policy


# --- the policy of each year ------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    """A year's policy as a source has it: ``version`` changes whenever the policy does."""

    version: object
    load: Callable[[], Policy | None]


class PolicySource(Protocol):
    def find(self, year: int) -> Found | None:
        """The year's policy in force now, or None when the source has none for it."""


class DirectorySource:
    """``<year>.yaml`` files in a directory; a file that changed is read again, and a bad
    file gives its year no policy (the log says why)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def find(self, year: int) -> Found | None:
        path = self.directory / f"{year}.yaml"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        return Found(mtime, lambda: self._load(path, year))

    def files(self) -> list[tuple[int, Path]]:
        """(year, path) of every ``<year>.yaml`` in the directory, by year."""
        if not self.directory.is_dir():
            return []
        return sorted((int(path.stem), path) for path in self.directory.glob("*.yaml")
                      if re.fullmatch(r"\d{4}", path.stem))

    @staticmethod
    def _load(path: Path, year: int) -> Policy | None:
        try:
            return load(path, year=year)
        except PolicyError as exc:
            log.error("policy for %d refused: %s", year, exc)
            return None


class PolicyStore:
    """The policy in force for each year, from a source (the imported versions in the
    service; a directory of files in tests), asked again every ``check_interval``
    seconds so that a new version is followed promptly."""

    def __init__(self, source: PolicySource | Path, *, default_fallback: bool = True,
                 check_interval: float = 2.0) -> None:
        self.source: PolicySource = DirectorySource(source) if isinstance(source, Path) else source
        self.default_fallback = default_fallback
        self._check_interval = check_interval
        self._cache: dict[int, tuple[float, object, Policy | None]] = {}  # year -> (checked, version, policy)
        self.default = load(DEFAULT_FILE, year=None)
        self._lock = threading.Lock()

    def for_year(self, year: int) -> Policy | None:
        """The year's policy; None when there is none (E4006)."""
        now = time.monotonic()
        cached = self._cache.get(year)
        if cached is not None and now - cached[0] < self._check_interval:
            return cached[2]
        found = self.source.find(year)
        policy: Policy | None
        if found is None:
            version, policy = None, self.default if self.default_fallback else None
        elif cached is not None and cached[1] == found.version:
            version, policy = found.version, cached[2]
        else:
            version, policy = found.version, found.load()
        with self._lock:
            self._cache[year] = (now, version, policy)
        return policy

    def refresh(self, year: int | None = None) -> None:
        """Forget what was read (of one year, or all), e.g. right after an import."""
        with self._lock:
            if year is None:
                self._cache.clear()
            else:
                self._cache.pop(year, None)
