"""The result types behave as frozen dataclasses, though their methods are written, not generated.

Each is checked against a twin made by ``dataclasses.make_dataclass(..., frozen=True)`` with the same
fields and defaults: construction, defaults, equality, hashing, repr, immutability, pickling, copying and
the ``dataclasses`` functions plugins may use.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hrpolicy import model
from hrpolicy.load.document import Document
from hrpolicy.validate.messages import Violation

RECORDS = [
    cls
    for cls in vars(model).values()
    if isinstance(cls, type) and issubclass(cls, model.Frozen) and cls is not model.Frozen
] + [Document, Violation]


def twin(cls: type) -> type:
    """A frozen dataclass with the same name, fields (in order) and defaults as ``cls``."""
    params = list(inspect.signature(cls).parameters.values())
    spec = [
        (p.name, Any) if p.default is p.empty else (p.name, Any, dataclasses.field(default=p.default))
        for p in params
    ]
    made = dataclasses.make_dataclass(cls.__name__, spec, frozen=True)
    made.__qualname__ = cls.__qualname__
    return made


def required(cls: type) -> list[str]:
    return [p.name for p in inspect.signature(cls).parameters.values() if p.default is p.empty]


def test_there_are_records_and_each_one_is_complete() -> None:
    assert {c.__name__ for c in RECORDS} >= {"Finding", "Location", "RuleInfo", "RunResult", "Document"}
    for cls in RECORDS:
        names = [f.name for f in dataclasses.fields(cls)]
        assert list(inspect.signature(cls).parameters) == names, cls  # __init__ takes the fields in order
        assert sorted(cls.__slots__) == sorted(names), cls
        assert dataclasses.is_dataclass(cls)


values = st.one_of(st.none(), st.integers(), st.text(max_size=8), st.tuples(st.integers()))


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
@given(data=st.data())
def test_a_record_behaves_as_its_frozen_dataclass_twin(cls: type, data: st.DataObject) -> None:
    other = twin(cls)
    names = required(cls)
    args = {name: data.draw(values, label=name) for name in names}
    mine, theirs = cls(**args), other(**args)
    assert repr(mine) == repr(theirs)
    assert dataclasses.asdict(mine) == dataclasses.asdict(theirs)  # defaults included
    assert cls(*args.values()) == mine  # positionally too
    assert hash(mine) == hash(cls(**args))
    assert mine == cls(**args)
    changed = {names[0]: data.draw(values, label="changed")} if names else {}
    assert (dataclasses.replace(mine, **changed) == mine) == (
        dataclasses.replace(theirs, **changed) == theirs
    )
    assert mine != theirs
    assert mine != tuple(args.values())
    assert pickle.loads(pickle.dumps(mine)) == mine
    assert copy.deepcopy(mine) == mine
    assert copy.copy(mine) == mine


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_a_record_cannot_be_changed(cls: type) -> None:
    record = cls(**dict.fromkeys(required(cls), "x"))
    name = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(record, name, "y")
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(record, name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.extra = 1
    assert not hasattr(record, "__dict__")
    assert getattr(record, name) == "x"


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_a_record_has_its_twins_fields_and_defaults(cls: type) -> None:
    def described(c: type) -> list[tuple[str, object]]:
        return [(f.name, f.default) for f in dataclasses.fields(c)]

    assert described(cls) == described(twin(cls))
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class Extended(model.Finding):
    """A plugin's finding with one more field."""

    extra: int = 0


def test_a_frozen_dataclass_may_extend_a_record() -> None:
    location = model.Location("a.yaml", 3, 5, "/markets/0")
    make: Any = Extended  # its __init__ is generated from every field, which type checkers cannot see
    extended = make("HRDD-MKT-001", "high", "m", "r", location, "f" * 32, extra=3)
    assert extended.waiver is None
    assert extended.extra == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        extended.extra = 4
    assert pickle.loads(pickle.dumps(extended)) == extended
    assert dataclasses.replace(extended, extra=5).extra == 5


def test_nested_records_compare_and_convert_as_dataclasses_do() -> None:
    location = model.Location("a.yaml", 3, 5, "/markets/0")
    finding = model.Finding("HRDD-MKT-001", "high", "m", "r", location, "f" * 32)
    assert dataclasses.asdict(finding)["location"] == {
        "path": "a.yaml",
        "line": 3,
        "column": 5,
        "pointer": "/markets/0",
    }
    moved = dataclasses.replace(finding, location=dataclasses.replace(location, line=4))
    assert moved != finding
    assert moved.location.line == 4
    assert finding.location.line == 3
    assert {finding, moved, pickle.loads(pickle.dumps(finding))} == {finding, moved}
