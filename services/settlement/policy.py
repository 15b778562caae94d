"""Compensation policies (补偿方案) as data: one YAML file per year.

The policy directory (NCMS_POLICY_DIR, default $NCMS_DATA_DIR/policies) holds
``<year>.yaml`` files; a year without one uses the shipped default policy
(policies/default.yaml, the default of policy.md) unless the fallback is turned off,
and then has no policy (E4006). Files are read when first needed and read again when
they change, so an administrator adds or corrects a year without a release or a
restart. Each file is validated when read; a bad file is refused with a message
naming the file, the key and what is wrong, and its year then has no policy.

Numbers are read as exact decimals (never binary floating point). Every policy has a
``digest`` (SHA-256 of its canonical form): settlements record the policy they used,
content and all, so that they can be explained after the file changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

LEVELS = (1, 2, 3, 4, 5)
DEFAULT_FILE = Path(__file__).parent / "policies" / "default.yaml"
PER_LEVEL = ("mz_ratio", "mz_visit_cap", "zy_deductible")
RATIOS = ("special_bonus", "no_referral_cut", "default_zfbl")
AMOUNTS = ("mz_year_cap", "zy_year_cap")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message says what to fix."""


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

    @functools.cached_property
    def digest(self) -> str:
        content = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise PolicyError(f"{where}: not a number")
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise PolicyError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise PolicyError(f"{where}: {value!r} is not a number")
    return number


def _ratio(value: object, where: str) -> Decimal:
    number = _decimal(value, where)
    if not Decimal(0) <= number <= Decimal(1):
        raise PolicyError(f"{where}: a ratio must be between 0 and 1, not {number}")
    return number


def _amount(value: object, where: str) -> Decimal:
    number = _decimal(value, where)
    if number < 0:
        raise PolicyError(f"{where}: an amount cannot be negative ({number})")
    return number


def _per_level(data: dict, key: str, check) -> dict[int, Decimal]:
    values = data.get(key)
    if not isinstance(values, dict):
        raise PolicyError(f"{key}: missing (one value per hospital level 1-5)")
    unknown = sorted(str(k) for k in values if k not in LEVELS)
    if unknown:
        raise PolicyError(f"{key}: unknown level {', '.join(unknown)} (levels are 1-5)")
    missing = [str(level) for level in LEVELS if level not in values]
    if missing:
        raise PolicyError(f"{key}: lacks level {', '.join(missing)}")
    return {level: check(values[level], f"{key}[{level}]") for level in LEVELS}


def _bands(data: dict) -> dict[int, tuple[Band, ...]]:
    values = data.get("zy_bands")
    if not isinstance(values, dict):
        raise PolicyError("zy_bands: missing (a list of bands per hospital level 1-5)")
    missing = [str(level) for level in LEVELS if level not in values]
    if missing:
        raise PolicyError(f"zy_bands: lacks level {', '.join(missing)}")
    result: dict[int, tuple[Band, ...]] = {}
    for level in LEVELS:
        entries = values[level]
        if not isinstance(entries, list) or not entries:
            raise PolicyError(f"zy_bands[{level}]: a list of bands, the last one without a width")
        bands = []
        for index, entry in enumerate(entries):
            where = f"zy_bands[{level}][{index}]"
            if not isinstance(entry, dict) or "ratio" not in entry:
                raise PolicyError(f"{where}: needs a ratio (and a width, but for the last band)")
            last = index == len(entries) - 1
            if last and entry.get("width") is not None:
                raise PolicyError(f"{where}: the last band takes the rest and has no width")
            if not last:
                width = _amount(entry.get("width"), f"{where}.width")
                if width <= 0:
                    raise PolicyError(f"{where}.width: must be above 0")
            else:
                width = None
            bands.append(Band(width, _ratio(entry["ratio"], f"{where}.ratio")))
        result[level] = tuple(bands)
    return result


def parse(data: object, *, year: int | None, source: str) -> Policy:
    if not isinstance(data, dict):
        raise PolicyError("the file must hold the policy's keys (see policies/default.yaml)")
    for key in (*AMOUNTS, *RATIOS):
        if key not in data:
            raise PolicyError(f"{key}: missing")
    fixed = data.get("zy_fixed") or {}
    if not isinstance(fixed, dict):
        raise PolicyError("zy_fixed: a mapping of diagnosis-code prefix to amount")
    return Policy(
        year=year, source=source,
        mz_ratio=_per_level(data, "mz_ratio", _ratio),
        mz_visit_cap=_per_level(data, "mz_visit_cap", _amount),
        mz_year_cap=_amount(data["mz_year_cap"], "mz_year_cap"),
        zy_deductible=_per_level(data, "zy_deductible", _amount),
        zy_bands=_bands(data),
        zy_year_cap=_amount(data["zy_year_cap"], "zy_year_cap"),
        special_bonus=_ratio(data["special_bonus"], "special_bonus"),
        no_referral_cut=_ratio(data["no_referral_cut"], "no_referral_cut"),
        default_zfbl=_ratio(data["default_zfbl"], "default_zfbl"),
        zy_fixed={str(prefix).strip().upper(): _amount(amount, f"zy_fixed[{prefix}]")
                  for prefix, amount in fixed.items()},
    )


def load(path: Path, *, year: int | None) -> Policy:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DecimalLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}: not valid YAML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path.name}: cannot read ({exc})") from None
    try:
        return parse(data, year=year, source=path.name)
    except PolicyError as exc:
        raise PolicyError(f"{path.name}: {exc}") from None


class PolicyStore:
    """The policy of each year, from the directory, re-read when a file changes."""

    def __init__(self, directory: Path, *, default_fallback: bool = True,
                 check_interval: float = 2.0) -> None:
        self.directory = directory
        self.default_fallback = default_fallback
        self._check_interval = check_interval
        self._cache: dict[int, tuple[float, float, Policy | None]] = {}  # year -> (checked, mtime, policy)
        self._default = load(DEFAULT_FILE, year=None)
        self._lock = threading.Lock()

    def for_year(self, year: int) -> Policy | None:
        """The year's policy; None when there is none (or its file is bad)."""
        now = time.monotonic()
        cached = self._cache.get(year)
        if cached is not None and now - cached[0] < self._check_interval:
            return cached[2]
        path = self.directory / f"{year}.yaml"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = -1.0
        if cached is not None and cached[1] == mtime:
            with self._lock:
                self._cache[year] = (now, mtime, cached[2])
            return cached[2]
        policy: Policy | None
        if mtime < 0:
            policy = self._default if self.default_fallback else None
        else:
            try:
                policy = load(path, year=year)
            except PolicyError as exc:
                log.error("policy for %d refused: %s", year, exc)
                policy = None
        with self._lock:
            self._cache[year] = (now, mtime, policy)
        return policy
