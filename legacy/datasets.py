"""The DataSet codec: .NET ``System.Data.DataSet`` XML in and out (datasets.md).

Reading (``read``): a DataSet parameter element holds an optional inline
``xs:schema`` and a ``diffgr:diffgram`` whose child is the DataSet element, one
child per row named after its table, one child per non-null cell. The inline
schema is never trusted; rows found only under ``diffgr:before`` are ignored; the
row state comes from ``diffgr:hasChanges``. ``validate`` then parses each cell by
the table's column spec into plain rows, or refuses with E2001 naming the table,
row and column.

Writing (``write``): a result DataSet as .NET writes one — inline schema with
typed columns and ``msdata:IsDataSet="true"``, then a diffgram — which .NET reads
natively (without the schema, .NET silently reads no tables; without the diffgram,
no rows).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from lxml import etree

from runtime.errors import ContractError, FieldViolation

from .digest import DataSetCells
from .tables import DECIMAL, INTEGER, ResultTable, TableSpec

XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MSDATA = "urn:schemas-microsoft-com:xml-msdata"
DIFFGR = "urn:schemas-microsoft-com:xml-diffgram-v1"

_DIFFGRAM = f"{{{DIFFGR}}}diffgram"
_HAS_CHANGES = f"{{{DIFFGR}}}hasChanges"
_NIL = f"{{{XSI}}}nil"

@dataclass
class Row:
    """A current row as transmitted: cells in document order, text not trimmed."""

    cells: list[tuple[str, str | None]]
    state: str | None = None  # diffgr:hasChanges: "inserted", "modified" or None

    def value(self, column: str) -> str | None:
        for name, value in self.cells:
            if name == column:
                return value
        return None


@dataclass
class DataSet:
    """A DataSet parameter as received."""

    present: bool = False
    has_diffgram: bool = False
    tables: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def digest_cells(self) -> DataSetCells:
        """What the digest covers: every cell of every current row, as transmitted."""
        return {table: [row.cells for row in rows] for table, rows in self.tables.items()}


def _local(tag: object) -> str | None:
    if not isinstance(tag, str):
        return None  # a comment or processing instruction
    return tag.rsplit("}", 1)[-1]


def read(element: etree._Element | None) -> DataSet:
    """The DataSet in a parameter element (None or xsi:nil: not present)."""
    if element is None or element.get(_NIL) in ("true", "1"):
        return DataSet()
    dataset = DataSet(present=True)
    diffgram = next((child for child in element if child.tag == _DIFFGRAM), None)
    if diffgram is None:
        return dataset
    dataset.has_diffgram = True
    data = next((child for child in diffgram
                 if isinstance(child.tag, str) and not child.tag.startswith(f"{{{DIFFGR}}}")), None)
    if data is None:
        return dataset
    for row_element in data:
        table = _local(row_element.tag)
        if table is None:
            continue
        cells: list[tuple[str, str | None]] = []
        for cell in row_element:
            column = _local(cell.tag)
            if column is None or len(cell):  # nested rows of a related table are not cells
                continue
            cells.append((column, None if cell.get(_NIL) in ("true", "1") else (cell.text or "")))
        dataset.tables.setdefault(table, []).append(Row(cells, row_element.get(_HAS_CHANGES)))
    return dataset


def _bad(parameter: str, where: str, reason: str, field_path: str) -> ContractError:
    return ContractError("E2001", f"{parameter} {where}: {reason}" if where else f"{parameter}: {reason}",
                         [FieldViolation(field_path, reason)])


def validate(parameter: str, dataset: DataSet, spec: TableSpec, *, max_rows: int) -> list[dict]:
    """The rows of ``spec.name`` parsed and checked; E2001 names table, row and column.

    Each returned row maps column -> value (``None`` for a null cell); unknown
    columns are dropped; text is trimmed; the row state is under ``"_state"``.
    Rows are numbered from 1 in messages (第1行 is the first row).
    """
    if not dataset.present:
        raise _bad(parameter, "", "缺少数据集", parameter)
    if not dataset.has_diffgram:
        raise _bad(parameter, "", "数据集缺少 diffgram (数据行)", parameter)
    if dataset.row_count > max_rows:
        raise _bad(parameter, "", f"数据行过多 (最多{max_rows}行)", parameter)
    rows = dataset.tables.get(spec.name, [])
    if len(rows) < spec.min_rows:
        raise _bad(parameter, f"表{spec.name}", f"至少需要{spec.min_rows}行", f"{parameter}.{spec.name}")
    if spec.max_rows is not None and len(rows) > spec.max_rows:
        raise _bad(parameter, f"表{spec.name}", f"只能有{spec.max_rows}行", f"{parameter}.{spec.name}")
    parsed_rows = []
    for number, row in enumerate(rows, 1):
        values: dict[str, object] = {"_state": row.state}
        texts = {name: value for name, value in row.cells if name in spec.by_name}
        deleting = (texts.get("czlx") or "").strip() == "D"
        for column in spec.columns:
            raw = texts.get(column.name)
            text = None if raw is None else raw.strip()
            if not text:
                if column.required or (column.required_unless_delete and not deleting):
                    raise _bad(parameter, f"表{spec.name} 第{number}行 列{column.name}", "必填",
                               f"{parameter}.{spec.name}[{number - 1}].{column.name}")
                values[column.name] = None if raw is None else ""
                continue
            try:
                values[column.name] = column.parse(text)
            except ValueError as exc:
                raise _bad(parameter, f"表{spec.name} 第{number}行 列{column.name}", str(exc),
                           f"{parameter}.{spec.name}[{number - 1}].{column.name}") from None
        parsed_rows.append(values)
    return parsed_rows


# --- writing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    """A result DataSet: its tables with their rows (column -> value; None is null)."""

    tables: tuple[tuple[ResultTable, Sequence[Mapping[str, object]]], ...]
    name: str = "NewDataSet"

    def elements(self) -> list[etree._Element]:
        return write(self)


@lru_cache(maxsize=64)
def _schema(name: str, tables: tuple[ResultTable, ...]) -> etree._Element:
    schema = etree.Element(f"{{{XS}}}schema", nsmap={None: "", "xs": XS, "msdata": MSDATA})
    schema.set("id", name)
    dataset = etree.SubElement(schema, f"{{{XS}}}element", name=name)
    dataset.set(f"{{{MSDATA}}}IsDataSet", "true")
    dataset.set(f"{{{MSDATA}}}UseCurrentLocale", "true")
    choice = etree.SubElement(etree.SubElement(dataset, f"{{{XS}}}complexType"), f"{{{XS}}}choice",
                              minOccurs="0", maxOccurs="unbounded")
    for table in tables:
        table_element = etree.SubElement(choice, f"{{{XS}}}element", name=table.name)
        sequence = etree.SubElement(etree.SubElement(table_element, f"{{{XS}}}complexType"),
                                    f"{{{XS}}}sequence")
        for column, kind in table.columns:
            etree.SubElement(sequence, f"{{{XS}}}element", name=column, type=f"xs:{kind}",
                             minOccurs="0")
    return schema


def _text(value: object, kind: str) -> str:
    if kind == DECIMAL:
        if isinstance(value, str):  # a service's decimal text ("36.50"), written as it came
            return value
        if not isinstance(value, Decimal):
            raise TypeError(f"decimal column given {type(value).__name__}")
        return format(value, "f")
    if kind == INTEGER:
        return str(int(value))  # type: ignore[arg-type]
    return str(value)


def write(result: Result) -> list[etree._Element]:
    """[inline schema, diffgram] of ``result``."""
    schema = copy.deepcopy(_schema(result.name, tuple(t for t, _ in result.tables)))
    diffgram = etree.Element(_DIFFGRAM, nsmap={"msdata": MSDATA, "diffgr": DIFFGR})
    data = etree.SubElement(diffgram, result.name, nsmap={None: ""})
    for table, rows in result.tables:
        for index, values in enumerate(rows):
            row = etree.SubElement(data, table.name)
            row.set(f"{{{DIFFGR}}}id", f"{table.name}{index + 1}")
            row.set(f"{{{MSDATA}}}rowOrder", str(index))
            for column, kind in table.columns:
                value = values.get(column)
                if value is not None:
                    etree.SubElement(row, column).text = _text(value, kind)
    return [schema, diffgram]


def build_input(dataset_name: str, tables: Iterable[tuple[str, Sequence[Sequence[tuple[str, str | None]]]]],
                *, states: Mapping[tuple[str, int], str] | None = None) -> list[etree._Element]:
    """A DataSet parameter's children as a hand-building client would send them
    (diffgram only, no schema); for tests, benchmarks and the NCMS-side client."""
    diffgram = etree.Element(_DIFFGRAM, nsmap={"msdata": MSDATA, "diffgr": DIFFGR})
    data = etree.SubElement(diffgram, dataset_name, nsmap={None: ""})
    for table, rows in tables:
        for index, cells in enumerate(rows):
            row = etree.SubElement(data, table)
            row.set(f"{{{DIFFGR}}}id", f"{table}{index + 1}")
            row.set(f"{{{MSDATA}}}rowOrder", str(index))
            if states and (table, index) in states:
                row.set(_HAS_CHANGES, states[(table, index)])
            for column, value in cells:
                if value is not None:
                    etree.SubElement(row, column).text = value
    return [diffgram]
