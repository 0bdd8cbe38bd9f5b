"""Errors raised on bad input, before any compute is spent."""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad user input: names the file, the field and what was expected.

    Parameters
    ----------
    source : str or os.PathLike or None
        The file (or config) the bad value came from.
    field : str or None
        The dataset, key or option that is wrong.
    problem : str
        What is wrong and what was expected.
    """

    def __init__(self, source: str | os.PathLike | None, field: str | None, problem: str):
        self.source = None if source is None else str(source)
        self.field = field
        self.problem = problem
        where = ": ".join(p for p in (self.source, field) if p)
        super().__init__(f"{where}: {problem}" if where else problem)
