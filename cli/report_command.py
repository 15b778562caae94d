"""``ncms report``: the supervision report of a period, as CSV files and one HTML page.

Figures come from SupervisionService.GetReport, findings from ListFindings (streamed
and written as they arrive), hospital names from identity. CSV files are UTF-8 with a
byte-order mark, so Excel shows the Chinese text as it is.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import click

from . import charts
from .context import CommandError, Context, pass_context
from .i18n import _, ngettext

LEVELS = {1: "村卫生室", 2: "乡镇卫生院", 3: "县级", 4: "市级", 5: "省级及市外"}
HOSPITAL_COLUMNS = ["hospital_code", "hospital_name", "level", "visits", "stays", "visit_cost", "stay_cost",
                    "total_cost", "fund_paid", "self_paid_share", "average_visit_cost", "average_stay_cost",
                    "average_stay_days", "cost_per_stay_day", "refunded", "refund_rate",
                    "level_average_visit_cost", "level_average_stay_cost", "findings"]


def _date(value) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def write_findings(path: Path, findings, rules: dict, progress: bool) -> Counter:
    counts: Counter = Counter()
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["rule", "rule_name", "hospital_code", "subject", "member_id", "summary", "evidence",
                         "live_query"])
        for finding in findings:
            counts[(finding.hospital_code, finding.rule_code)] += 1
            live = (f"ncms inpatient query --hospital {finding.live_query.hospital_code} --zybh "
                    f"{finding.live_query.number}" if finding.HasField("live_query") else "")
            writer.writerow([finding.rule_code, rules[finding.rule_code].name, finding.hospital_code, finding.subject,
                             finding.member_id, finding.summary,
                             "; ".join(f"{k}={v}" for k, v in sorted(finding.evidence.items())), live])
            if progress and sum(counts.values()) % 10_000 == 0:
                click.echo("\r  " + _("{n:,} findings ...").format(n=sum(counts.values())), nl=False, err=True)
    if progress:
        click.echo("\r  " + _("{n:,} findings").format(n=sum(counts.values())) + "     ", err=True)
    return counts


@click.command(help=_("Supervision report of a period: CSV files and an HTML page.") + "\n\n" + _(
    "Figures per hospital, hospitals of the same level compared, the trend, and every rule's findings, "
    "with charts."))
@click.option("--period", required=True, help=_("A month (2026-05), a quarter (2026-Q2) or a year (2026)."))
@click.option("--hospital", default="", help=_("One hospital (default: every hospital)."))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=_("Directory for the CSV files and the HTML page (created if missing)."))
@pass_context
def report(ctx: Context, period: str, hospital: str, out_dir: Path) -> None:
    from ncms.identity.v1 import identity_pb2
    from ncms.settlement.v1 import supervision_pb2, supervision_pb2_grpc

    with ctx.calling("identity"):
        names = {h.code: h.name for h in ctx.identity.ListHospitals(identity_pb2.ListHospitalsRequest()).hospitals}
    if hospital and hospital not in names:
        raise CommandError(_("hospital {code} is not registered (`ncms hospital list` shows those that are); "
                             "no report was written").format(code=hospital), "E1007")
    supervision = ctx.stub("settlement", supervision_pb2_grpc.SupervisionServiceStub)
    progress = not ctx.json_output and sys.stderr.isatty()
    with ctx.calling("settlement"):
        figures = supervision.GetReport(supervision_pb2.GetReportRequest(period=period, hospital_code=hospital),
                                        timeout=3600)
        rules = {rule.code: rule for rule in supervision.ListRules(supervision_pb2.ListRulesRequest()).rules}
    out_dir.mkdir(parents=True, exist_ok=True)
    label = figures.period
    findings_path = out_dir / f"findings-{label}.csv"
    with ctx.calling("settlement"):
        counts = write_findings(findings_path, supervision.ListFindings(
            supervision_pb2.ListFindingsRequest(period=period, hospital_code=hospital), timeout=3600), rules, progress)
    levels = {level.hospital_level: level for level in figures.levels}
    rule_codes = sorted(rules)
    hospital_rows = []
    for h in figures.hospitals:
        level = levels.get(h.hospital_level)
        total = Decimal(h.visit_cost) + Decimal(h.stay_cost)
        hospital_rows.append([h.hospital_code, names.get(h.hospital_code, ""), h.hospital_level, h.visits, h.stays,
                              h.visit_cost, h.stay_cost, f"{total:f}", h.fund_paid, h.self_paid_share,
                              h.average_visit_cost, h.average_stay_cost, h.average_stay_days, h.cost_per_stay_day,
                              h.refunded, h.refund_rate, level.average_visit_cost if level else "",
                              level.average_stay_cost if level else "",
                              sum(counts[(h.hospital_code, code)] for code in rule_codes)]
                             + [counts[(h.hospital_code, code)] for code in rule_codes])
    files = [out_dir / f"report-{label}.csv", out_dir / f"levels-{label}.csv", out_dir / f"trend-{label}.csv",
             findings_path, out_dir / f"report-{label}.html"]
    _csv(files[0], HOSPITAL_COLUMNS + rule_codes, hospital_rows)
    _csv(files[1], ["level", "level_name", "hospitals", "average_visit_cost", "average_stay_cost",
                    "cost_per_stay_day", "self_paid_share"],
         [[v.hospital_level, LEVELS.get(v.hospital_level, ""), v.hospitals, v.average_visit_cost,
           v.average_stay_cost, v.cost_per_stay_day, v.self_paid_share] for v in figures.levels])
    _csv(files[2], ["start", "hospital_code", "visits", "stays", "cost", "fund_paid"],
         [[_date(p.start), p.hospital_code, p.visits, p.stays, p.cost, p.fund_paid] for p in figures.trend])
    files[4].write_text(html_page(figures, names, rules, counts, findings_path), encoding="utf-8")

    def human() -> None:
        click.echo(_("supervision report {period}: {hospitals}, {findings}").format(
            period=label,
            hospitals=ngettext("{n} hospital", "{n} hospitals", len(figures.hospitals)).format(n=len(figures.hospitals)),
            findings=ngettext("{n:,} finding", "{n:,} findings", sum(counts.values())).format(n=sum(counts.values()))))
        for path in files:
            click.echo(f"  {path}")

    ctx.emit({"period": label, "hospitals": len(figures.hospitals), "findings": sum(counts.values()),
              "files": [str(p) for p in files]}, human)


# --- the HTML page ---------------------------------------------------------------------------

def _money(text: str) -> float:
    return float(Decimal(text or "0"))


def html_page(figures, names: dict[str, str], rules: dict, counts: Counter, findings_path: Path) -> str:
    """The page (cli/templates/report.html): the figures worked out here, laid out there.
    The charts are SVG made by charts.py, which escapes every text it draws."""
    hospitals = list(figures.hospitals)
    cost = sum(Decimal(h.visit_cost) + Decimal(h.stay_cost) for h in hospitals)
    paid = sum(Decimal(h.fund_paid) for h in hospitals)

    def name(code: str) -> str:
        return f"{names.get(code, '')} ({code})" if names.get(code) else code

    days = sorted({_date(p.start) for p in figures.trend})
    by_day = {day: [0.0, 0.0] for day in days}
    for point in figures.trend:
        entry = by_day[_date(point.start)]
        entry[0] += _money(point.fund_paid)
        entry[1] += _money(point.cost)
    trend = charts.line_chart("总费用与基金支付 (元)", [d[5:] for d in days],
                              [("总费用", [by_day[d][1] for d in days]),
                               ("基金支付", [by_day[d][0] for d in days])], unit=" 元") if days else ""
    ranked = sorted(hospitals, key=lambda h: _money(h.fund_paid), reverse=True)[:30]
    by_fund = charts.bar_chart(f"基金支付最多的 {len(ranked)} 家医院 (元, 颜色表示医院级别)",
                               [name(h.hospital_code) for h in ranked], [_money(h.fund_paid) for h in ranked],
                               colours=[charts.LEVEL_COLOURS.get(h.hospital_level, "#888") for h in ranked])
    level_charts = []
    for level in figures.levels:
        group = sorted((h for h in hospitals if h.hospital_level == level.hospital_level and h.visits),
                       key=lambda h: _money(h.average_visit_cost), reverse=True)[:30]
        if group:
            level_charts.append(charts.bar_chart(
                f"{LEVELS.get(level.hospital_level, level.hospital_level)}: 次均门诊费用 (元)",
                [name(h.hospital_code) for h in group], [_money(h.average_visit_cost) for h in group],
                reference=(f"同级平均 {level.average_visit_cost}", _money(level.average_visit_cost))))
    by_rule: Counter = Counter()
    for (_hospital, code), count in counts.items():
        by_rule[code] += count
    codes = sorted(rules)
    levels = {v.hospital_level: v for v in figures.levels}
    rows = []
    for h in hospitals:
        level = levels.get(h.hospital_level)
        rows.append({
            "name": name(h.hospital_code), "level": h.hospital_level, "visits": h.visits, "stays": h.stays,
            "cost": Decimal(h.visit_cost) + Decimal(h.stay_cost), "fund_paid": Decimal(h.fund_paid),
            "self_paid_share": Decimal(h.self_paid_share), "average_visit_cost": h.average_visit_cost,
            "high": level is not None and _money(h.average_visit_cost) > 1.5 * _money(level.average_visit_cost),
            "average_stay_cost": h.average_stay_cost, "cost_per_stay_day": h.cost_per_stay_day,
            "refund_rate": Decimal(h.refund_rate), "findings": sum(counts[(h.hospital_code, c)] for c in codes)})
    return _template("report.html").render(
        label=figures.period, start=_date(figures.start), end=_date(figures.end),
        cards=[("医院", f"{len(hospitals)}"), ("门诊人次", f"{sum(h.visits for h in hospitals):,}"),
               ("住院人次", f"{sum(h.stays for h in hospitals):,}"), ("总费用 (元)", f"{cost:,.2f}"),
               ("基金支付 (元)", f"{paid:,.2f}"), ("自付比例", f"{(cost - paid) / cost if cost else 0:.1%}"),
               ("监管发现", f"{sum(counts.values()):,}")],
        trend=trend, by_fund=by_fund, level_charts=level_charts,
        levels=[{"name": LEVELS.get(v.hospital_level, str(v.hospital_level)), "hospitals": v.hospitals,
                 "average_visit_cost": v.average_visit_cost, "average_stay_cost": v.average_stay_cost,
                 "cost_per_stay_day": v.cost_per_stay_day, "self_paid_share": Decimal(v.self_paid_share)}
                for v in figures.levels],
        by_rule_chart=charts.bar_chart("各规则发现数", [f"{c} {rules[c].name}" for c in codes],
                                       [float(by_rule[c]) for c in codes], colours=charts.PALETTE),
        rules=[{"code": c, "name": rules[c].name, "description": rules[c].description, "count": by_rule[c]}
               for c in codes],
        findings_file=findings_path.name, hospitals=rows)


def _template(name: str):
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("cli", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return environment.get_template(name)
