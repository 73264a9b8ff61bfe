"""train.py's hyperparameters, read from training/hyperparameters.json.

That table is the one definition of each hyperparameter (flag name, type, default, allowed values,
tuning range); the Pulumi program reads the same file to build the stack config schema and the
jobs' hyperparameters. It ships beside train.py in the code archive, so the job reads the very
table the program was deployed with. Nothing here repeats a name, a default or a range.

Values arrive as strings: SageMaker's training toolkit JSON-decodes each hyperparameter and passes
``str()`` of the result (``true`` becomes ``True``), and people type them on the command line.
"""
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Optional, Tuple

TABLE_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hyperparameters.json")

TYPES = ("integer", "float", "string", "boolean")
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


@dataclass(frozen=True)
class Hyperparameter:
    name: str            # the flag without "--"
    type: str            # one of TYPES
    default: Any
    description: str
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    exclusive_minimum: Optional[float] = None
    values: Optional[Tuple[Any, ...]] = None
    tuning: Optional[dict] = None

    @property
    def dest(self):
        """The argparse attribute: batch-size -> batch_size."""
        return self.name.replace("-", "_")

    def allowed(self):
        """What the value may be, in words, for error messages and --help."""
        if self.type == "boolean":
            return "true or false"
        if self.values is not None:
            return "one of " + ", ".join(str(v) for v in self.values)
        noun = "an integer" if self.type == "integer" else "a number"
        low = self.minimum if self.minimum is not None else self.exclusive_minimum
        if self.exclusive_minimum is None and low is not None and self.maximum is not None:
            return "%s in %s..%s" % (noun, _show(low), _show(self.maximum))
        bounds = []
        if self.exclusive_minimum is not None:
            bounds.append("> %s" % _show(self.exclusive_minimum))
        elif self.minimum is not None:
            bounds.append(">= %s" % _show(self.minimum))
        if self.maximum is not None:
            bounds.append("<= %s" % _show(self.maximum))
        return " ".join([noun] + [" and ".join(bounds)] if bounds else [noun])

    def parse(self, raw):
        """The typed value of a string as SageMaker or a person passes it; ValueError names the flag."""
        text = _unquote(str(raw))
        value = _convert(self.type, text)
        if value is None or not self._in_range(value):
            raise ValueError("--%s must be %s (got %r)" % (self.name, self.allowed(), raw))
        return value

    def _in_range(self, value):
        if self.values is not None and value not in self.values:
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        if self.exclusive_minimum is not None and value <= self.exclusive_minimum:
            return False
        return self.maximum is None or value <= self.maximum


def _show(number):
    return str(int(number)) if float(number).is_integer() else repr(number)


def _unquote(value):
    # A value JSON-encoded twice ("\"resnet50\"") reaches the script with its quotes; accept both.
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _convert(kind, text):
    if kind == "boolean":
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else None
    try:
        if kind == "integer":
            return int(text)
        if kind == "float":
            value = float(text)
            return value if math.isfinite(value) else None
    except ValueError:
        return None
    return text


def _entry(raw, path):
    where = "%s: hyperparameter %r" % (path, raw.get("name"))
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ValueError("%s: every hyperparameter needs a non-empty string \"name\" (got %r)" % (path, raw))
    if raw.get("type") not in TYPES:
        raise ValueError("%s has type %r; allowed: %s" % (where, raw.get("type"), ", ".join(TYPES)))
    values = raw.get("values")
    entry = Hyperparameter(
        name=raw["name"], type=raw["type"], default=raw.get("default"), description=raw.get("description", ""),
        minimum=raw.get("min"), maximum=raw.get("max"), exclusive_minimum=raw.get("exclusiveMin"),
        values=tuple(values) if values is not None else None, tuning=raw.get("tuning"))
    try:
        default = entry.parse(json.dumps(entry.default) if entry.type != "string" else entry.default)
    except ValueError as exc:
        raise ValueError("%s: its default is not allowed by its own range (%s)" % (where, exc)) from None
    if default != entry.default:
        raise ValueError("%s: default %r is not a %s" % (where, entry.default, entry.type))
    return entry


def load(path=TABLE_PATH):
    """Every hyperparameter in the table, in its order; a malformed table is refused by name."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError("%s not found: train.py reads its hyperparameters from it (it ships beside train.py)"
                                % path) from None
    raw_entries = doc.get("hyperparameters") if isinstance(doc, dict) else None
    if not isinstance(raw_entries, list) or not raw_entries:
        raise ValueError("%s must hold {\"hyperparameters\": [ ... ]}" % path)
    entries = [_entry(raw, path) for raw in raw_entries]
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError("%s defines %s more than once" % (path, ", ".join(duplicates)))
    return entries


def by_name(entries=None):
    return {e.name: e for e in (entries if entries is not None else load())}
