"""Reading CSV files with line numbers kept, so every complaint can say where to look.

Python's ``csv`` module is used rather than pandas: it reports the physical line of each
row, and a malformed row becomes a :class:`DataError` with that line, not a parser trace.

The file is read once, streaming, in chunks of rows: a column whose cells are all numbers (or
missing) is turned into a float64 array chunk by chunk and its texts are dropped, so a 200 MB
table of numbers needs about its own size in memory, not twenty times it (one Python string
per cell). Only a regular file is opened (a named pipe or ``/dev/zero`` is refused at once) and
never more than :data:`MAX_BYTES` is read, whatever the file claims.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.userfiles import MIB, FileRefused, FileTooLarge, open_regular, too_large_message
from app.data.errors import DataError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
"""Cell texts read as "no value" (compared lower-case, spaces stripped)."""

MAX_BYTES = 200 * MIB
"""CSV files larger than this (200 MiB) are refused before reading, and reading stops there."""
CHUNK_ROWS = 2048
"""Rows converted to arrays at a time: bounds the Python strings alive at once. Small on purpose: fewer
row lists survive into the garbage collector's older generations (32,768 rows took 50 % more time)."""
MAX_SHARED = 65_536
"""Distinct texts per column stored once (see :meth:`_Columns._keep_texts`)."""
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


@dataclass
class CsvTable:
    path: str
    header: list[str]
    texts: list[list[str] | None]
    """Each column's cell texts; None for a column held only as :attr:`numbers`."""
    numbers: list[np.ndarray | None]
    """Each column's values as float64 (NaN = missing cell) when every cell is a finite number or
    missing; None when some cell is text (its texts are then in :attr:`texts`)."""
    lines: np.ndarray
    """The file line each row starts on (1-based; the header is line 1 when there is one)."""
    has_header: bool = True

    @property
    def row_count(self) -> int:
        return len(self.lines)

    def column(self, index: int) -> list[str]:
        """The cell texts of a column; a number column's are rebuilt from its values (missing = "")."""
        texts = self.texts[index]
        if texts is not None:
            return texts
        values = self.numbers[index]
        assert values is not None
        return ["" if math.isnan(v) else repr(v) for v in values.tolist()]


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


class _Limited(io.RawIOBase):
    """A byte stream that refuses to go past ``limit`` bytes: the hard stop behind :data:`MAX_BYTES`
    (a file that grows while read, or a size the file system reports wrongly, cannot push past it)."""

    def __init__(self, raw: io.BufferedReader, limit: int) -> None:
        super().__init__()
        self.raw = raw
        self.limit = limit
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer) or 0
        self.total += n
        if self.total > self.limit:
            raise FileTooLarge(too_large_message(self.total, self.limit, "CSV files"), self.total, self.limit)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def _to_numbers(cells: Sequence[str]) -> np.ndarray | None:
    """The cells as float64 (NaN where missing), or None when one is neither a finite number nor missing.
    ``np.array(..., dtype=float64)`` parses exactly as ``float()`` does, so the fast path agrees with
    :func:`as_number`; cells it cannot take (missing markers, inf) go through the exact rules."""
    try:
        values = np.array(cells, dtype=np.float64)
        if np.isfinite(values).all():
            return values
    except (ValueError, OverflowError):
        pass
    values = np.empty(len(cells), dtype=np.float64)
    for k, cell in enumerate(cells):
        if is_missing(cell):
            values[k] = np.nan
            continue
        number = as_number(cell)
        if number is None:
            return None
        values[k] = number
    return values


class _TextColumn(Exception):
    """A column held as numbers turned out to hold text after its first chunk: read again keeping its texts."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class _Columns:
    """Rows gathered a chunk at a time and stored by column (see :class:`CsvTable`)."""

    def __init__(self, width: int, keep_text: set[int] | None, decimal_comma: bool) -> None:
        every = keep_text is None
        self.numeric = [not every and j not in (keep_text or set()) for j in range(width)]
        self.parts: list[list[np.ndarray]] = [[] for _ in range(width)]
        self.texts: list[list[str]] = [[] for _ in range(width)]
        self.shared: list[dict[str, str] | None] = [{} for _ in range(width)]
        self.lines: list[np.ndarray] = []
        self.decimal_comma = decimal_comma

    def add(self, rows: list[list[str]], lines: list[int]) -> None:
        if not rows:
            return
        self.lines.append(np.array(lines, dtype=np.int32))  # a 200 MiB file has under 2^31 lines
        for j, cells in enumerate(zip(*rows, strict=True)):
            if self.decimal_comma:  # European files write 1,5 for 1.5
                cells = tuple(c.replace(",", ".") if _DECIMAL_COMMA.match(c) else c for c in cells)
            if self.numeric[j]:
                values = _to_numbers(cells)
                if values is not None:
                    self.parts[j].append(values)
                    continue
                if self.parts[j]:
                    raise _TextColumn(j)
                self.numeric[j] = False
            self._keep_texts(j, cells)

    def _keep_texts(self, j: int, cells: Sequence[str]) -> None:
        """Keep a text column's cells, one string object per distinct text while there are few (a label
        column of 5 million rows then costs a pointer per row, not a 60-byte string per row)."""
        shared = self.shared[j]
        if shared is not None:
            cells = [shared.setdefault(c, c) for c in cells]
            if len(shared) > MAX_SHARED:
                self.shared[j] = None  # names, ids, free text: sharing would only add a dictionary
        self.texts[j].extend(cells)

    def table(self, path: str, header: list[str], has_header: bool) -> CsvTable:
        numbers = [np.concatenate(p) if n else None for n, p in zip(self.numeric, self.parts, strict=True)]
        texts = [None if n else t for n, t in zip(self.numeric, self.texts, strict=True)]
        return CsvTable(path, header, texts, numbers, np.concatenate(self.lines), has_header)


def read_csv(path: str | Path, shown: str | None = None, *, numbers: bool = True) -> CsvTable:
    """All rows, by column. ``shown`` is how messages name the file (the path as the user wrote it).
    With ``numbers`` False every column keeps its texts (text tables)."""
    keep_text: set[int] | None = set() if numbers else None
    while True:
        try:
            return _read(Path(path), shown or str(path), keep_text)
        except _TextColumn as err:
            assert keep_text is not None
            keep_text.add(err.index)


def _read(path: Path, name: str, keep_text: set[int] | None) -> CsvTable:
    try:
        fh = open_regular(path)
    except OSError as err:
        raise DataError(f"cannot read the file ({err.strerror or err})", name) from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_BYTES:
            raise DataError(too_large_message(size, MAX_BYTES, "CSV files"), name)
        stream = io.TextIOWrapper(io.BufferedReader(_Limited(fh, MAX_BYTES), buffer_size=1 << 20),
                                  encoding="utf-8-sig", newline="")
        try:
            return _parse(stream, name, keep_text)
        except FileRefused as err:
            raise DataError(err.message, name) from None
        except UnicodeDecodeError:
            fh.seek(0)
            _decode(Path(name), fh.read(MAX_BYTES + 1))
            raise DataError("the file is not UTF-8 text: save the file as UTF-8", name) from None
        except OSError as err:
            raise DataError(f"cannot read the file ({err.strerror or err})", name) from None


def _parse(stream: Iterable[str], name: str, keep_text: set[int] | None) -> CsvTable:
    lines_in = iter(stream)
    seen: list[str] = []
    for text_line in lines_in:
        seen.append(text_line)
        if text_line.strip():
            break
    else:
        raise DataError("the file is empty", name)
    delimiter = _delimiter(seen[-1].splitlines()[0])
    reader = csv.reader(itertools.chain(seen, lines_in), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    columns: _Columns | None = None
    chunk: list[list[str]] = []
    chunk_lines: list[int] = []
    has_header = True
    width = -1
    line = 1
    try:
        for row in reader:
            if len(row) != width or not "".join(row).strip():
                if not "".join(row).strip():
                    line = reader.line_num + 1
                    continue
                if header is None:
                    width = len(row)
                    columns = _Columns(width, keep_text, delimiter == ";")
                    if all(as_number(cell) is not None for cell in row):
                        has_header = False
                        header = [f"column {i + 1}" for i in range(len(row))]
                    else:
                        header = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)]
                        _check_names(header, name, line)
                        line = reader.line_num + 1
                        continue
                else:
                    raise DataError(f"expected {len(header)} values, one per column of the "
                                    f"{'header' if has_header else 'first row'}, but found {len(row)}: check for a "
                                    "missing value or an unquoted comma (put text with commas in double quotes)",
                                    name, line)
            chunk.append(row)
            chunk_lines.append(line)
            line = reader.line_num + 1
            if len(chunk) >= CHUNK_ROWS:
                assert columns is not None
                columns.add(chunk, chunk_lines)
                chunk, chunk_lines = [], []
    except csv.Error as err:
        raise DataError(f"the file is not valid CSV here ({err}): check the quotes on this line", name,
                        line) from None
    if header is None or columns is None or not (chunk or columns.lines):
        raise DataError("the file has a header but no data rows", name)
    columns.add(chunk, chunk_lines)
    return columns.table(name, header, has_header)


def _check_names(header: list[str], name: str, line: int) -> None:
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise DataError("the header names this column twice: give every column its own name", name, line,
                            column)
        seen.add(column)


__all__ = ["MAX_BYTES", "MISSING", "CsvTable", "as_number", "is_missing", "read_csv"]
