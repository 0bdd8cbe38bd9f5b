"""Config sections declared once: every key's default, the rule its value obeys, a line of help.

As scikit-learn's ``_parameter_constraints``, a :class:`Section` is a table of :class:`Key`
records, one per key, and everything else reads that table: the parser takes the keys (unknown
ones are errors) and the defaults from it, the validator the rules (:meth:`Section.check`),
``expact sections`` and the docs the help (:meth:`Section.describe`). A section *is* the dict
of its defaults, so ``TASKS["task3"].sections["attribution"] | spec.extra["attribution"]``
reads as before.

The rules say what a value must be (:class:`Integer`, :class:`Number`, :class:`Boolean`,
:class:`OneOf`, :class:`InputFile` ...), each raising :class:`toolkit.errors.InputError` with
``section.key``, the value and what was expected. Checks between the keys of one section (a
range's ends, indices below a count) are the section's ``checks``.

:func:`input_file_exists` is the one test of whether an input file is there: the
:class:`InputFile` rule (a file a config names must exist), the input checks, ``prepare`` and
the sweep (is the data set or the Tomtom target made yet?) and, through
:func:`require_input_file`, the readers of data sets and PFMs all ask it.

A leaf: it imports nothing of the toolkit but the error type, so the task records
(:mod:`toolkit.tasks`) declare their own sections with it.
"""

from __future__ import annotations

import importlib
import inspect
import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toolkit.errors import InputError

__all__ = [
    "Boolean",
    "DnaSequence",
    "Indices",
    "IndicesBelow",
    "InputFile",
    "Integer",
    "Key",
    "MappingOf",
    "NameList",
    "Number",
    "OneOf",
    "Optional",
    "Ordered",
    "Rule",
    "Section",
    "input_file_exists",
    "require_input_file",
]


def input_file_exists(path: str | os.PathLike) -> bool:
    """Whether the input file ``path`` is there (a folder is not a file).

    The one existence test of a file a config names (:class:`InputFile`) and of the shared
    inputs a sweep makes when they are not there yet (the data set, the Tomtom target).
    """
    return Path(path).is_file()


def require_input_file(path: str | os.PathLike, what: str = "file") -> Path:
    """``path`` as a Path; an :class:`InputError` naming it (``"<what> not found"``) when it
    is not there: the readers' check (data set, PFM) before they open a file."""
    if not input_file_exists(path):
        raise InputError(path, None, f"{what} not found")
    return Path(path)


# ------------------------------------------------------------------------------------ rules


class Rule:
    """What a key's value must be: ``rule(value, field, source)`` raises
    :class:`InputError` naming ``field``; ``str(rule)`` says it in words."""

    text = "any value"

    def __call__(self, value: Any, field: str, source: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text


def _is_int(value: Any) -> bool:
    # bool is an int subclass: `window: true` is a typo, not 1
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Integer(Rule):
    """An integer >= ``minimum`` (bools are not integers)."""

    minimum: int = 0

    @property
    def text(self) -> str:
        return "a positive integer" if self.minimum == 1 else f"an integer >= {self.minimum}"

    def __call__(self, value, field, source):
        if not _is_int(value) or value < self.minimum:
            raise InputError(source, field, f"expected {self.text}, got {value!r}")


@dataclass(frozen=True)
class Number(Rule):
    """A finite number in an interval (``[low, high)`` unless said otherwise).

    ``expected`` replaces the interval in the message (``"a number > 0"``); ``message`` the
    whole message (``{value!r}`` is the value).
    """

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = True
    expected: str | None = None
    message: str | None = None

    @property
    def text(self) -> str:
        if self.expected:
            return self.expected
        left = "(" if self.low_open else "["
        right = ")" if self.high_open or self.high == math.inf else "]"
        upper = "inf" if self.high == math.inf else f"{self.high:g}"
        return f"a finite number in {left}{self.low:g}, {upper}{right}"

    def __call__(self, value, field, source):
        ok = _is_real(value) and math.isfinite(value)
        if ok:
            ok = (value > self.low if self.low_open else value >= self.low) and (
                value < self.high if self.high_open else value <= self.high
            )
        if not ok:
            message = self.message or f"expected {self.text}, got {{value!r}}"
            raise InputError(source, field, message.format(value=value))


@dataclass(frozen=True)
class Boolean(Rule):
    """``true`` or ``false`` (not 0, 1 or a string)."""

    text = "true or false"

    def __call__(self, value, field, source):
        if not isinstance(value, bool):
            raise InputError(source, field, f"expected true or false, got {value!r}")


@dataclass(frozen=True)
class OneOf(Rule):
    """One of ``choices``; ``message`` (``{value!r}``, ``{choices}``) replaces the default
    ``expected one of [...], got ...``."""

    choices: tuple
    message: str | None = None

    @property
    def text(self) -> str:
        return "one of " + ", ".join(map(str, self.choices))

    def __call__(self, value, field, source):
        if value not in self.choices:
            message = self.message or "expected one of {choices_list}, got {value!r}"
            raise InputError(
                source,
                field,
                message.format(value=value, choices=self.choices, choices_list=list(self.choices)),
            )


@dataclass(frozen=True)
class InputFile(Rule):
    """A path of an input file, or null (a default is used); a given file must exist."""

    text = "a file path (it must exist) or null"

    def __call__(self, value, field, source):
        if value is None:
            return
        if not isinstance(value, str) or not value.strip():
            raise InputError(source, field, f"expected a file path or null, got {value!r}")
        if not input_file_exists(value):
            problem = "is a folder" if Path(value).is_dir() else "does not exist"
            raise InputError(source, field, f"file {value} {problem}")


@dataclass(frozen=True)
class MappingOf(Rule):
    """A mapping (what it holds is checked elsewhere: ``what`` says where)."""

    what: str = "a mapping"

    @property
    def text(self) -> str:
        return self.what

    def __call__(self, value, field, source):
        if not isinstance(value, dict):
            raise InputError(source, field, f"expected a mapping, got {value!r}")


@dataclass(frozen=True)
class NameList(Rule):
    """A non-empty list of distinct names out of ``choices`` (``what``: one of them)."""

    choices: tuple
    what: str = "name"

    @property
    def text(self) -> str:
        return f"a non-empty list of {', '.join(self.choices)}"

    def __call__(self, value, field, source):
        valid = list(self.choices)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise InputError(source, field, f"expected a non-empty list of {valid}")
        unknown = [v for v in value if v not in self.choices]
        if unknown:
            raise InputError(source, field, f"unknown {self.what} {unknown[0]!r}; valid: {valid}")
        if len(set(value)) != len(value):
            raise InputError(source, field, f"{self.what}s repeated in {value}")


@dataclass(frozen=True)
class Indices(Rule):
    """A list of integer indices >= 0."""

    text = "a list of integers >= 0"

    def __call__(self, value, field, source):
        bad = [i for i in value if not _is_int(i) or i < 0]
        if bad:
            raise InputError(source, field, f"{bad} are not indices (expected integers >= 0)")


@dataclass(frozen=True)
class DnaSequence(Rule):
    """A DNA sequence: letters A, C, G, T, N (any case); empty is none."""

    text = "a DNA sequence of A, C, G, T, N (empty: none)"

    def __call__(self, value, field, source):
        odd = sorted(set(value.upper()) - set("ACGTN"))
        if odd:
            raise InputError(
                source, field, f"expected a DNA sequence of A, C, G, T, N; found {''.join(odd)!r}"
            )


@dataclass(frozen=True)
class Optional(Rule):
    """Null, or a value ``rule`` accepts."""

    rule: Rule

    @property
    def text(self) -> str:
        return f"{self.rule} or null"

    def __call__(self, value, field, source):
        if value is not None:
            self.rule(value, field, source)


@dataclass(frozen=True)
class Custom(Rule):
    """A rule of its own: ``check(value, field, source)``, described by ``text``."""

    check: Callable[[Any, str, Any], None]
    text: str = "see its check"

    def __call__(self, value, field, source):
        self.check(value, field, source)


# ---------------------------------------------------------------- checks between keys


@dataclass(frozen=True)
class Ordered:
    """Section check: ``values[low] < values[high]`` (a plotted range), named on ``low``."""

    low: str
    high: str

    def __call__(self, values: dict, name: str, source: Any) -> None:
        start, end = values[self.low], values[self.high]
        if not start < end:
            raise InputError(
                source,
                f"{name}.{self.low}",
                f"expected {self.low} < {self.high}, got {start}, {end}",
            )

    def __str__(self) -> str:
        return f"{self.low} < {self.high}"


@dataclass(frozen=True)
class IndicesBelow:
    """Section check: the indices ``values[key]`` are integers in ``0 .. values[count] - 1``."""

    key: str
    count: str

    def __call__(self, values: dict, name: str, source: Any) -> None:
        count = values[self.count]
        bad = [i for i in values[self.key] if not _is_int(i) or i < 0 or i >= count]
        if bad:
            raise InputError(
                source,
                f"{name}.{self.key}",
                f"{bad} are not indices into the first {self.count}={count} sequences "
                f"(expected integers 0..{count - 1})",
            )

    def __str__(self) -> str:
        return f"{self.key} below {self.count}"


# ------------------------------------------------------------------------- keys, sections


@dataclass(frozen=True)
class Key:
    """One key of a section: its default, the rule its value obeys (None: any value of the
    default's type, for a task's own sections) and a line of help.

    ``omit_default``: a key added after runs were made is left out of a run spec while it
    holds its default (:meth:`Section.spec_values`), so the specs of those runs keep their
    hashes; steps read it as ``section | spec.extra[name]`` and get the default back.
    """

    default: Any
    rule: Rule | None = None
    help: str = ""
    omit_default: bool = False


SectionCheck = Callable[[dict, str, Any], None] | str


class Section(dict):
    """A config section: the dict of its defaults, declared key by key.

    Parameters
    ----------
    keys : mapping
        Key name -> :class:`Key`, or a bare default (a key whose value takes the default's
        type, without further rule or help).
    checks : iterable
        Checks between the keys, run after every key's rule: ``fn(values, name, source)``,
        or ``"package.module:function"`` naming one (resolved when called).
    """

    def __init__(self, keys: Mapping[str, Any] | None = None, checks: Iterable[SectionCheck] = ()):
        declared = {k: v if isinstance(v, Key) else Key(v) for k, v in (keys or {}).items()}
        super().__init__({k: key.default for k, key in declared.items()})
        self.declared: dict[str, Key] = declared
        self.checks: tuple[SectionCheck, ...] = tuple(checks)

    def with_defaults(self, **defaults: Any) -> Section:
        """The same section with other defaults for some keys (their rules kept)."""
        unknown = sorted(set(defaults) - set(self.declared))
        if unknown:
            raise KeyError(f"no such key: {unknown}")
        keys = {
            k: replace(key, default=defaults[k]) if k in defaults else key
            for k, key in self.declared.items()
        }
        return Section(keys, self.checks)

    def spec_values(self, values: Mapping) -> dict:
        """``values`` without the keys declared ``omit_default`` that hold their default."""
        return {
            k: v
            for k, v in values.items()
            if not (k in self.declared and self.declared[k].omit_default and v == self[k])
        }

    def reject_unknown(
        self, given: Mapping, name: str, source: Any, problem: str | None = None
    ) -> None:
        """Raise on the first key of ``given`` (sorted) that the section does not declare.

        ``problem`` (``{valid}``: the declared keys) replaces ``unknown key; valid keys:
        [sorted keys]``.
        """
        bad = sorted(set(given) - set(self.declared), key=str)
        if bad:
            message = problem or "unknown key; valid keys: {valid}"
            raise InputError(
                source, f"{name}.{bad[0]}", message.format(valid=sorted(self.declared))
            )

    def check_types(self, given: Mapping, name: str, source: Any) -> None:
        """Each given value has its default's type (ints pass as floats, bools never; a null
        default takes anything): the first check of a task's own sections."""
        for key, value in given.items():
            default = self.declared[key].default
            kind = type(default)
            ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
            if kind is float:
                ok = _is_real(value)
            if default is not None and not ok:
                raise InputError(
                    source,
                    f"{name}.{key}",
                    f"expected {kind.__name__} (like {default!r}), got {value!r}",
                )

    def check(self, values: Mapping, name: str, source: Any) -> None:
        """Every key's rule on ``values`` (defaults merged in), then the section's checks."""
        for key, declared in self.declared.items():
            if declared.rule is not None and key in values:
                declared.rule(values[key], f"{name}.{key}", source)
        for check in self.checks:
            _resolved(check)(dict(values), name, source)

    def describe(self, name: str) -> list[str]:
        """Lines of help: ``name.key: default; rule. help`` per key, then the checks."""
        lines = []
        for key, declared in self.declared.items():
            rule = declared.rule or f"of the default's type ({type(declared.default).__name__})"
            text = f"{name}.{key}: default {declared.default!r}; {rule}"
            lines.append(text + (f". {declared.help}" if declared.help else ""))
        lines += [f"{name}: {_check_text(check)}" for check in self.checks]
        return lines


def _check_text(check: SectionCheck) -> str:
    """A check in words: its own text, else its docstring's first line, else its name."""
    if isinstance(check, str):
        check = _resolved(check)
    if inspect.isfunction(check):
        return (inspect.getdoc(check) or check.__name__).splitlines()[0]
    return str(check)


def _resolved(check: SectionCheck) -> Callable[[dict, str, Any], None]:
    if isinstance(check, str):
        module, _, function = check.partition(":")
        return getattr(importlib.import_module(module), function)
    return check
