"""Live objects -> plain, safe, tagged data (pregel_viz.values), through the log encoding."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import pathlib
import uuid
from collections import OrderedDict, namedtuple
from typing import Any, NamedTuple

import pytest
from langgraph.types import Send
from pydantic import BaseModel

from pregel_viz.logfile import decode_payload, encode_event
from pregel_viz.values import (
    CYCLE,
    DEFAULT_LIMITS,
    TRUNCATED,
    Limits,
    is_tagged,
    tag,
    to_safe,
    type_name,
)

PLAIN = (dict, list, str, int, float, bool, type(None), bytes)
HOSTILE = ["<script>alert(1)</script>", "</textarea>", "<img src=x onerror=alert(1)>"]


def assert_plain(value: Any, path: str = "$") -> None:
    """Every node of ``value`` is one of the plain msgpack types; dict keys are str."""
    assert type(value) in PLAIN, f"{path}: {type(value).__name__}"
    if type(value) is dict:
        for k, v in value.items():
            assert type(k) is str, f"{path}: key {k!r}"
            assert_plain(v, f"{path}.{k}")
    elif type(value) is list:
        for i, v in enumerate(value):
            assert_plain(v, f"{path}[{i}]")


def roundtrip(value: Any, limits: Limits = DEFAULT_LIMITS) -> Any:
    """``value`` as a reader sees it: encoded into an event, decoded back, checked plain."""
    event = decode_payload(encode_event({"k": "x", "v": value}, limits))
    assert_plain(event)
    return event["v"]


def walk(value: Any) -> Any:
    """``value`` through the bounded Python walker, encoded and decoded."""
    event = decode_payload(encode_event({"k": "x", "v": to_safe(value)}))
    assert_plain(event)
    return event["v"]


def markers(value: Any, type_: str) -> list[dict[str, Any]]:
    """Every tagged map of ``$type == type_`` inside ``value``."""
    found: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("$type") == type_:
                found.append(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return found


# --------------------------------------------------------------------------- fixtures: kinds


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


class Level(enum.IntEnum):
    LOW = 1


@dataclasses.dataclass
class Point:
    x: int
    y: float
    tags: list[str] = dataclasses.field(default_factory=list)


class User(BaseModel):
    name: str
    age: int
    when: datetime.date


Pair = namedtuple("Pair", ["left", "right"])


class Typed(NamedTuple):
    x: int
    y: str


class Reprs:
    def __repr__(self) -> str:
        return "Reprs<" + HOSTILE[0] + ">"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class BadStrError(Exception):
    def __str__(self) -> str:
        raise ValueError("no str")


class Slotted:
    __slots__ = ("a",)

    def __init__(self) -> None:
        self.a = 1


# --------------------------------------------------------------------------- tagging


def test_given_an_exception_when_encoded_then_it_is_tagged_with_its_message_and_repr() -> None:
    out = roundtrip(ValueError("boom <b>"))
    assert out == {
        "$type": "builtins.ValueError",
        "$error": "boom <b>",
        "$repr": "ValueError('boom <b>')",
    }


def test_given_an_exception_whose_str_raises_when_encoded_then_it_is_still_tagged() -> None:
    out = roundtrip(BadStrError())
    assert out["$type"].endswith("BadStrError")
    assert out["$error"] == "<str() failed: ValueError>"
    assert isinstance(out["$repr"], str)


def test_given_enums_when_encoded_then_name_and_value_are_kept() -> None:
    assert roundtrip(Color.RED) == {"$type": f"{__name__}.Color", "$name": "RED", "$value": "red"}
    assert roundtrip(Color.BLUE)["$value"] == 2
    assert roundtrip(Level.LOW) == {"$type": f"{__name__}.Level", "$name": "LOW", "$value": 1}


def test_given_dates_and_times_when_encoded_then_iso_strings() -> None:
    dt = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc)
    assert roundtrip(dt) == {
        "$type": "datetime.datetime",
        "$str": "2024-05-06T07:08:09.123456+00:00",
    }
    assert roundtrip(dt.date()) == {"$type": "datetime.date", "$str": "2024-05-06"}
    assert roundtrip(dt.time()) == {"$type": "datetime.time", "$str": "07:08:09.123456"}
    assert roundtrip(datetime.timedelta(seconds=90)) == {
        "$type": "datetime.timedelta",
        "$str": "0:01:30",
    }


def test_given_uuid_decimal_and_path_when_encoded_then_their_str() -> None:
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert roundtrip(u) == {"$type": "uuid.UUID", "$str": str(u)}
    assert roundtrip(decimal.Decimal("1.10")) == {"$type": "decimal.Decimal", "$str": "1.10"}
    p = roundtrip(pathlib.PurePosixPath("/etc/passwd"))
    assert p == {"$type": "pathlib.PurePosixPath", "$str": "/etc/passwd"}
    assert roundtrip(pathlib.Path("/tmp/x"))["$str"] == "/tmp/x"


def test_given_sets_when_encoded_then_sorted_items() -> None:
    assert roundtrip({3, 1, 2}) == {"$type": "builtins.set", "$items": [1, 2, 3]}
    assert roundtrip(frozenset({"b", "a"})) == {"$type": "builtins.frozenset", "$items": ["a", "b"]}
    mixed = roundtrip({1, "a", None})
    assert mixed["$type"] == "builtins.set"
    assert sorted(map(str, mixed["$items"])) == ["1", "None", "a"]


def test_given_a_dataclass_when_encoded_then_its_fields_tagged_recursively() -> None:
    out = roundtrip(Point(1, 2.5, ["a"]))
    assert out == {"$type": f"{__name__}.Point", "$fields": {"x": 1, "y": 2.5, "tags": ["a"]}}
    nested = roundtrip(Point(1, 2.0, [Color.RED]))  # type: ignore[list-item]
    assert nested["$fields"]["tags"][0]["$name"] == "RED"


def test_given_a_pydantic_model_when_encoded_then_its_fields() -> None:
    out = roundtrip(User(name="ann", age=3, when=datetime.date(2020, 1, 2)))
    assert out == {
        "$type": f"{__name__}.User",
        "$fields": {
            "name": "ann",
            "age": 3,
            "when": {"$type": "datetime.date", "$str": "2020-01-02"},
        },
    }


def test_given_namedtuples_when_encoded_then_their_fields_while_plain_tuples_stay_lists() -> None:
    expected = {"$type": f"{__name__}.Pair", "$fields": {"left": 1, "right": [2]}}
    assert roundtrip(Pair(1, [2])) == expected
    assert walk(Pair(1, [2])) == expected
    assert tag(Pair(1, "b")) == {"$type": f"{__name__}.Pair", "$fields": {"left": 1, "right": "b"}}
    assert roundtrip(Typed(3, "c")) == {"$type": f"{__name__}.Typed", "$fields": {"x": 3, "y": "c"}}
    assert roundtrip((1, (2, "b"))) == [1, [2, "b"]]


def test_given_a_langgraph_send_when_encoded_then_node_and_arg() -> None:
    out = roundtrip(Send("worker", {"item": Color.BLUE}))
    assert out == {
        "$type": "langgraph.types.Send",
        "$fields": {
            "node": "worker",
            "arg": {"item": {"$type": f"{__name__}.Color", "$name": "BLUE", "$value": 2}},
        },
    }


def test_given_big_ints_when_encoded_then_their_str_and_fitting_ints_stay_ints() -> None:
    assert roundtrip(2**64 - 1) == 2**64 - 1
    assert roundtrip(-(2**63)) == -(2**63)
    assert roundtrip(2**64) == {"$type": "builtins.int", "$str": str(2**64)}
    assert roundtrip(-(2**63) - 1) == {"$type": "builtins.int", "$str": str(-(2**63) - 1)}
    assert roundtrip(10**100)["$str"] == str(10**100)
    assert walk(10**100) == {"$type": "builtins.int", "$str": str(10**100)}


def test_given_a_custom_object_when_encoded_then_its_repr() -> None:
    out = roundtrip(Reprs())
    assert out == {"$type": f"{__name__}.Reprs", "$repr": "Reprs<" + HOSTILE[0] + ">"}


def test_given_an_object_whose_repr_raises_when_encoded_then_a_placeholder_not_an_error() -> None:
    out = roundtrip(BadRepr())
    assert out["$type"] == f"{__name__}.BadRepr"
    assert isinstance(out["$repr"], str)
    assert "BadRepr" in out["$repr"]
    assert walk([BadRepr()])[0]["$type"] == f"{__name__}.BadRepr"


def test_given_other_objects_when_encoded_then_tagged_and_plain() -> None:
    values = {
        "slotted": Slotted(),
        "func": len,
        "lambda": lambda: 1,
        "class": Point,
        "module": pathlib,
        "ordered": OrderedDict(b=1, a=2),
        "bytearray": bytearray(b"ab"),
        "memoryview": memoryview(b"xy"),
        "complex": 1 + 2j,
        "range": range(3),
        "tuple": (1, (2, 3)),
        "str_sub": type("S", (str,), {})("text"),
        "int_sub": type("I", (int,), {})(5),
        "float_sub": type("F", (float,), {})(1.5),
        "nan": float("nan"),
        "inf": float("-inf"),
        "bytes": b"\x00\xff",
        "surrogate": "a\udc80b",
        "type_name": type_name(Slotted()),
    }
    out = roundtrip(values)
    assert out["tuple"] == [1, [2, 3]]
    assert out["ordered"] == {"$type": "collections.OrderedDict", "$fields": {"b": 1, "a": 2}}
    assert out["bytes"] == b"\x00\xff"
    assert out["int_sub"]["$str"] == "5"
    assert out["str_sub"]["$str"] == "text"
    assert out["inf"] == float("-inf")
    assert out["type_name"] == f"{__name__}.Slotted"
    for key in ("slotted", "func", "lambda", "class", "module", "complex", "range"):
        assert is_tagged(out[key]), key
    assert isinstance(out["surrogate"], str)
    # the same data through the bounded Python walker is plain too
    walked = walk(values)
    assert walked["tuple"] == [1, [2, 3]]
    assert walked["bytearray"] == b"ab"
    assert walked["memoryview"] == b"xy"


def test_given_tag_as_a_hook_when_the_object_misbehaves_then_it_never_raises() -> None:
    class Exploding:
        @property
        def model_fields(self) -> Any:
            raise RuntimeError("boom")

        def __getattr__(self, name: str) -> Any:
            raise RuntimeError(name)

    out = roundtrip(Exploding())
    assert is_tagged(out)


# --------------------------------------------------------------------------- bounds


def test_given_a_list_containing_itself_when_encoded_then_a_cycle_marker() -> None:
    loop: list[Any] = [1, "a"]
    loop.append(loop)
    out = roundtrip(loop)
    assert out[:2] == [1, "a"]
    assert out[2]["$type"] == CYCLE
    assert isinstance(out[2]["$repr"], str)


def test_given_a_dict_containing_itself_when_encoded_then_a_cycle_marker() -> None:
    loop: dict[str, Any] = {"a": 1}
    loop["self"] = loop
    loop["nested"] = {"back": loop}
    out = roundtrip(loop)
    assert out["a"] == 1
    assert out["self"]["$type"] == CYCLE
    assert out["nested"]["back"]["$type"] == CYCLE


def test_given_shared_but_acyclic_references_when_encoded_then_no_cycle_marker() -> None:
    shared = [1, 2]
    loop: list[Any] = [shared, shared, {"a": shared}]
    loop.append(loop)  # force the Python walker
    out = roundtrip(loop)
    assert out[:3] == [[1, 2], [1, 2], {"a": [1, 2]}]
    assert len(markers(out, CYCLE)) == 1


def test_given_a_dataclass_referring_to_itself_when_encoded_then_a_cycle_marker() -> None:
    p = Point(1, 2.0)
    p.tags = [p]  # type: ignore[list-item]
    out = roundtrip(p)
    assert out["$fields"]["tags"][0]["$type"] == CYCLE


def test_given_a_5mb_string_when_encoded_then_a_truncated_marker_with_its_length() -> None:
    big = "x" * (5 * 1024 * 1024)
    out = roundtrip({"big": big, "small": "ok"})
    assert out["small"] == "ok"
    marker = out["big"]
    assert marker["$type"] == TRUNCATED
    assert marker["$kind"] == "str"
    assert marker["$len"] == len(big)
    assert marker["$head"] == "x" * DEFAULT_LIMITS.max_str
    assert len(encode_event({"k": "x", "v": big})) < DEFAULT_LIMITS.max_event_bytes


def test_given_huge_bytes_when_encoded_then_a_truncated_marker() -> None:
    out = roundtrip(b"\x01" * (2 * 1024 * 1024))
    assert out["$type"] == TRUNCATED
    assert out["$kind"] == "bytes"
    assert out["$len"] == 2 * 1024 * 1024
    assert out["$head"] == b"\x01" * DEFAULT_LIMITS.max_str


def test_given_a_long_list_in_an_oversized_event_when_encoded_then_a_truncation_marker() -> None:
    long = list(range(300_000))  # packs to more than max_event_bytes
    out = roundtrip(long)
    assert out[: DEFAULT_LIMITS.max_items] == long[: DEFAULT_LIMITS.max_items]
    assert len(out) == DEFAULT_LIMITS.max_items + 1
    assert out[-1] == {"$type": TRUNCATED, "$kind": "list", "$len": 300_000}


def test_given_small_limits_when_encoded_then_lists_dicts_and_sets_are_cut() -> None:
    limits = Limits(max_event_bytes=64, max_str=10, max_items=5, max_depth=24)
    out = roundtrip(
        {
            "l": list(range(50)),
            "d": {str(i): i for i in range(50)},
            "s": set(range(50)),
            "t": tuple(range(50)),
            "str": "y" * 40,
        },
        limits,
    )
    assert out["l"] == [0, 1, 2, 3, 4, {"$type": TRUNCATED, "$kind": "list", "$len": 50}]
    assert out["t"][-1]["$len"] == 50
    assert len(out["d"]) == 6
    assert out["d"]["$truncated"] == {"$type": TRUNCATED, "$kind": "dict", "$len": 50}
    assert out["s"]["$items"] == [0, 1, 2, 3, 4, {"$type": TRUNCATED, "$kind": "list", "$len": 50}]
    assert out["str"] == {"$type": TRUNCATED, "$kind": "str", "$len": 40, "$head": "y" * 10}


def test_given_a_small_event_when_encoded_then_it_is_not_bounded() -> None:
    # bounds apply to oversized events only: small ones are kept whole
    assert roundtrip(list(range(2000))) == list(range(2000))


def test_given_nesting_1000_deep_when_encoded_then_it_is_cut() -> None:
    deep: Any = "bottom"
    for _ in range(1000):
        deep = [deep]
    out = roundtrip(deep)
    depth = 0
    while isinstance(out, list):
        (out,) = out
        depth += 1
    assert out["$type"] == TRUNCATED
    assert out["$kind"] == "depth"
    assert depth < DEFAULT_LIMITS.max_depth
    assert isinstance(out["$repr"], str)


def test_given_dicts_nested_1000_deep_when_encoded_then_it_is_cut() -> None:
    deep: Any = {}
    for i in range(1000):
        deep = {f"k{i}": deep}
    out = roundtrip(deep)
    assert len(markers(out, TRUNCATED)) == 1


def test_given_objects_nested_1000_deep_when_encoded_then_it_is_cut() -> None:
    deep: Any = None
    for _ in range(1000):
        deep = Point(0, 0.0, [deep])
    out = roundtrip(deep)
    (marker,) = markers(out, TRUNCATED)
    assert marker["$kind"] == "depth"


def test_given_non_str_dict_keys_when_encoded_then_they_become_strings() -> None:
    key_obj = Reprs()
    out = roundtrip(
        {
            1: "int",
            2.5: "float",
            None: "none",
            False: "bool",
            (1, 2): "tuple",
            key_obj: "obj",
            "s": "str",
        }
    )
    assert out["1"] == "int"
    assert out["2.5"] == "float"
    assert out["None"] == "none"
    assert out["False"] == "bool"
    assert out["(1, 2)"] == "tuple"
    assert out[repr(key_obj)] == "obj"
    assert out["s"] == "str"
    assert all(type(k) is str for k in out)


def test_given_non_str_keys_in_a_tagged_object_when_encoded_then_they_become_strings() -> None:
    out = roundtrip(Point(1, 2.0, [{1: "a"}]))  # type: ignore[list-item]
    assert out["$fields"]["tags"] == [{"1": "a"}]


def test_given_every_kind_in_one_event_when_encoded_and_decoded_then_only_plain_types() -> None:
    loop: list[Any] = []
    loop.append(loop)
    everything = [
        ValueError("x"),
        Color.RED,
        Level.LOW,
        datetime.datetime(2020, 1, 1),
        uuid.uuid4(),
        decimal.Decimal("3.14"),
        pathlib.Path("."),
        {1, 2},
        frozenset(),
        Point(1, 2.0),
        User(name="a", age=1, when=datetime.date(2020, 1, 1)),
        Pair(1, 2),
        Send("n", {"a": 1}),
        2**80,
        Reprs(),
        BadRepr(),
        loop,
        {1: {2: 3}},
        b"raw",
        "s",
        1.5,
        True,
        None,
        "x" * (2 * 1024 * 1024),
    ]
    for value in everything:
        roundtrip(value)
        walk(value)
    roundtrip(everything)
    roundtrip({"nested": {"deeper": everything}})


# --------------------------------------------------------------------------- hostile strings


@pytest.mark.parametrize("text", HOSTILE)
def test_given_hostile_strings_when_encoded_then_they_survive_byte_exact(text: str) -> None:
    assert roundtrip(text) == text
    assert roundtrip({text: [text]}) == {text: [text]}
    assert walk({text: text}) == {text: text}
    out = roundtrip(ValueError(text))
    assert out["$error"] == text
    assert text in out["$repr"]
    assert roundtrip(Send(text, text))["$fields"] == {"node": text, "arg": text}
    assert roundtrip(text).encode() == text.encode()
