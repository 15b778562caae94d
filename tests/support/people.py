"""Made-up insured people for tests and benchmarks: valid ID numbers, CSV rows."""

from __future__ import annotations

import csv
from pathlib import Path

from services.enrollment.records import COLUMNS
from services.enrollment.records import compose_id_number as id_number

__all__ = ["id_number", "row", "write"]


def row(card: str, member: str, name: str, year: int, status: str = "1", category: str = "1", *,
        sex: str = "1", birth: str = "1970-03-15", relation: str = "户主", head: str = "张三",
        address: str = "柳州市鱼峰区", region: str = "450203001", with_id: bool = True) -> dict:
    return {"chzh": card, "grbm": member, "xm": name, "xb": sex, "csrq": birth,
            "sfzh": id_number(region[:6], birth, int(member[-3:])) if with_id else "",
            "yhzgx": relation, "hzxm": head, "jtdz": address, "xzqh": region, "cbnd": str(year),
            "cbzt": status, "rylb": category}


def write(path: Path, rows: list[dict], columns=COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
