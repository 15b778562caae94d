"""Reading import files as offices make them, and progress on stderr.

- CSV in UTF-8 (with or without the byte-order mark Excel writes) or in GBK/GB18030
  (what Excel saves in a Chinese locale), found out from the file or given with
  ``--encoding``; and Excel workbooks (``.xlsx``, the first sheet).
- Headers in the contract's column names or their Chinese names (农合目录编码, 参合证号,
  ...), in any case and order; other columns are ignored.
- Every row is checked for its number of cells against the header: a row with more or
  fewer cells than the header is its own error, never read as shifted values.

Progress: a live line on a terminal, a line every few seconds otherwise (so that a log
shows the import is alive), with the rate and the time left.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from .context import CommandError
from .i18n import _

UTF8, GB18030 = "utf-8", "gb18030"
# --encoding: GBK is a subset of GB18030, so both are read as GB18030.
ENCODINGS = {"utf-8": UTF8, "utf8": UTF8, "gbk": GB18030, "gb2312": GB18030, "gb18030": GB18030}
ENCODING_NAMES = {UTF8: "UTF-8", GB18030: "GBK/GB18030"}

CATALOG_ALIASES = {
    "nhbm": ("农合目录编码", "农合编码", "目录编码"), "mc": ("名称", "项目名称", "药品名称"),
    "gg": ("规格",), "jx": ("剂型",), "dw": ("单位",), "pzwh": ("批准文号",), "sfdj": ("收费等级",),
    "zfbl": ("自付比例",), "xj": ("限价",),
}
ENROLLMENT_ALIASES = {
    "chzh": ("参合证号",), "grbm": ("个人编码",), "xm": ("姓名",), "xb": ("性别",), "csrq": ("出生日期",),
    "sfzh": ("身份证号", "身份证号码"), "yhzgx": ("与户主关系",), "hzxm": ("户主姓名",), "jtdz": ("家庭地址",),
    "xzqh": ("行政区划", "行政区划代码"), "cbnd": ("参合年度",), "cbzt": ("参合状态",), "rylb": ("人员类别",),
}


class FileProblem(CommandError):
    """A file that cannot be read at all (as opposed to bad lines in it)."""


@dataclass
class Header:
    """The file's header: the column names as given, and as the contract names them."""

    given: list[str]
    names: list[str]  # canonical name per cell ("" for a column that is not used)
    cells: int = field(init=False)

    def __post_init__(self) -> None:
        self.cells = len(self.given)

    def line(self) -> str:
        """The header as a CSV line with the contract's names (unused columns keep theirs)."""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(
            [name or given for name, given in zip(self.names, self.given, strict=True)])
        return buffer.getvalue()


def map_header(given: list[str], aliases: dict[str, tuple[str, ...]], required: tuple[str, ...],
               path: Path) -> Header:
    lookup = {name: name for name in aliases}
    for name, others in aliases.items():
        lookup.update({other: name for other in others})
    names, seen = [], {}
    for text in given:
        cleaned = text.strip().strip('"').strip()
        name = lookup.get(cleaned) or lookup.get(cleaned.lower()) or ""
        if name and name in seen:
            raise FileProblem(_("{file}: the header names column {column} twice ({first} and {second})").format(
                file=path, column=name, first=seen[name], second=cleaned))
        if name:
            seen[name] = cleaned
        names.append(name)
    missing = [name for name in required if name not in seen]
    if missing:
        raise FileProblem(_("{file}: the header lacks {missing} (columns: {columns})").format(
            file=path, missing=", ".join(missing),
            columns=", ".join(f"{name} {others[0]}" for name, others in aliases.items())))
    return Header(given, names)


def column_count_problem(cells: int, header: Header) -> str:
    return _("{cells} cells where the header has {columns} columns (a shifted or split row?)").format(
        cells=cells, columns=header.cells)


# --- encodings ------------------------------------------------------------------------------

def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def scan_text(path: Path, encoding: str | None) -> tuple[str, int]:
    """The file's encoding and its number of data rows (lines minus the header), read
    once, fast; a file that is neither UTF-8 nor GBK/GB18030 is refused with the line
    that is not, so that an import never stops half-way for its encoding."""
    if encoding is not None:
        codec = ENCODINGS.get(encoding.lower().replace("_", "-"))
        if codec is None:
            raise click_bad_encoding(encoding)
        line = _first_undecodable(path, codec)
        if line:
            raise FileProblem(_("{file}: line {line} is not {encoding} text").format(
                file=path, line=line, encoding=ENCODING_NAMES[codec]))
        return codec, _rows(path)
    line, multibyte_before = _first_undecodable(path, UTF8, report_multibyte=True)
    if not line:
        return UTF8, _rows(path)
    if multibyte_before:  # UTF-8 text up to there: a damaged file, not another encoding
        raise FileProblem(_("{file}: line {line} is not UTF-8 text, though the lines before it are; "
                            "save the whole file again as UTF-8").format(file=path, line=line))
    gb_line = _first_undecodable(path, GB18030)
    if gb_line:
        raise FileProblem(_("{file}: line {line} is neither UTF-8 nor GBK/GB18030 text; save the file as "
                            "CSV UTF-8 (or give --encoding)").format(file=path, line=max(line, gb_line)))
    return GB18030, _rows(path)


def click_bad_encoding(encoding: str):
    import click

    return click.BadParameter(_("{encoding} is not one of utf-8, gbk, gb18030").format(encoding=encoding),
                              param_hint="--encoding")


def _first_undecodable(path: Path, codec: str, *, report_multibyte: bool = False):
    """The first line (from 1) that ``codec`` cannot decode, 0 if none; with
    ``report_multibyte`` also whether non-ASCII text decoded before it."""
    decoder = codecs.getincrementaldecoder(codec)()
    lines, multibyte = 0, False
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = lines + chunk[: exc.start].count(b"\n") + 1
                # Non-ASCII text on the lines before the bad one (not on the bad line itself).
                before = chunk[: exc.start].rpartition(b"\n")[0]
                multibyte = multibyte or not before.isascii()
                return (bad, multibyte) if report_multibyte else bad
            multibyte = multibyte or not chunk.isascii()
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return (lines + 1, multibyte) if report_multibyte else lines + 1
    return (0, multibyte) if report_multibyte else 0


def _rows(path: Path) -> int:
    lines, last = 0, b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def open_text(path: Path, codec: str):
    """The file as text (the UTF-8 byte-order mark dropped), for the csv module."""
    return path.open(encoding="utf-8-sig" if codec == UTF8 else codec, newline="")


# --- rows ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    line: int  # in the file (the header is line 1); an Excel sheet's row number
    values: dict[str, str]  # by the contract's column names
    cells: int  # cells on the line (trailing empty cells of a sheet not counted)


class TableFile:
    """A CSV file or a workbook's first sheet, with its header mapped."""

    def __init__(self, path: Path, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...],
                 encoding: str | None = None) -> None:
        self.path = path
        self.workbook = is_workbook(path)
        if self.workbook:
            if encoding is not None:
                raise click_bad_encoding_for_workbook()
            self.encoding, self.rows = "xlsx", _sheet_rows(path)
            given = next(self._sheet(), ([], 0))[0]
        else:
            self.encoding, self.rows = scan_text(path, encoding)
            with open_text(path, self.encoding) as handle:
                try:
                    given = next(csv.reader(handle), [])
                except csv.Error as exc:
                    raise FileProblem(_("{file}: line 1 is not CSV ({problem})").format(file=path, problem=exc)) \
                        from None
        self.header = map_header(given, aliases, required, path)

    def read(self) -> Iterator[Row]:
        names = self.header.names
        if self.workbook:
            for number, cells in enumerate(self._sheet_data(), start=2):
                if cells:
                    yield Row(number, {n: v for n, v in zip(names, cells, strict=False) if n}, len(cells))
            return
        with open_text(self.path, self.encoding) as handle:
            reader = csv.reader(handle)
            next(reader, None)
            try:
                for cells in reader:
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue  # an empty line
                    yield Row(reader.line_num, {n: v for n, v in zip(names, cells, strict=False) if n}, len(cells))
            except csv.Error as exc:
                raise FileProblem(_("{file}: line {line} is not CSV ({problem})").format(
                    file=self.path, line=reader.line_num, problem=exc)) from None

    def _sheet(self) -> Iterator[tuple[list[str], int]]:
        import openpyxl

        book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                cells = [cell_text(v) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                yield cells, len(cells)
        finally:
            book.close()

    def csv_chunks(self, progress: Progress, size: int = 1 << 20) -> Iterator[bytes]:
        """The file as UTF-8 CSV bytes with the contract's header names, in chunks,
        advancing ``progress`` by the lines each one holds (for streaming imports)."""
        if self.workbook:
            buffer, writer = io.StringIO(), None
            buffer.write(self.header.line())
            writer = csv.writer(buffer, lineterminator="\n")
            rows = 0
            for row in self._sheet_data():
                writer.writerow(row)
                rows += 1
                if buffer.tell() >= size:
                    yield buffer.getvalue().encode("utf-8")
                    progress.advance(rows)
                    buffer.seek(0)
                    buffer.truncate()
                    rows = 0
            yield buffer.getvalue().encode("utf-8")
            progress.advance(rows)
            return
        decoder = codecs.getincrementaldecoder("utf-8-sig" if self.encoding == UTF8 else self.encoding)()
        with self.path.open("rb") as handle:
            first = True
            for chunk in iter(lambda: handle.read(size), b""):
                text = decoder.decode(chunk)
                lines = text.count("\n")
                if first:
                    first = False
                    header_end = text.find("\n")
                    if header_end < 0:  # a header longer than a chunk: rare enough to read on
                        text += decoder.decode(handle.read(), final=True)
                        header_end = text.find("\n") if "\n" in text else len(text)
                        lines = text.count("\n")
                    text = self.header.line() + text[header_end + 1:]
                    lines = max(lines - 1, 0)
                yield text.encode("utf-8")
                progress.advance(lines)
            rest = decoder.decode(b"", final=True)
            if rest:
                yield rest.encode("utf-8")

    def _sheet_data(self) -> Iterator[list[str]]:
        """The sheet's data rows (empty rows as []): a row's empty cells at the end are
        no cells of a CSV line, so a row is padded to the header's width; filled cells
        beyond the header stay, and count as a wrong number of cells."""
        rows = self._sheet()
        next(rows, None)
        for cells, count in rows:
            yield cells + [""] * (self.header.cells - count) if count else []


def click_bad_encoding_for_workbook():
    import click

    return click.BadParameter(_("an Excel workbook has no text encoding; leave --encoding out"),
                              param_hint="--encoding")


def _sheet_rows(path: Path) -> int:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(_("{file}: not a readable Excel workbook ({problem})").format(file=path, problem=exc)) \
            from None
    try:
        sheet = book.worksheets[0]
        return max((sheet.max_row or 1) - 1, 0)
    finally:
        book.close()


def cell_text(value) -> str:
    """A sheet's cell as the text a CSV would hold: dates as yyyy-MM-dd, whole numbers
    without ".0" (codes and ID numbers typed as numbers), decimals as written."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, int):
        return str(value)
    return str(value).strip()


# --- progress ---------------------------------------------------------------------------------

class Progress:
    def __init__(self, label: str, total: int, *, quiet: bool = False) -> None:
        self.label = label
        self.total = total
        self.done_rows = 0
        self.quiet = quiet
        self.started = time.monotonic()
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def advance(self, rows: int) -> None:
        self.done_rows += rows
        now = time.monotonic()
        if self.quiet or (now - self._last < (0.2 if self._tty else 5.0) and self.done_rows < self.total):
            return
        self._last = now
        elapsed = max(now - self.started, 1e-6)
        rate = self.done_rows / elapsed
        line = _("{label}: {done:,}/{total:,} rows ({share:.0%}), {rate:,.0f} rows/s").format(
            label=self.label, done=self.done_rows, total=self.total,
            share=self.done_rows / self.total if self.total else 1, rate=rate)
        if rate and self.done_rows < self.total:
            line += ", " + _("about {time} left").format(time=duration((self.total - self.done_rows) / rate))
        sys.stderr.write(("\r" + line + "   ") if self._tty else (line + "\n"))
        sys.stderr.flush()

    def done(self) -> None:
        if self._tty and not self.quiet and self._last:
            sys.stderr.write("\n")
            sys.stderr.flush()


def duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return _("{s} s").format(s=seconds)
    if seconds < 3600:
        return _("{m} min {s} s").format(m=seconds // 60, s=seconds % 60)
    return _("{h} h {m} min").format(h=seconds // 3600, m=seconds % 3600 // 60)


# --- bad lines --------------------------------------------------------------------------------

def bad_line_rows(lines, columns) -> list[list]:
    """(line, column, reason) of each bad line; the column is the one the reason names."""
    rows = []
    for entry in lines:
        line, reason = entry
        first, _sep, rest = reason.partition(" ")
        column = first if first in columns else ""
        rows.append([line, column or "-", rest if column else reason])
    return rows


def show_bad_lines(lines, columns, *, err: bool) -> None:
    import click

    from .context import table

    rows = bad_line_rows(lines, columns)
    if err:
        for line, column, reason in rows:
            click.echo(_("line {line}, column {column}: {reason}").format(line=line, column=column, reason=reason),
                       err=True)
    else:
        table([_("line"), _("column"), _("reason")], rows)


def refused_import(ctx, service: str, exc, columns) -> Exception:
    """A refused import (E2001 with every bad line): each bad line on stderr, then the
    one-line error; with --json, the bad lines in the error object."""
    from .context import CommandError

    error = ctx.domain_error(exc)
    lines = [(int(v.field.split()[1]), v.description) for v in error.violations if v.field.startswith("line ")]
    if not lines:
        return ctx._explain(service, exc)
    if not ctx.json_output:
        show_bad_lines(lines, columns, err=True)
    return CommandError(error.text, getattr(error, "code", error.reason), {
        "bad_lines": [{"line": line, "column": column, "reason": reason}
                      for line, column, reason in bad_line_rows(lines, columns)]})
