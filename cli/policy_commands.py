"""``ncms policy``: the yearly compensation policies (补偿方案) as versioned data.

A file is checked as a whole first (every problem with its line); an import stores a
new version in settlement's database, in force from a day; `try` prices recent
settlements under a candidate beside the policy in force, recording nothing.
"""

from __future__ import annotations

import getpass
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import click

from .context import CommandError, Context, message_dict, pass_context, table
from .i18n import ENGLISH, LANGUAGE, N_, _, ngettext, stamp_time

LEVEL_KEYS = ("mz_ratio", "mz_visit_cap", "zy_deductible", "zy_bands")
KEY_NAMES = {
    "mz_ratio": N_("门诊补偿比例 outpatient ratio"), "mz_visit_cap": N_("门诊单次封顶 cap per visit"),
    "mz_year_cap": N_("门诊年度封顶 outpatient yearly cap"), "zy_deductible": N_("住院起付线 deductible"),
    "zy_bands": N_("住院分段比例 inpatient bands"), "zy_year_cap": N_("住院年度封顶 inpatient yearly cap"),
    "special_bonus": N_("五保低保提高 special bonus"), "no_referral_cut": N_("未转诊降低 no-referral cut"),
    "default_zfbl": N_("乙类默认自付比例 default 乙 share"), "zy_fixed": N_("定额补助 fixed subsidies"),
}
# Why a file is refused (PolicyProblem.reason), as a person reads it.
PROBLEMS = {
    "YAML_SYNTAX": N_("not valid YAML (column {value})"),
    "NOT_A_MAPPING": N_("the file must hold the policy's keys (see services/settlement/policies/default.yaml)"),
    "MISSING": N_("missing"),
    "MISSING_LEVELS": N_("missing (one value per hospital level 1-5)"),
    "UNKNOWN_KEY": N_("unknown key (a typing mistake?)"),
    "DUPLICATE_KEY": N_("given twice (the second would silently win)"),
    "NOT_A_NUMBER": N_("not a number: {value}"),
    "RATIO_RANGE": N_("a ratio must be between 0 and 1, not {value}"),
    "NEGATIVE": N_("an amount cannot be negative ({value})"),
    "UNKNOWN_LEVEL": N_("unknown level {value} (levels are 1-5)"),
    "LACKS_LEVEL": N_("lacks level {value}"),
    "BANDS_NOT_LIST": N_("a list of bands, the last one without a width"),
    "BAND_NEEDS_RATIO": N_("needs a ratio (and a width, but for the last band)"),
    "LAST_BAND_WIDTH": N_("the last band takes the rest and has no width"),
    "BAND_WIDTH_ZERO": N_("must be above 0"),
    "FIXED_NOT_MAPPING": N_("a mapping of diagnosis-code prefix to amount"),
}
YEAR = _("The policy year, e.g. 2027.")
ENCODINGS = ("utf-8-sig", "gb18030")


def _pb():
    from ncms.settlement.v1 import settlement_pb2

    return settlement_pb2


def _stub(ctx: Context):
    from ncms.settlement.v1 import settlement_pb2_grpc

    return ctx.stub("settlement", settlement_pb2_grpc.PolicyServiceStub)


def read_policy_file(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), or GBK/GB18030 as Notepad saves it."""
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError(_("{file} is neither UTF-8 nor GBK/GB18030 text").format(file=path))


def problem_text(problem) -> str:
    if LANGUAGE == ENGLISH or problem.reason not in PROBLEMS:
        text = problem.message
    else:
        text = _(PROBLEMS[problem.reason]).format(value=problem.value)
    return f"{problem.key}: {text}" if problem.key else text


def show_problems(path: Path, problems, *, err: bool = False) -> None:
    for problem in problems:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        click.echo(f"{where}: {problem_text(problem)}", err=err)


def _problem_dicts(problems) -> list[dict]:
    return [{**message_dict(p), "text": problem_text(p)} for p in problems]


@click.group(help=_("Compensation policies (补偿方案): check, import, show, compare, try.") + "\n\n" + _(
    "A file is checked as a whole, imported as a new version of a year's policy in force from a day, and can "
    "be tried on recent settlements before it is imported."))
def policy() -> None:
    pass


@policy.command("check", help=_("Check a policy file without storing anything: every problem, with its line."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def policy_check(ctx: Context, file: Path) -> None:
    with ctx.calling("settlement"):
        response = _stub(ctx).CheckPolicy(_pb().CheckPolicyRequest(text=read_policy_file(file), source=file.name))
    problems = list(response.problems)

    def human() -> None:
        show_problems(file, problems)
        if problems:
            click.echo(ngettext("{file}: {n} problem; it cannot be imported as it is",
                                "{file}: {n} problems; it cannot be imported as it is", len(problems))
                       .format(file=file, n=len(problems)))
        else:
            click.echo(_("{file}: no problems (digest {digest})").format(file=file, digest=response.digest))

    ctx.emit({"file": str(file), "problems": _problem_dicts(problems), "digest": response.digest}, human)
    if problems:
        raise SystemExit(1)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("a date such as 2027-01-01"), param_hint="--from") from None


def _version_line(v) -> str:
    start = f"{v.effective_from.year:04d}-{v.effective_from.month:02d}-{v.effective_from.day:02d}"
    return _("{year} policy v{id} ({source}, digest {digest}), in force from {start}").format(
        year=v.year, id=v.id, source=v.source, digest=v.digest, start=start)


@policy.command("import", help=_(
    "Import a policy file as a new version of a year's policy, in force from a day (default today, Beijing "
    "time). The file is checked first; with any problem nothing is stored and the version in force stays."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", required=True, type=click.IntRange(2003, 2100), help=YEAR)
@click.option("--from", "start", default=None, metavar="DATE",
              help=_("The first day (yyyy-MM-dd, Beijing time) settlements use it; not before today."))
@click.option("--note", default="", help=_("A note kept with the version (e.g. the document that set it)."))
@pass_context
def policy_import(ctx: Context, file: Path, year: int, start: str | None, note: str) -> None:
    from google.type import date_pb2

    pb = _pb()
    text = read_policy_file(file)
    stub = _stub(ctx)
    with ctx.calling("settlement"):
        checked = stub.CheckPolicy(pb.CheckPolicyRequest(text=text, source=file.name))
    if checked.problems:
        if not ctx.json_output:
            show_problems(file, checked.problems, err=True)
        raise CommandError(ngettext(
            "{file}: {n} problem; nothing was imported and the {year} policy in force stays as it was",
            "{file}: {n} problems; nothing was imported and the {year} policy in force stays as it was",
            len(checked.problems)).format(file=file, n=len(checked.problems), year=year),
            "POLICY_INVALID", {"problems": _problem_dicts(checked.problems)})
    request = pb.ImportPolicyRequest(year=year, text=text, source=file.name, note=note, operator=_operator())
    day = _day(start)
    if day is not None:
        request.effective_from.CopyFrom(date_pb2.Date(year=day.year, month=day.month, day=day.day))
    with ctx.calling("settlement"):
        response = stub.ImportPolicy(request)
    version = response.policy

    def human() -> None:
        if response.unchanged:
            click.echo(_("unchanged: {version} is the same policy").format(version=_version_line(version)))
        else:
            click.echo(_("imported: {version}").format(version=_version_line(version)))
            if not version.in_force:
                click.echo(_("(not in force yet: settlements use it from its first day)"))

    ctx.emit({**message_dict(version), "unchanged": response.unchanged}, human)


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container): the client's name is recorded anyway
        return ""


@policy.command("list", help=_("The imported versions, newest first, and which is in force."))
@click.option("--year", type=click.IntRange(2003, 2100), default=None, help=_("Only this year."))
@pass_context
def policy_list(ctx: Context, year: int | None) -> None:
    with ctx.calling("settlement"):
        versions = _stub(ctx).ListPolicies(_pb().ListPoliciesRequest(year=year or 0)).policies

    def human() -> None:
        table([_("year"), _("version"), _("from"), _("in force"), _("digest"), _("file"), _("imported by"),
               _("imported at (Beijing time)"), _("note")],
              [[v.year, f"v{v.id}", f"{v.effective_from.year:04d}-{v.effective_from.month:02d}-"
                                    f"{v.effective_from.day:02d}",
                "*" if v.in_force else "", v.digest, v.source, v.imported_by, stamp_time(v.import_time, zone=False),
                v.note] for v in versions])
        if not versions:
            click.echo(_("no policy imported: every year uses the default policy (unless it is turned off)"))

    ctx.emit({"policies": [message_dict(v) for v in versions]}, human)


def _get(ctx: Context, selector: str):
    """A version (`v3`), a year's policy now (`2027`), or a file's content."""
    pb = _pb()
    stub = _stub(ctx)
    found = re.fullmatch(r"[vV](\d+)", selector)
    path = Path(selector)
    if found is None and not path.is_file() and re.fullmatch(r"\d{4}", selector):
        with ctx.calling("settlement"):
            version = stub.GetPolicy(pb.GetPolicyRequest(year=int(selector))).policy
        label = _("the {year} policy now ({what})").format(
            year=selector, what=_("the default policy") if version.default_policy else f"v{version.id}")
        return label, json.loads(version.content)
    if found is not None:
        with ctx.calling("settlement"):
            version = stub.GetPolicy(pb.GetPolicyRequest(id=int(found.group(1)))).policy
        return f"v{version.id} ({version.year})", json.loads(version.content)
    if not path.is_file():
        raise click.BadParameter(_("{value}: a version (v3), a year (2027) or a policy file").format(value=selector))
    with ctx.calling("settlement"):
        checked = stub.CheckPolicy(pb.CheckPolicyRequest(text=read_policy_file(path), source=path.name))
    if checked.problems:
        show_problems(path, checked.problems, err=True)
        raise CommandError(_("{file} has problems; fix them first (`ncms policy check {file}`)").format(file=path))
    return str(path), json.loads(checked.content)


def _flat(content: dict) -> dict[str, str]:
    """Every value of a policy by its key path (mz_ratio[1], zy_bands[3], zy_fixed[O80])."""
    flat: dict[str, str] = {}
    for key, value in content.items():
        if key == "zy_bands":
            for level, bands in value.items():
                flat[f"zy_bands[{level}]"] = _bands(bands)
        elif isinstance(value, dict):
            for sub, item in value.items():
                flat[f"{key}[{sub}]"] = item
        else:
            flat[key] = value
    return flat


def _bands(bands: list[dict]) -> str:
    parts = []
    for band in bands:
        if band["width"] is None:
            parts.append(_("rest at {ratio}").format(ratio=band["ratio"]) if parts
                         else _("all at {ratio}").format(ratio=band["ratio"]))
        else:
            parts.append(_("{width} at {ratio}").format(width=band["width"], ratio=band["ratio"]))
    return ", ".join(parts)


def _same(old: str | None, new: str | None) -> bool:
    if old is None or new is None:
        return old == new
    try:
        return Decimal(old) == Decimal(new)
    except ArithmeticError:
        return old == new


@policy.command("diff", help=_(
    "What differs between two policies, each a version (v3), a year's policy now (2027) or a file; e.g. "
    "`ncms policy diff 2026 2026-new.yaml` before an import."))
@click.argument("old")
@click.argument("new")
@pass_context
def policy_diff(ctx: Context, old: str, new: str) -> None:
    old_label, old_content = _get(ctx, old)
    new_label, new_content = _get(ctx, new)
    before, after = _flat(old_content), _flat(new_content)
    changes = [(key, before.get(key), after.get(key)) for key in sorted(set(before) | set(after))
               if not _same(before.get(key), after.get(key))]

    def human() -> None:
        click.echo(_("{old} → {new}").format(old=old_label, new=new_label))
        if not changes:
            click.echo(_("the same policy"))
            return
        table([_("key"), _("meaning"), old_label, new_label],
              [[key, _(KEY_NAMES.get(key.split("[")[0], "")), "" if a is None else a, "" if b is None else b]
               for key, a, b in changes])

    ctx.emit({"old": old_label, "new": new_label,
              "changes": [{"key": k, "old": a, "new": b} for k, a, b in changes]}, human)


@policy.command("show", help=_("A policy: a version (v3), a year's policy now (2027, the default), or a file."))
@click.argument("which")
@click.option("--text", "as_text", is_flag=True, help=_("Print the file as it was imported (comments and all)."))
@pass_context
def policy_show(ctx: Context, which: str, as_text: bool) -> None:
    pb = _pb()
    found = re.fullmatch(r"[vV](\d+)", which)
    version = None
    if found is not None or (re.fullmatch(r"\d{4}", which) and not Path(which).is_file()):
        request = pb.GetPolicyRequest(id=int(found.group(1))) if found else pb.GetPolicyRequest(year=int(which))
        with ctx.calling("settlement"):
            version = _stub(ctx).GetPolicy(request).policy
        label = (_("the default policy (for {year})").format(year=version.year) if version.default_policy
                 else _version_line(version))
        content = json.loads(version.content)
    else:
        label, content = _get(ctx, which)

    def human() -> None:
        if as_text and version is not None:
            click.echo(version.text, nl=False)
            return
        click.echo(label)
        if version is not None and not version.default_policy:
            click.echo(_("imported by {who} at {time}").format(who=version.imported_by,
                                                               time=stamp_time(version.import_time))
                       + (f"; {version.note}" if version.note else ""))
        levels = ["1", "2", "3", "4", "5"]
        table([_("key"), _("meaning"), *[_("level {n}").format(n=n) for n in levels]],
              [[key, _(KEY_NAMES[key]), *[(_bands(content[key][n]) if key == "zy_bands" else content[key][n])
                                          for n in levels]] for key in LEVEL_KEYS])
        click.echo("")
        table([_("key"), _("meaning"), _("value")],
              [[key, _(KEY_NAMES[key]), (", ".join(f"{p} {a}" for p, a in content[key].items())
                                         if key == "zy_fixed" else content[key])]
               for key in KEY_NAMES if key not in LEVEL_KEYS])

    data = {"label": label, "content": content}
    if version is not None:
        data["version"] = message_dict(version)
    ctx.emit(data, human)


@policy.command("try", help=_(
    "Price the year's most recent settlements again under a policy file, beside the policy in force, "
    "recording nothing: what the file would change before it is imported."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", required=True, type=click.IntRange(2003, 2100), help=YEAR)
@click.option("--sample", default=200, show_default=True, type=click.IntRange(1, 5000),
              help=_("How many of the year's newest settlements to price."))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(0, 5000),
              help=_("How many of the changed settlements to list (the largest changes first)."))
@pass_context
def policy_try(ctx: Context, file: Path, year: int, sample: int, limit: int) -> None:
    pb = _pb()
    with ctx.calling("settlement"):
        response = _stub(ctx).TryPolicy(pb.TryPolicyRequest(year=year, text=read_policy_file(file),
                                                            source=file.name, sample_size=sample))
    if response.problems:
        if not ctx.json_output:
            show_problems(file, response.problems, err=True)
        raise CommandError(ngettext("{file}: {n} problem; fix it first", "{file}: {n} problems; fix them first",
                                    len(response.problems)).format(file=file, n=len(response.problems)),
                           "POLICY_INVALID", {"problems": _problem_dicts(response.problems)})
    trials = list(response.trials)
    changed = sorted((t for t in trials if t.candidate != (t.current or t.recorded)),
                     key=lambda t: abs(Decimal(t.candidate) - Decimal(t.current or t.recorded)), reverse=True)

    def human() -> None:
        kinds = {pb.SETTLEMENT_KIND_OUTPATIENT: "门诊", pb.SETTLEMENT_KIND_INPATIENT: "住院"}
        click.echo(ngettext("{n} settlement of {year} priced again under {file}",
                            "{n} settlements of {year} priced again under {file}", len(trials))
                   .format(n=len(trials), year=year, file=file))
        if not trials:
            return
        click.echo(_("bcje: recorded {recorded}, under the policy in force {current}, under {file} {candidate}")
                   .format(recorded=response.recorded_total, current=response.current_total or "-", file=file.name,
                           candidate=response.candidate_total))
        click.echo(ngettext("{n} settlement would be paid differently", "{n} settlements would be paid differently",
                            len(changed)).format(n=len(changed)))
        if changed and limit:
            table([_("jsbh"), _("kind"), _("hospital"), _("level"), "zfy", _("recorded"), _("in force"),
                   file.name, _("difference")],
                  [[t.settlement_number, kinds.get(t.kind, ""), t.hospital_code, t.hospital_level, t.total,
                    t.recorded, t.current or "-", t.candidate,
                    f"{Decimal(t.candidate) - Decimal(t.current or t.recorded):+}"] for t in changed[:limit]])

    ctx.emit({**message_dict(response), "changed": len(changed)}, human)
