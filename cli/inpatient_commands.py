"""``ncms inpatient``: asking a hospital's own service about an in-patient."""

from __future__ import annotations

import click

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

from .context import Context, message_dict, table
from .settlement_commands import when

pass_context = click.make_pass_decorator(Context)
STATUSES = {settlement_pb2.INPATIENT_STATUS_IN_HOSPITAL: "1 在院", settlement_pb2.INPATIENT_STATUS_DISCHARGED: "2 已出院"}
ITEM_KINDS = {settlement_pb2.ITEM_KIND_DRUG: "药品", settlement_pb2.ITEM_KIND_SERVICE: "诊疗"}


@click.group()
def inpatient() -> None:
    """In-patients (住院) as their hospital's own system sees them right now."""


@inpatient.command("query")
@click.option("--hospital", required=True, help="医院代码 of the hospital to ask.")
@click.option("--zybh", required=True, help="住院编号.")
@pass_context
def hospital_relay(ctx: Context, hospital: str, zybh: str) -> None:
    """Ask the hospital's own service (zysjcxjk) for an in-patient's data and fees so far.

    The call goes to the endpoint registered with `ncms hospital endpoint`, as the user
    set there, signed with the hospital's key.
    """
    with ctx.calling("settlement"):
        answer = ctx.services("settlement", settlement_pb2_grpc).QueryInpatient(
            settlement_pb2.QueryInpatientRequest(hospital_code=hospital, number=zybh))

    def human() -> None:
        click.echo(f"住院 {answer.number} at {hospital}: {STATUSES.get(answer.status, '?')}, "
                   f"admitted {when(answer.admit_time)} to {answer.department or '-'}")
        click.echo(f"  patient    {answer.member_id} {answer.name}, card {answer.card}")
        click.echo(f"  diagnosis  {answer.diagnosis} {answer.diagnosis_name}")
        click.echo(f"  fees so far (ljfy) {answer.total} in {len(answer.fees)} lines")
        table(["mxxh", "type", "item", "name", "spec", "price", "qty", "je", "time"],
              [[f.line_number, ITEM_KINDS.get(f.item_kind, ""), f.item_code, f.item_name, f.specification,
                f.price, f.quantity, f.amount, when(f.fee_time)] for f in answer.fees])

    ctx.emit(message_dict(answer), human)
