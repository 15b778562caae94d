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
from html import escape
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

STYLE = """
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: .2em; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .7em 1.2em; min-width: 9em; }
.card b { display: block; font-size: 1.4em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: right; }
th { background: #f3f5f7; } td.text { text-align: left; }
td.high { background: #fde2e1; }
svg.chart { width: 100%; max-width: 760px; margin: 1em 0; font-size: 11px; }
svg .title { font-size: 14px; font-weight: bold; } svg .value, svg .axis { fill: #555; }
svg .grid { stroke: #eee; } svg .reference { stroke: #b8484e; stroke-dasharray: 4 3; }
svg .reference-label { fill: #b8484e; }
"""


def _money(text: str) -> float:
    return float(Decimal(text or "0"))


def html_page(figures, names: dict[str, str], rules: dict, counts: Counter, findings_path: Path) -> str:
    hospitals = list(figures.hospitals)
    label = figures.period
    visits = sum(h.visits for h in hospitals)
    stays = sum(h.stays for h in hospitals)
    cost = sum(Decimal(h.visit_cost) + Decimal(h.stay_cost) for h in hospitals)
    paid = sum(Decimal(h.fund_paid) for h in hospitals)
    share = (cost - paid) / cost if cost else Decimal(0)
    finding_total = sum(counts.values())

    def name(code: str) -> str:
        return f"{names.get(code, '')} ({code})" if names.get(code) else code

    parts = [f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>新农合监管报告 {escape(label)}"
             f"</title><style>{STYLE}</style></head><body>",
             f"<h1>新农合监管报告 · {escape(label)}</h1>",
             f"<p>{_date(figures.start)} 至 {_date(figures.end)} (不含), 按结算时间 (北京时间); 已退费的结算不计入费用.</p>",
             '<div class="cards">']
    for title, value in (("医院", f"{len(hospitals)}"), ("门诊人次", f"{visits:,}"), ("住院人次", f"{stays:,}"),
                         ("总费用 (元)", f"{cost:,.2f}"), ("基金支付 (元)", f"{paid:,.2f}"),
                         ("自付比例", f"{share:.1%}"), ("监管发现", f"{finding_total:,}")):
        parts.append(f'<div class="card">{escape(title)}<b>{escape(value)}</b></div>')
    parts.append("</div>")

    # the trend
    days = sorted({_date(p.start) for p in figures.trend})
    by_day = {day: [0.0, 0.0] for day in days}
    for point in figures.trend:
        entry = by_day[_date(point.start)]
        entry[0] += _money(point.fund_paid)
        entry[1] += _money(point.cost)
    parts.append("<h2>趋势</h2>")
    if days:
        parts.append(charts.line_chart("总费用与基金支付 (元)", [d[5:] for d in days],
                                       [("总费用", [by_day[d][1] for d in days]),
                                        ("基金支付", [by_day[d][0] for d in days])], unit=" 元"))

    # hospitals
    ranked = sorted(hospitals, key=lambda h: _money(h.fund_paid), reverse=True)[:30]
    parts.append("<h2>各医院基金支付</h2>")
    parts.append(charts.bar_chart(f"基金支付最多的 {len(ranked)} 家医院 (元, 颜色表示医院级别)",
                                  [name(h.hospital_code) for h in ranked], [_money(h.fund_paid) for h in ranked],
                                  colours=[charts.LEVEL_COLOURS.get(h.hospital_level, "#888") for h in ranked]))

    # the same level compared
    parts.append("<h2>同级医院比较</h2>")
    for level in figures.levels:
        group = sorted((h for h in hospitals if h.hospital_level == level.hospital_level and h.visits),
                       key=lambda h: _money(h.average_visit_cost), reverse=True)[:30]
        if group:
            parts.append(charts.bar_chart(
                f"{LEVELS.get(level.hospital_level, level.hospital_level)}: 次均门诊费用 (元)",
                [name(h.hospital_code) for h in group], [_money(h.average_visit_cost) for h in group],
                reference=(f"同级平均 {level.average_visit_cost}", _money(level.average_visit_cost))))
    parts.append("<table><tr><th>级别</th><th>医院数</th><th>次均门诊费用</th><th>次均住院费用</th>"
                 "<th>住院日均费用</th><th>自付比例</th></tr>")
    for level in figures.levels:
        parts.append(f"<tr><td class=\"text\">{escape(LEVELS.get(level.hospital_level, str(level.hospital_level)))}"
                     f"</td><td>{level.hospitals}</td><td>{level.average_visit_cost}</td>"
                     f"<td>{level.average_stay_cost}</td><td>{level.cost_per_stay_day}</td>"
                     f"<td>{Decimal(level.self_paid_share):.1%}</td></tr>")
    parts.append("</table>")

    # findings
    parts.append("<h2>监管发现</h2>")
    by_rule = Counter()
    for (_hospital, code), count in counts.items():
        by_rule[code] += count
    codes = sorted(rules)
    parts.append(charts.bar_chart("各规则发现数", [f"{c} {rules[c].name}" for c in codes],
                                  [float(by_rule[c]) for c in codes], colours=charts.PALETTE))
    parts.append("<table><tr><th>规则</th><th>说明</th><th>发现</th></tr>")
    for code in codes:
        parts.append(f"<tr><td class=\"text\">{code} {escape(rules[code].name)}</td>"
                     f"<td class=\"text\">{escape(rules[code].description)}</td><td>{by_rule[code]:,}</td></tr>")
    parts.append(f"</table><p>每条发现及其证据: <code>{escape(findings_path.name)}</code>.</p>")

    # the table of every hospital
    parts.append("<h2>各医院指标</h2><table><tr><th>医院</th><th>级别</th><th>门诊人次</th><th>住院人次</th>"
                 "<th>总费用</th><th>基金支付</th><th>自付比例</th><th>次均门诊</th><th>次均住院</th>"
                 "<th>住院日均</th><th>退费率</th><th>发现</th></tr>")
    for h in hospitals:
        level = next((v for v in figures.levels if v.hospital_level == h.hospital_level), None)
        high = level is not None and _money(h.average_visit_cost) > 1.5 * _money(level.average_visit_cost)
        found = sum(counts[(h.hospital_code, code)] for code in codes)
        parts.append(
            f"<tr><td class=\"text\">{escape(name(h.hospital_code))}</td><td>{h.hospital_level}</td>"
            f"<td>{h.visits:,}</td><td>{h.stays:,}</td>"
            f"<td>{Decimal(h.visit_cost) + Decimal(h.stay_cost):,.2f}</td><td>{Decimal(h.fund_paid):,.2f}</td>"
            f"<td>{Decimal(h.self_paid_share):.1%}</td><td class=\"{'high' if high else ''}\">{h.average_visit_cost}"
            f"</td><td>{h.average_stay_cost}</td><td>{h.cost_per_stay_day}</td>"
            f"<td>{Decimal(h.refund_rate):.1%}</td><td>{found:,}</td></tr>")
    parts.append("</table></body></html>")
    return "".join(parts)
