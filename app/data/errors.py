"""The two ways data can fail: it cannot be read (:class:`DataError`), or it does not fit the model
(:class:`DataMismatch`). Both carry text a student can act on, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterable


class DataError(Exception):
    """Data that cannot be loaded, with where it went wrong (file, line, column) when known."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None, line: int | None = None,
                 column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = [part for part in (self.path, f"line {self.line}" if self.line is not None else None,
                                   f"column {self.column!r}" if self.column is not None else None) if part]
        return f"{', '.join(where)}: {self.message}" if where else self.message


class DataMismatch(Exception):
    """The data and the model disagree; ``problems`` lists every disagreement with its fix."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return "the data does not fit the model:\n" + "\n".join(f"- {p}" for p in self.problems)


__all__ = ["DataError", "DataMismatch"]
