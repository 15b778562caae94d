"""``ncms inpatient``: asking a hospital's own service about an in-patient."""

from __future__ import annotations

import click

from .context import Context, message_dict, pass_context, table
from .i18n import _, stamp_time
from .settlement_commands import enum_text

STATUSES = {"INPATIENT_STATUS_IN_HOSPITAL": "1 在院", "INPATIENT_STATUS_DISCHARGED": "2 已出院"}
ITEM_KINDS = {"ITEM_KIND_DRUG": "药品", "ITEM_KIND_SERVICE": "诊疗"}


@click.group(help=_("In-patients (住院) as their hospital's own system sees them right now."))
def inpatient() -> None:
    pass


@inpatient.command("query", help=_(
    "Ask the hospital's own service (zysjcxjk) for an in-patient's data and fees so far. The call goes to "
    "the endpoint registered with `ncms hospital endpoint`, as the user set there, signed with the "
    "hospital's key."))
@click.option("--hospital", required=True, help=_("医院代码 of the hospital to ask."))
@click.option("--zybh", required=True, help=_("住院编号."))
@pass_context
def hospital_relay(ctx: Context, hospital: str, zybh: str) -> None:
    from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

    with ctx.calling("settlement"):
        answer = ctx.services("settlement", settlement_pb2_grpc).QueryInpatient(
            settlement_pb2.QueryInpatientRequest(hospital_code=hospital, number=zybh))

    def human() -> None:
        click.echo(_("住院 {number} at {hospital}: {status}, admitted {time} to {department}").format(
            number=answer.number, hospital=hospital,
            status=enum_text(STATUSES, settlement_pb2.InpatientStatus, answer.status) or "?",
            time=stamp_time(answer.admit_time), department=answer.department or "-"))
        click.echo(_("  patient    {member} {name}, card {card}").format(member=answer.member_id, name=answer.name,
                                                                      card=answer.card))
        click.echo(_("  diagnosis  {code} {name}").format(code=answer.diagnosis, name=answer.diagnosis_name))
        click.echo(_("  fees so far (ljfy) {total} in {count} lines").format(total=answer.total,
                                                                            count=len(answer.fees)))
        table(["mxxh", _("type"), _("item"), _("name"), _("spec"), _("price"), _("qty"), "je",
               _("time (Beijing time)")],
              [[f.line_number, enum_text(ITEM_KINDS, settlement_pb2.ItemKind, f.item_kind), f.item_code, f.item_name,
                f.specification, f.price, f.quantity, f.amount, stamp_time(f.fee_time, zone=False)]
               for f in answer.fees])

    ctx.emit(message_dict(answer), human)
