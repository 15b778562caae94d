"""Reading import files: checks before anything is sent, rows, and progress on stderr
(a live line on a terminal, a line every few seconds otherwise, so that a log shows
the import is alive)."""

from __future__ import annotations

import codecs
import csv
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .context import CommandError


class NotUtf8(ValueError):
    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is not UTF-8 text")
        self.line = line


def count_data_lines(path: Path) -> int:
    """Rows in a CSV file (lines minus the header), counted fast; checks the whole file
    is UTF-8 first, so an import never stops half-way for an encoding error."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, last = 0, b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise NotUtf8(lines + chunk[: exc.start].count(b"\n") + 1) from None
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise NotUtf8(lines + 1) from None
    if last and last != b"\n":
        lines += 1
    return max(lines - 1, 0)


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
        share = f" ({self.done_rows / self.total:.0%})" if self.total else ""
        rate = self.done_rows / max(now - self.started, 1e-6)
        line = f"{self.label}: {self.done_rows:,}/{self.total:,} rows{share}, {rate:,.0f} rows/s"
        sys.stderr.write(("\r" + line) if self._tty else (line + "\n"))
        sys.stderr.flush()

    def done(self) -> None:
        if self._tty and not self.quiet and self._last:
            sys.stderr.write("\n")
            sys.stderr.flush()


def check_csv(path: Path, required: tuple[str, ...], columns: str) -> int:
    """The number of data rows; a clear error for a file that cannot be imported at all."""
    try:
        rows = count_data_lines(path)
    except NotUtf8 as exc:
        raise CommandError(f"{path}: {exc}; save the file as UTF-8") from None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = [name.strip() for name in next(csv.reader(handle), [])]
    missing = [column for column in required if column not in header]
    if missing:
        raise CommandError(f"{path}: the header lacks {', '.join(missing)} (columns: {columns})")
    return rows


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, values by column) of each data row; the header is line 1."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        reader.fieldnames = [name.strip() for name in (reader.fieldnames or [])]
        for values in reader:
            yield reader.line_num, {k: v or "" for k, v in values.items() if k and isinstance(v, str)}


def file_chunks(path: Path, progress: Progress, size: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes in chunks, advancing ``progress`` by the lines each one holds."""
    with path.open("rb") as handle:
        first = True
        for chunk in iter(lambda: handle.read(size), b""):
            lines = chunk.count(b"\n")
            if first:
                lines, first = max(lines - 1, 0), False  # the header
            yield chunk
            progress.advance(lines)
