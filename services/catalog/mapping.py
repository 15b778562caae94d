"""The automatic mapping (对应) of a hospital item to the NCMS catalog.

A wrong automatic mapping costs the fund money, so the rules map only what is
unambiguous, and leave the rest unmapped (self-paid, listed by `ncms catalog
unmapped`, mapped by hand). In order, the first rule that applies decides:

1. PROPOSED — the hospital proposed an nhbm, and the NCMS catalog has it (same kind).
2. APPROVAL_NUMBER — a drug whose 批准文号 is that of exactly one NCMS drug; if
   several NCMS drugs share it, exactly one of them with the same specification.
3. NAME_AND_SPEC — exactly one NCMS item of the same kind whose name equals the
   item's name or generic name (通用名), and, for a drug, whose specification equals
   the item's (both present); for a treatment, whose unit equals the item's where both
   have one.
4. Otherwise: unmapped.

A proposed nhbm that the NCMS catalog does not have is not an error: the item is
mapped by the other rules or left unmapped. Comparisons are on normalised text:
full-width characters folded (NFKC), white space removed, Latin letters lower-cased,
and the multiplication signs ×, x and X between digits or units written as *.

A hand-made mapping is kept while the item keeps its name, generic name,
specification, 批准文号 and proposed nhbm; when one of those changes, the item is
mapped again by the rules (its history shows both).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

NONE = "none"
PROPOSED = "proposed"
APPROVAL_NUMBER = "approval_number"
NAME_AND_SPEC = "name_and_spec"
MANUAL = "manual"
SOURCES = (NONE, PROPOSED, APPROVAL_NUMBER, NAME_AND_SPEC, MANUAL)

_SPACES = re.compile(r"\s+")
_TIMES = re.compile(r"(?<=[0-9a-z%)\]])[×xX*](?=[0-9])")


def normalize(text: str | None) -> str:
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    folded = _SPACES.sub("", folded).lower()
    return _TIMES.sub("*", folded.replace("×", "*"))


@dataclass(frozen=True)
class Candidate:
    """A current NCMS item as the rules see it."""

    code: str
    kind: str
    name: str  # normalised
    specification: str  # normalised
    unit: str  # normalised
    approval: str  # normalised


@dataclass(frozen=True)
class ItemFacts:
    """What the rules look at of a hospital item."""

    kind: str
    proposed_code: str
    name: str
    generic_name: str
    specification: str
    unit: str
    approval: str

    @property
    def names(self) -> set[str]:
        return {n for n in (normalize(self.name), normalize(self.generic_name)) if n}


@dataclass(frozen=True)
class Decision:
    ncms_code: str | None
    source: str


def decide(item: ItemFacts, by_code: Mapping[str, Candidate],
           by_approval: Mapping[str, Sequence[Candidate]],
           by_name: Mapping[str, Sequence[Candidate]]) -> Decision:
    """Map ``item`` with the candidates (current NCMS items of its kind) looked up by
    code, by normalised approval number and by normalised name."""
    proposed = item.proposed_code.strip()
    if proposed and proposed in by_code and by_code[proposed].kind == item.kind:
        return Decision(proposed, PROPOSED)
    specification = normalize(item.specification)
    approval = normalize(item.approval)
    if item.kind == "drug" and approval:
        sharing = [c for c in by_approval.get(approval, ()) if c.kind == item.kind]
        if len(sharing) > 1:
            sharing = [c for c in sharing if specification and c.specification == specification]
        if len(sharing) == 1:
            return Decision(sharing[0].code, APPROVAL_NUMBER)
    named = {c.code: c for name in item.names for c in by_name.get(name, ()) if c.kind == item.kind}
    if item.kind == "drug":
        matches = [c for c in named.values() if specification and c.specification == specification]
    else:
        unit = normalize(item.unit)
        matches = [c for c in named.values() if not (unit and c.unit) or c.unit == unit]
    if len(matches) == 1:
        return Decision(matches[0].code, NAME_AND_SPEC)
    return Decision(None, NONE)


def identity_changed(before: ItemFacts, after: ItemFacts) -> bool:
    """Whether the item is no longer the one a hand-made mapping was made for."""
    return (normalize(before.name), normalize(before.generic_name), normalize(before.specification),
            normalize(before.approval), before.proposed_code.strip()) != (
            normalize(after.name), normalize(after.generic_name), normalize(after.specification),
            normalize(after.approval), after.proposed_code.strip())


def lookup_keys(items: Iterable[ItemFacts]) -> tuple[set[str], set[str], set[str]]:
    """The codes, normalised approval numbers and names to fetch candidates for."""
    codes, approvals, names = set(), set(), set()
    for item in items:
        if item.proposed_code.strip():
            codes.add(item.proposed_code.strip())
        if item.kind == "drug" and normalize(item.approval):
            approvals.add(normalize(item.approval))
        names |= item.names
    return codes, approvals, names
