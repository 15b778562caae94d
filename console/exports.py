"""A list as a file: CSV in UTF-8 with the byte-order mark (Excel opens it as UTF-8 on
a Chinese Windows) or an Excel workbook (.xlsx), with the headings people read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import Response

FORMATS = ("csv", "xlsx")
MAX_ROWS = 50_000


def _safe(value) -> object:
    """A cell that a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(value):
        return "'" + value
    return "" if value is None else value


def _number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def export(name: str, file_format: str, headings: Sequence[str], rows: Iterable[Sequence]) -> Response:
    filename = f"{name}.{file_format}"
    disposition = f"attachment; filename=\"{filename.encode('ascii', 'replace').decode()}\"; " \
                  f"filename*=UTF-8''{quote(filename)}"
    if file_format == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        sheet.append(list(headings))
        for row in rows:
            sheet.append([_safe(cell) for cell in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return Response(buffer.getvalue(), headers={"Content-Disposition": disposition},
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headings)
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return Response("\ufeff" + text.getvalue(), headers={"Content-Disposition": disposition},
                    mimetype="text/csv", content_type="text/csv; charset=utf-8")
