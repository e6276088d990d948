"""`Setting`: one user-facing value's type, range and help, declared once, next to the value.

The same record checks a value (validate(), the data loaders, the layer-spec checks) and describes it
to clients (the `Param` maps of model.list and data.list, protocol/README.md §5), so a stated range
and the range actually enforced cannot drift apart. Dataclass fields carry theirs in
`field(metadata=...)` (see `described`); loaders and layer types keep a {name: Setting} table.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from vaestudio import checks
from vaestudio.errors import ConfigError, UserError

TYPES = ("int", "float", "bool", "choice", "int_list", "layers", "string", "path", "label_list", "size")
METADATA_KEY = "setting"


@dataclass(frozen=True)
class Setting:
    type: str  # one of TYPES
    help: str  # one sentence for the user
    min: float | None = None  # inclusive bounds (per element for int_list), None: unbounded
    max: float | None = None
    choices: tuple = ()  # "choice" only
    unit: str | None = None  # e.g. "steps", "nats"
    nullable: bool = False  # nil is accepted too (off, or inferred from the data)
    exclusive: bool = False  # min and max themselves are refused (a fraction strictly inside 0..1)
    required: bool = False  # must be given; there is no default
    items: tuple[int, int] | None = None  # int_list: the fewest and most elements

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.type
        assert self.help.endswith("."), f"help must be a sentence: {self.help!r}"

    def check(self, label: str, value: Any, error: type[UserError] = ConfigError) -> Any:
        """`value` in its canonical type, or `error` naming `label` and what is accepted."""
        if value is None and self.nullable:
            return None
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        if self.type == "int":
            return checks.integer(label, value, lo, hi, error)
        if self.type == "float":
            v = checks.number(label, value, lo, hi, error)
            if self.exclusive and v in (lo, hi):
                raise error(f"{label} must be a number between {lo:g} and {hi:g} (exclusive), got {value!r}")
            return v
        if self.type == "bool":
            return checks.boolean(label, value, error)
        if self.type == "choice":
            return checks.choice(label, value, self.choices, error)
        if self.type in ("string", "path"):
            return checks.text(label, value, error)
        if self.type == "int_list":
            return self._int_list(label, value, int(lo), int(hi), error)
        raise AssertionError(f"{self.type} settings are checked by their owner ({label})")

    def _int_list(self, label: str, value: Any, lo: int, hi: int, error: type[UserError]) -> tuple[int, ...]:
        fewest, most = self.items or (1, None)
        if isinstance(value, (list, tuple)) and not (fewest <= len(value) <= (most or len(value))):
            count = f"{fewest} to {most}" if most else f"at least {fewest}"
            raise error(f"{label} must be a list of {count} integers from {lo} to {hi}, got {value!r}")
        if not value and fewest == 0 and isinstance(value, (list, tuple)):
            return ()
        return checks.int_list(label, value, lo, hi, error)

    def describe(self, default: Any) -> dict[str, Any]:
        """The wire `Param` map: type, default, help, and the bounds, choices and flags that apply."""
        out: dict[str, Any] = {"type": self.type, "default": _plain(default), "help": self.help}
        number = float if self.type == "float" else int  # msgpack keeps int and float apart
        for key in ("min", "max"):
            if getattr(self, key) is not None:
                out[key] = number(getattr(self, key))
        if self.unit is not None:
            out["unit"] = self.unit
        if self.type == "choice":
            out["choices"] = list(self.choices)
        if self.items is not None:
            out["min_items"], out["max_items"] = self.items
        for flag in ("nullable", "exclusive", "required"):
            if getattr(self, flag):
                out[flag] = True
        return out


def _plain(value: Any) -> Any:
    """Tuples as lists, so a default travels like the values clients send."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ----- constructors, so a declaration reads like the range it states -------------------------------
def integer(lo: int | None, hi: int | None, help: str, **kw: Any) -> Setting:
    return Setting("int", help, lo, hi, **kw)


def number(lo: float | None, hi: float | None, help: str, **kw: Any) -> Setting:
    return Setting("float", help, lo, hi, **kw)


def choice(choices: tuple, help: str, **kw: Any) -> Setting:
    return Setting("choice", help, choices=tuple(choices), **kw)


def flag(help: str, **kw: Any) -> Setting:
    return Setting("bool", help, **kw)


def int_list(lo: int, hi: int, help: str, **kw: Any) -> Setting:
    return Setting("int_list", help, lo, hi, **kw)


# ----- dataclass fields ------------------------------------------------------------------------------
def described(default: Any, setting: Setting) -> Any:
    """A dataclass field with `default` whose Setting rides in its metadata."""
    return dataclasses.field(default=default, metadata={METADATA_KEY: setting})


def field_settings(cls: type) -> dict[str, tuple[Setting, Any]]:
    """{field: (Setting, default)} for the fields of dataclass `cls` that carry a Setting."""
    return {f.name: (f.metadata[METADATA_KEY], f.default) for f in dataclasses.fields(cls)
            if METADATA_KEY in f.metadata}


def check_fields(obj: Any, label: str = "{}") -> dict[str, Any]:
    """Checks every described field of dataclass instance `obj`; returns {field: canonical value}.
    `label` formats each field's name for messages (e.g. "model 'iwae': parameter '{}'")."""
    return {name: setting.check(label.format(name), getattr(obj, name))
            for name, (setting, _) in field_settings(type(obj)).items()}
