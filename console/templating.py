"""What the templates use: formatting filters, names of codes, sortable headings and
page links that keep a list's other parameters (so every list's URL can be bookmarked
and sent to a colleague)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request

from ncms.catalog.v1 import catalog_pb2
from ncms.enrollment.v1 import enrollment_pb2
from ncms.settlement.v1 import settlement_pb2

from . import i18n
from .i18n import N_

ROLE_NAMES = {"administrator": N_("Administrator"), "catalog-clerk": N_("Catalog clerk"),
              "fund-officer": N_("Fund officer"), "auditor": N_("Auditor")}
LEVEL_NAMES = {1: N_("Village clinic"), 2: N_("Township hospital"), 3: N_("County hospital"),
               4: N_("City hospital"), 5: N_("Provincial or outside the city")}
SETTLEMENT_KINDS = {settlement_pb2.SETTLEMENT_KIND_OUTPATIENT: N_("Outpatient"),
                    settlement_pb2.SETTLEMENT_KIND_INPATIENT: N_("Inpatient")}
BUSINESSES = {settlement_pb2.BUSINESS_TYPE_SETTLEMENT: N_("Settlement"), settlement_pb2.BUSINESS_TYPE_REFUND: N_("Refund")}
DIFFERENCES = {settlement_pb2.DIFFERENCE_TYPE_ONLY_NCMS: N_("Only the NCMS has it"),
               settlement_pb2.DIFFERENCE_TYPE_ONLY_HOSPITAL: N_("Only the hospital has it"),
               settlement_pb2.DIFFERENCE_TYPE_AMOUNTS_DIFFER: N_("Amounts differ"),
               settlement_pb2.DIFFERENCE_TYPE_REFUND_MISMATCH: N_("Refund recorded on one side only")}
CATEGORIES = {settlement_pb2.MEMBER_CATEGORY_ORDINARY: N_("Ordinary"),
              settlement_pb2.MEMBER_CATEGORY_FIVE_GUARANTEES: N_("Five guarantees (五保)"),
              settlement_pb2.MEMBER_CATEGORY_SUBSISTENCE: N_("Subsistence allowance (低保)"),
              settlement_pb2.MEMBER_CATEGORY_ENTITLED: N_("Entitled (优抚)")}
ENROLMENT_CATEGORIES = {enrollment_pb2.CATEGORY_ORDINARY: N_("Ordinary"),
                        enrollment_pb2.CATEGORY_FIVE_GUARANTEES: N_("Five guarantees (五保)"),
                        enrollment_pb2.CATEGORY_SUBSISTENCE: N_("Subsistence allowance (低保)"),
                        enrollment_pb2.CATEGORY_ENTITLED: N_("Entitled (优抚)")}
ENROLMENT_STATES = {enrollment_pb2.ENROLLMENT_STATUS_ACTIVE: N_("Enrolled"),
                    enrollment_pb2.ENROLLMENT_STATUS_STOPPED: N_("Stopped"),
                    enrollment_pb2.ENROLLMENT_STATUS_NONE: N_("Not enrolled")}
CHARGE_CLASSES = {settlement_pb2.CHARGE_CLASS_A: N_("Class A (甲)"), settlement_pb2.CHARGE_CLASS_B: N_("Class B (乙)"),
                  settlement_pb2.CHARGE_CLASS_C: N_("Class C (丙)")}
CATALOG_CLASSES = {catalog_pb2.CHARGE_CLASS_A: N_("Class A (甲)"), catalog_pb2.CHARGE_CLASS_B: N_("Class B (乙)"),
                   catalog_pb2.CHARGE_CLASS_C: N_("Class C (丙)")}
ITEM_KINDS = {catalog_pb2.ITEM_KIND_DRUG: N_("Drug"), catalog_pb2.ITEM_KIND_SERVICE: N_("Treatment")}
ITEM_KIND_SLUGS = {catalog_pb2.ITEM_KIND_DRUG: "drug", catalog_pb2.ITEM_KIND_SERVICE: "service"}
MAPPING_SOURCES = {catalog_pb2.MAPPING_SOURCE_NONE: N_("Unmapped"), catalog_pb2.MAPPING_SOURCE_PROPOSED: N_("As proposed"),
                   catalog_pb2.MAPPING_SOURCE_APPROVAL_NUMBER: N_("By approval number"),
                   catalog_pb2.MAPPING_SOURCE_NAME_AND_SPEC: N_("By name and specification"),
                   catalog_pb2.MAPPING_SOURCE_MANUAL: N_("By hand")}
ITEM_EVENTS = {"add": N_("Added"), "modify": N_("Changed"), "delete": N_("Deleted"), "map": N_("Mapped")}
AUDIT_KINDS = {"authenticate": N_("Call decided"), "outcome": N_("Call outcome"), "admin": N_("Administration"),
               "console": N_("Console sign-in")}
OUTCOMES = {"accepted": N_("Accepted"), "refused": N_("Refused"), "succeeded": N_("Succeeded"), "failed": N_("Failed")}
HEALTH = {"serving": N_("Serving"), "not serving": N_("Not serving"), "unreachable": N_("Unreachable")}
USER_STATES = {1: N_("Pending"), 2: N_("Active"), 3: N_("Deleted")}
PROJECTION_SOURCES = {settlement_pb2.PROJECTION_SOURCE_CATALOG: N_("Catalog"),
                      settlement_pb2.PROJECTION_SOURCE_ENROLLMENT: N_("Enrolment")}


def named(table: dict, key) -> str:
    text = table.get(key)
    return g.catalogue.gettext(text) if text else ("" if key in (0, "", None) else str(key))


def link(**changes) -> str:
    """This page's URL with some parameters changed (None removes one); page 1 again
    unless the page is what changes."""
    values = {k: v for k, v in request.args.items() if v != ""}
    if "page" not in changes:
        values.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            values.pop(key, None)
        else:
            values[key] = str(value)
    query = urlencode(values)
    return request.path + (f"?{query}" if query else "")


def sort_link(column: str, default: str = "") -> tuple[str, str]:
    """(the URL that sorts by ``column``, the aria-sort of the column now)."""
    current = request.args.get("sort", default)
    if current == column:
        return link(sort=f"-{column}"), "ascending"
    if current == f"-{column}":
        return link(sort=column), "descending"
    return link(sort=column), "none"


def install(app: Flask) -> None:
    env = app.jinja_env
    env.filters.update(money=i18n.money, beijing=i18n.beijing, stamp=i18n.stamp_text, day=i18n.day_text)
    env.globals.update(
        named=named, link=link, sort_link=sort_link, ROLE_NAMES=ROLE_NAMES, LEVEL_NAMES=LEVEL_NAMES,
        SETTLEMENT_KINDS=SETTLEMENT_KINDS, BUSINESSES=BUSINESSES, DIFFERENCES=DIFFERENCES, CATEGORIES=CATEGORIES,
        ENROLMENT_CATEGORIES=ENROLMENT_CATEGORIES, ENROLMENT_STATES=ENROLMENT_STATES, CHARGE_CLASSES=CHARGE_CLASSES,
        CATALOG_CLASSES=CATALOG_CLASSES, ITEM_KINDS=ITEM_KINDS, ITEM_KIND_SLUGS=ITEM_KIND_SLUGS,
        MAPPING_SOURCES=MAPPING_SOURCES, ITEM_EVENTS=ITEM_EVENTS, AUDIT_KINDS=AUDIT_KINDS, OUTCOMES=OUTCOMES,
        HEALTH=HEALTH, USER_STATES=USER_STATES, PROJECTION_SOURCES=PROJECTION_SOURCES)
