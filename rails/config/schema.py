"""A small typed-record base for the config sections, in place of pydantic (whose import and
first model class cost more than our whole start-up budget).

Fields are class annotations with defaults, or `field(default_factory=..., ge=, le=, gt=)`.
Their types are only evaluated when a class is first validated and the result is cached per
class, so defining the ~30 config classes costs almost nothing.

Supported field types: `str`, `bool`, `int`, `float`, `Any`, `list[X]`, `dict[K, V]` (or bare
`dict`), `X | None`, `Union[A, B]` (tried in order) and Section subclasses. Values are
converted the way pydantic v2 does in lax mode for these types (`"yes"` -> True, `"3"` -> 3,
`2` -> 2.0), strings stay strict (`5` is not a str). Validation collects every problem, each
with its location (`("models", 0, "engine")`), so a config error can list them all.
"""
from __future__ import annotations

import copy
import math
import operator
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple, Union


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()  # "no default" (None is a valid default)
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
# field() bounds: keyword, error kind, wording, test. Checked in this order (as pydantic does,
# which decides the message when NaN fails two of them).
_BOUNDS = (("le", "less_than_equal", "less than or equal to", operator.le),
           ("ge", "greater_than_equal", "greater than or equal to", operator.ge),
           ("gt", "greater_than", "greater than", operator.gt))


class Problem(NamedTuple):
    """One validation failure. `kind` uses pydantic's error type names (`missing`,
    `extra_forbidden`, `string_type`, `list_type`, ...) so that code written against
    pydantic's `errors()` reads the same; `message` is set for kinds whose text comes from
    the check itself (`value_error`, bounds)."""

    loc: tuple
    kind: str
    input: Any
    message: str = ""


class ValidationError(ValueError):
    """All problems found while validating one value (a ValueError, like pydantic's)."""

    def __init__(self, title: str, problems: list[Problem]):
        self.title, self.problems = title, problems
        super().__init__(title, problems)

    def errors(self) -> list[dict[str, Any]]:
        from rails.config.problems import problem_message

        return [{"type": p.kind, "loc": p.loc, "msg": problem_message(p), "input": p.input}
                for p in self.problems]

    def __str__(self) -> str:
        from rails.config.problems import render_problems

        count = len(self.problems)
        lines = [f"  {key}: {message}" if key else f"  {message}"
                 for key, message in render_problems(self.problems)]
        return f"{count} validation error{'s' * (count != 1)} for {self.title}\n" + \
            "\n".join(lines)


class FieldInfo:
    """What a field declares; `annotation` and `convert` are filled in on first use."""

    def __init__(self, default: Any = _MISSING, default_factory: Callable | None = None,
                 ge: Any = None, le: Any = None, gt: Any = None,
                 before: Callable[[Any], Any] | None = None):
        self.default, self.default_factory, self.before = default, default_factory, before
        given = {"le": le, "ge": ge, "gt": gt}
        self.bounds = [(kind, words, test, given[key]) for key, kind, words, test in _BOUNDS
                       if given[key] is not None]
        self.annotation: Any = None
        self.convert: Callable[[Any, tuple, list], Any] = _any

    def is_required(self) -> bool:
        return self.default is _MISSING and self.default_factory is None

    def make_default(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        # Fresh containers per instance, as a factory would give.
        return copy.deepcopy(self.default) if isinstance(
            self.default, (list, dict, set, Section)) else self.default

    def __repr__(self) -> str:
        return f"FieldInfo(annotation={self.annotation!r}, required={self.is_required()})"


def field(default: Any = _MISSING, *, default_factory: Callable | None = None,
          ge: Any = None, le: Any = None, gt: Any = None,
          before: Callable[[Any], Any] | None = None) -> Any:
    """A field with a default factory or bounds. `before(value)` runs on the raw value
    before the type conversion (it may normalize it, or raise ValueError)."""
    return FieldInfo(default, default_factory, ge, le, gt, before)


class _FieldsOf:
    """`SomeSection.model_fields`: name -> FieldInfo, resolved when first read."""

    def __get__(self, obj: Any, owner: type[Section]) -> dict[str, FieldInfo]:
        return owner._fields()


class Section:
    """A config section: typed fields, unknown keys kept (as attributes and in `model_extra`),
    assignments validated. Subclasses override `_check` to check several fields together.

    `checked_keys`: when True, unknown keys of this section draw a warning at load time
    (likely typos: `rails.inputs`); `later_nemo_keys` are keys of newer NeMo releases that are
    accepted silently."""

    extra_allowed: ClassVar[bool] = True
    checked_keys: ClassVar[bool] = False
    later_nemo_keys: ClassVar[frozenset[str]] = frozenset()
    model_fields: ClassVar[Mapping[str, FieldInfo]] = _FieldsOf()  # type: ignore[assignment]

    def __init__(self, **data: Any):
        problems: list[Problem] = []
        self._fill(data, (), problems)
        if problems:
            raise ValidationError(type(self).__name__, problems)

    def _check(self) -> None:
        """Checks across fields, run after validation and assignments; raise ValueError."""

    # -- validation ------------------------------------------------------------------------

    @classmethod
    def _fields(cls) -> dict[str, FieldInfo]:
        fields = cls.__dict__.get("_resolved_fields")
        if fields is None:
            # The parent's fields, then this class's own annotations, evaluated in its module
            # (what typing.get_type_hints does, without re-reading every base class).
            parent = cls.__mro__[1]
            fields = dict(parent._fields()) if issubclass(parent, Section) else {}
            namespace = vars(sys.modules[cls.__module__])
            for name, annotation in cls.__annotations__.items():  # own ones only (3.10+)
                if isinstance(annotation, str):
                    annotation = eval(annotation, namespace)
                if annotation is ClassVar or typing.get_origin(annotation) is ClassVar:
                    continue
                declared = cls.__dict__.get(name, _MISSING)
                info = declared if isinstance(declared, FieldInfo) else FieldInfo(declared)
                info.annotation, info.convert = annotation, _field_converter(info, annotation)
                fields[name] = info
            cls._resolved_fields = fields
        return fields

    def _fill(self, data: Mapping, loc: tuple, problems: list[Problem]) -> None:
        before = len(problems)
        fields = self._fields()
        values = {}
        for name, info in fields.items():
            if name in data:
                values[name] = info.convert(data[name], loc + (name,), problems)
            elif info.is_required():
                problems.append(Problem(loc + (name,), "missing", data))
            else:
                values[name] = info.make_default()
        extra = {key: value for key, value in data.items() if key not in fields}
        for key in [key for key in extra if not isinstance(key, str)]:  # YAML allows `1: x`
            problems.append(Problem(loc + (key,), "invalid_key", extra.pop(key),
                                    "Keys should be strings"))
        if not self.extra_allowed:
            problems.extend(Problem(loc + (key,), "extra_forbidden", value)
                            for key, value in extra.items())
        if len(problems) > before:
            return
        self.__dict__.update(values)
        self.__dict__["_extra"] = extra if self.extra_allowed else None
        try:
            self._check()
        except ValueError as error:
            problems.append(Problem(loc, "value_error", data, str(error)))

    @classmethod
    def _convert(cls, value: Any, loc: tuple, problems: list[Problem]) -> Any:
        if isinstance(value, cls):
            return value  # kept as it is, like pydantic (no copy, no re-validation)
        if not isinstance(value, Mapping):
            return _fail(problems, loc, "model_type", value)
        section = cls.__new__(cls)
        section._fill(value, loc, problems)
        return section

    @classmethod
    def model_validate(cls, obj: Any) -> Any:
        problems: list[Problem] = []
        result = cls._convert(obj, (), problems)
        if problems:
            raise ValidationError(cls.__name__, problems)
        return result

    parse_obj = model_validate  # pydantic v1 name

    def __setattr__(self, name: str, value: Any) -> None:
        info = self._fields().get(name)
        if info is None:
            if name.startswith("_"):
                object.__setattr__(self, name, value)
            elif self.extra_allowed:
                self.__dict__["_extra"][name] = value
            else:
                raise ValidationError(type(self).__name__,
                                      [Problem((name,), "extra_forbidden", value)])
            return
        problems: list[Problem] = []
        converted = info.convert(value, (name,), problems)
        if problems:
            raise ValidationError(type(self).__name__, problems)
        previous = self.__dict__[name]
        self.__dict__[name] = converted
        try:
            self._check()
        except ValueError as error:
            self.__dict__[name] = previous  # a failed assignment changes nothing
            raise ValidationError(type(self).__name__,
                                  [Problem((), "value_error", value, str(error))]) from None

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: serves the extra keys.
        extra = self.__dict__.get("_extra")
        if extra and name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- reading, copying ------------------------------------------------------------------

    @property
    def model_extra(self) -> dict[str, Any] | None:
        return self.__dict__["_extra"]

    def _items(self) -> list[tuple[Any, Any]]:
        items = [(name, self.__dict__[name]) for name in self._fields()]
        return items + list((self.model_extra or {}).items())

    def __iter__(self):
        return iter(self._items())

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False,
                   exclude: set | None = None) -> dict[str, Any]:
        """Plain dicts and lists all the way down, extra keys included; `mode="json"` also
        turns tuples (possible in extra keys) into lists."""
        return {key: _dump(value, mode == "json", exclude_none) for key, value in self._items()
                if not (exclude and key in exclude) and not (exclude_none and value is None)}

    dict = model_dump  # pydantic v1 name

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> Any:
        """A copy; `update` values are set without validation, as pydantic does."""
        if deep:
            clone = copy.deepcopy(self)
        else:
            clone = type(self).__new__(type(self))
            clone.__dict__.update(self.__dict__)
            if self.model_extra is not None:
                clone.__dict__["_extra"] = dict(self.model_extra)
        for key, value in (update or {}).items():
            if key in self._fields() or clone.model_extra is None:
                clone.__dict__[key] = value
            else:
                clone.model_extra[key] = value
        return clone

    def copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        return self.model_copy(update=update, deep=deep)  # pydantic v1 name

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return dict(self._items()) == dict(other._items())  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in self._items())
        return f"{type(self).__name__}({fields})"


class StrictSection(Section):
    """A section whose unknown keys are errors."""

    extra_allowed = False


def _dump(value: Any, json: bool, exclude_none: bool) -> Any:
    if isinstance(value, Section):
        return value.model_dump(mode="json" if json else "python", exclude_none=exclude_none)
    if isinstance(value, Mapping):
        return {key: _dump(item, json, exclude_none) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_dump(item, json, exclude_none) for item in value]
        return items if json or isinstance(value, list) else tuple(items)
    return value


# -- converters: (value, loc, problems) -> value; a failure appends a Problem --------------

def _fail(problems: list[Problem], loc: tuple, kind: str, value: Any, message: str = "") -> Any:
    problems.append(Problem(loc, kind, value, message))
    return value


def _any(value: Any, loc: tuple, problems: list[Problem]) -> Any:
    return value


def _str(value: Any, loc: tuple, problems: list[Problem]) -> Any:
    # Numbers are not turned into text: `model: 4` is more likely a slip than a model name.
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):  # YAML `!!binary`
        try:
            return value.decode()
        except UnicodeDecodeError:
            pass
    return _fail(problems, loc, "string_type", value)


def _bool(value: Any, loc: tuple, problems: list[Problem]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        return _fail(problems, loc, "bool_parsing", value)
    return _fail(problems, loc, "bool_type", value)


def _int(value: Any, loc: tuple, problems: list[Problem]) -> Any:
    if isinstance(value, int):
        return int(value)  # also True -> 1
    if isinstance(value, float):
        if not math.isfinite(value):
            return _fail(problems, loc, "finite_number", value, "Input should be a finite number")
        if value.is_integer():
            return int(value)
        return _fail(problems, loc, "int_from_float", value)
    if isinstance(value, str):
        text = value.strip()
        whole, dot, fraction = text.partition(".")
        try:
            return int(whole if dot and not fraction.strip("0") else text)  # "2.0" is 2
        except ValueError:
            return _fail(problems, loc, "int_parsing", value)
    return _fail(problems, loc, "int_type", value)


def _float(value: Any, loc: tuple, problems: list[Problem]) -> Any:
    if isinstance(value, (int, float, str)):
        try:
            return float(value)  # accepts " 1.5 ", "1e3", "inf", and True as 1.0
        except (ValueError, OverflowError):
            return _fail(problems, loc, "float_parsing", value)
    return _fail(problems, loc, "float_type", value)


_SCALARS = {str: _str, bool: _bool, int: _int, float: _float}


def _converter(annotation: Any) -> Callable[[Any, tuple, list], Any]:
    """The converter of a type annotation, built once per field."""
    if annotation is Any or annotation is object:
        return _any
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation._convert
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is list or origin is list:
        return _list_of(_converter(args[0]) if args else _any)
    if annotation is dict or origin is dict:
        key, value = (_converter(args[0]), _converter(args[1])) if args else (_any, _any)
        return _dict_of(key, value)
    if origin is Union or origin is types.UnionType:
        members = [arg for arg in args if arg is not type(None)]
        inner = _converter(members[0]) if len(members) == 1 else _union_of(
            [_converter(member) for member in members])
        if len(members) == len(args):
            return inner
        return lambda value, loc, problems: None if value is None else inner(value, loc, problems)
    raise TypeError(f"unsupported field type {annotation!r}")


def _list_of(item: Callable) -> Callable:
    def convert(value: Any, loc: tuple, problems: list[Problem]) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset)):
            return _fail(problems, loc, "list_type", value)
        return [item(element, loc + (index,), problems) for index, element in enumerate(value)]
    return convert


def _dict_of(key: Callable, item: Callable) -> Callable:
    def convert(value: Any, loc: tuple, problems: list[Problem]) -> Any:
        if not isinstance(value, Mapping):
            return _fail(problems, loc, "dict_type", value)
        return {key(name, loc + (name,), problems): item(element, loc + (name,), problems)
                for name, element in value.items()}
    return convert


def _union_of(members: list[Callable]) -> Callable:
    def convert(value: Any, loc: tuple, problems: list[Problem]) -> Any:
        attempts = []
        for member in members:
            found: list[Problem] = []
            result = member(value, loc, found)
            if not found:
                return result
            attempts.append(found)
        # The member that got inside the value (a mapping for a section) explains the failure
        # best; when none did, every member's type mismatch is reported.
        deeper = [found for found in attempts if any(p.loc != loc for p in found)]
        problems.extend(deeper[0] if deeper else [p for found in attempts for p in found])
        return value
    return convert


def _field_converter(info: FieldInfo, annotation: Any) -> Callable:
    """The type converter, wrapped with the field's `before` hook and bounds, if any."""
    convert = _converter(annotation)
    if info.before is None and not info.bounds:
        return convert

    def checked(value: Any, loc: tuple, problems: list[Problem]) -> Any:
        if info.before is not None:
            try:
                value = info.before(value)
            except ValueError as error:
                return _fail(problems, loc, "value_error", value, str(error))
        count = len(problems)
        value = convert(value, loc, problems)
        if len(problems) > count or value is None:
            return value
        for kind, words, test, bound in info.bounds:
            if not test(value, bound):
                return _fail(problems, loc, kind, value, f"Input should be {words} {bound}")
        return value
    return checked
