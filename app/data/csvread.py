"""Reading CSV files with line numbers kept, so every complaint can say where to look.

Python's ``csv`` module is used rather than pandas: it reports the physical line of each
row, and a malformed row becomes a :class:`DataError` with that line, not a parser trace.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from app.data.errors import DataError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
"""Cell texts read as "no value" (compared lower-case, spaces stripped)."""

MAX_BYTES = 200 * 1024 * 1024
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


@dataclass
class CsvTable:
    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    """The file line each row starts on (1-based; the header is line 1 when there is one)."""
    has_header: bool = True

    def column(self, index: int) -> list[str]:
        return [row[index] for row in self.rows]


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def as_number(cell: str) -> float | None:
    """The cell's number, or None when it is not one (missing values are checked first by callers)."""
    try:
        value = float(cell.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise DataError(f"byte 0x{data[err.start]:02x} is not UTF-8 text: save the file as UTF-8 (in a spreadsheet: "
                        "'CSV UTF-8')", path, line) from None


def _delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses semicolons (European spreadsheets) or tabs."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def read_csv(path: str | Path, shown: str | None = None) -> CsvTable:
    """All rows as text. ``shown`` is how messages name the file (the path as the user wrote it)."""
    path = Path(path)
    name = shown or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(f"the file is {size / 1e6:.0f} MB; Layerforge reads CSV files up to "
                            f"{MAX_BYTES // (1024 * 1024)} MB", name)
        text = _decode(Path(name), path.read_bytes())
    except OSError as err:
        raise DataError(f"cannot read the file ({err.strerror or err})", name) from None
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise DataError("the file is empty", name)
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    has_header = True
    line = 1
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                line = reader.line_num + 1
                continue
            if header is None:
                if all(as_number(cell) is not None for cell in row):
                    has_header = False
                    header = [f"column {i + 1}" for i in range(len(row))]
                else:
                    header = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)]
                    _check_names(header, name, line)
                    line = reader.line_num + 1
                    continue
            if len(row) != len(header):
                raise DataError(f"expected {len(header)} values, one per column of the "
                                f"{'header' if has_header else 'first row'}, but found {len(row)}: check for a "
                                "missing value or an unquoted comma (put text with commas in double quotes)",
                                name, line)
            if delimiter == ";":  # European files write 1,5 for 1.5
                row = [cell.replace(",", ".") if _DECIMAL_COMMA.match(cell) else cell for cell in row]
            rows.append(row)
            lines.append(line)
            line = reader.line_num + 1
    except csv.Error as err:
        raise DataError(f"the file is not valid CSV here ({err}): check the quotes on this line", name,
                        line) from None
    if header is None or not rows:
        raise DataError("the file has a header but no data rows", name)
    return CsvTable(name, header, rows, lines, has_header)


def _check_names(header: list[str], name: str, line: int) -> None:
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise DataError("the header names this column twice: give every column its own name", name, line,
                            column)
        seen.add(column)


__all__ = ["MISSING", "CsvTable", "as_number", "is_missing", "read_csv"]
