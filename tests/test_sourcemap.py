"""Tests for cnncalc.spec.sourcemap: exact lines for each TOML construct, plus property tests."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnncalc.spec.sourcemap import MAX_DEPTH, Path, decode_error_line, line_of, locate
from conftest import examples

# --------------------------------------------------------------------------- helpers


def all_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every table, key and array-element path of a tomllib result (iteratively)."""
    stack: list[tuple[Path, Any]] = [(prefix, value)]
    while stack:
        path, node = stack.pop()
        if path:
            yield path
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in enumerate(node))


BARE = re.compile(r"[A-Za-z0-9_-]+")


def key_forms(key: str) -> set[str]:
    """The spellings a key may have in TOML source: bare, "basic" or 'literal'."""
    forms = {json.dumps(key, ensure_ascii=False), f"'{key}'", tomlkit.key(key).as_string()}
    if BARE.fullmatch(key):
        forms.add(key)
    return forms


def check_map(text: str) -> dict[Path, int]:
    """The properties every valid document must satisfy; returns the map for further checks."""
    data = tomllib.loads(text)
    lines = locate(text)
    source = text.split("\n")
    assert set(lines) == set(all_paths(data))
    for path, line in lines.items():
        assert 1 <= line <= len(source), path
        last = path[-1]
        if isinstance(last, str):
            assert any(form in source[line - 1] for form in key_forms(last)), (path, line)
        elif len(path) > 1:
            assert line >= lines[path[:-1]], path
    return lines


# --------------------------------------------------------------------------- exact lines

BRIEF_EXAMPLE = """\
name = "x"
[[layers]]
type = "conv"
kernel = [3,
  3]
[[layers]]
[lenet5]
[[lenet5.layers]]
[expect.layers.pool5]
a.b.c = 1
"quoted key" = 1
'lit' = 2
bare-key_1 = 3
"""

BRIEF_EXAMPLE_LINES: dict[Path, int] = {
    ("name",): 1,
    ("layers",): 2,
    ("layers", 0): 2,
    ("layers", 0, "type"): 3,
    ("layers", 0, "kernel"): 4,
    ("layers", 0, "kernel", 0): 4,
    ("layers", 0, "kernel", 1): 5,
    ("layers", 1): 6,
    ("lenet5",): 7,
    ("lenet5", "layers"): 8,
    ("lenet5", "layers", 0): 8,
    ("expect",): 9,
    ("expect", "layers"): 9,
    ("expect", "layers", "pool5"): 9,
    ("expect", "layers", "pool5", "a"): 10,
    ("expect", "layers", "pool5", "a", "b"): 10,
    ("expect", "layers", "pool5", "a", "b", "c"): 10,
    ("expect", "layers", "pool5", "quoted key"): 11,
    ("expect", "layers", "pool5", "lit"): 12,
    ("expect", "layers", "pool5", "bare-key_1"): 13,
}

INLINE_EXAMPLE = """\
input = { anchor = [96, 96, 3], positive = [96, 96, 3] }
layers = [
  { type = "conv", filters = 6 },
  "maxpool 2",
]
[blocks.basic]
args = { filters = 64 }
layers = [ { type = "conv", filters = "filters" }, ]
"""

INLINE_EXAMPLE_LINES: dict[Path, int] = {
    ("input",): 1,
    ("input", "anchor"): 1,
    ("input", "anchor", 0): 1,
    ("input", "anchor", 1): 1,
    ("input", "anchor", 2): 1,
    ("input", "positive"): 1,
    ("input", "positive", 0): 1,
    ("input", "positive", 1): 1,
    ("input", "positive", 2): 1,
    ("layers",): 2,
    ("layers", 0): 3,
    ("layers", 0, "type"): 3,
    ("layers", 0, "filters"): 3,
    ("layers", 1): 4,
    ("blocks",): 6,
    ("blocks", "basic"): 6,
    ("blocks", "basic", "args"): 7,
    ("blocks", "basic", "args", "filters"): 7,
    ("blocks", "basic", "layers"): 8,
    ("blocks", "basic", "layers", 0): 8,
    ("blocks", "basic", "layers", 0, "type"): 8,
    ("blocks", "basic", "layers", 0, "filters"): 8,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [(BRIEF_EXAMPLE, BRIEF_EXAMPLE_LINES), (INLINE_EXAMPLE, INLINE_EXAMPLE_LINES)],
    ids=["tables", "inline"],
)
def test_examples(text: str, expected: dict[Path, int]) -> None:
    assert locate(text) == expected
    check_map(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(BRIEF_EXAMPLE, BRIEF_EXAMPLE_LINES), (INLINE_EXAMPLE, INLINE_EXAMPLE_LINES)],
    ids=["tables", "inline"],
)
def test_crlf(text: str, expected: dict[Path, int]) -> None:
    crlf = text.replace("\n", "\r\n")
    assert tomllib.loads(crlf) == tomllib.loads(text)
    assert locate(crlf) == expected


def test_nested_arrays_of_tables_restart_under_each_parent() -> None:
    text = """\
[[a]]
x = 1
[[a.b]]
[[a.b]]
y = 2
[[a]]
[[a.b]]
[a.b.c]
z = 3
[[a.b]]
"""
    assert locate(text) == {
        ("a",): 1,
        ("a", 0): 1,
        ("a", 0, "x"): 2,
        ("a", 0, "b"): 3,
        ("a", 0, "b", 0): 3,
        ("a", 0, "b", 1): 4,
        ("a", 0, "b", 1, "y"): 5,
        ("a", 1): 6,
        ("a", 1, "b"): 7,
        ("a", 1, "b", 0): 7,
        ("a", 1, "b", 0, "c"): 8,
        ("a", 1, "b", 0, "c", "z"): 9,
        ("a", 1, "b", 1): 10,
    }
    check_map(text)


def test_first_line_wins_for_reopened_tables() -> None:
    text = """\
[fruit]
apple.color = "red"
[fruit.apple.texture]
smooth = true
[dog."tater.man"]
type.name = "pug"
[dog]
name = "d"
"""
    assert locate(text) == {
        ("fruit",): 1,
        ("fruit", "apple"): 2,
        ("fruit", "apple", "color"): 2,
        ("fruit", "apple", "texture"): 3,
        ("fruit", "apple", "texture", "smooth"): 4,
        ("dog",): 5,
        ("dog", "tater.man"): 5,
        ("dog", "tater.man", "type"): 6,
        ("dog", "tater.man", "type", "name"): 6,
        ("dog", "name"): 8,
    }
    check_map(text)


def test_whitespace_around_dots_and_in_headers() -> None:
    text = """\
a . b	.c = 1
[ t . "u v" ]
k = 2
[[ arr . 'el' ]]
  indented = 3
"""
    assert locate(text) == {
        ("a",): 1,
        ("a", "b"): 1,
        ("a", "b", "c"): 1,
        ("t",): 2,
        ("t", "u v"): 2,
        ("t", "u v", "k"): 3,
        ("arr",): 4,
        ("arr", "el"): 4,
        ("arr", "el", 0): 4,
        ("arr", "el", 0, "indented"): 5,
    }
    check_map(text)


def test_quoted_keys_with_escapes() -> None:
    text = r"""
"a\"b" = 1
"back\\slash" = 2
"\u00e9t\u00E9" = 3
"a.b" = 4
'x"y\n' = 5
"" = 6
"tab\tnl\n\U0001F600" = 7
"""
    assert locate(text) == {
        ('a"b',): 2,
        ("back\\slash",): 3,
        ("été",): 4,
        ("a.b",): 5,
        ('x"y\\n',): 6,
        ("",): 7,
        ("tab\tnl\n\U0001f600",): 8,
    }
    assert set(locate(text)) == set(all_paths(tomllib.loads(text)))


def test_multiline_strings_with_brackets_quotes_and_comments() -> None:
    text = '''\
a = """
[not.a.table]
b = { "x" = [1, ] }
# not a comment
\\""" still inside "" ""
"""
c = \'\'\'
[[nope]] ] } " \\
\'\'\'
d = """ends with quotes"""""
e = \'\'\'ends with quotes\'\'\'\'\'
f = "a \\" ] } [ { # =\\\\"
g = 'C:\\dir\\'
h = """line \\
    continued [ """
i = ["""[
]""", \'\'\'{
}\'\'\', "}"]
'''
    assert locate(text) == {
        ("a",): 1,
        ("c",): 7,
        ("d",): 10,
        ("e",): 11,
        ("f",): 12,
        ("g",): 13,
        ("h",): 14,
        ("i",): 16,
        ("i", 0): 16,
        ("i", 1): 17,
        ("i", 2): 18,
    }
    check_map(text)


def test_comments_with_brackets() -> None:
    text = """\
# [fake] { table
x = [ # ] } [
  1, # }
  # [[also.fake]]
  [2, # ]
   3],
] # ]]
[t] # [u]
y = { z = 1 } # }
"""
    assert locate(text) == {
        ("x",): 2,
        ("x", 0): 3,
        ("x", 1): 5,
        ("x", 1, 0): 5,
        ("x", 1, 1): 6,
        ("t",): 8,
        ("t", "y"): 9,
        ("t", "y", "z"): 9,
    }
    check_map(text)


def test_values_of_every_type() -> None:
    text = """\
odt1 = 1979-05-27T07:32:00Z
odt2 = 1979-05-27 07:32:00.999999-07:00
ldt = 1979-05-27 07:32:00
ld = 1979-05-27
lt = 07:32:00.5
floats = [inf, -inf, +inf, nan, -nan, 6.626e-34, -0.0, 1_000.5]
ints = [0xDEAD_beef, 0o755, 0b1101, +17, -1_000]
bools = [true, false, 1979-05-27 07:32:00, 1979-05-27]
mixed = [[1, 2], ["a", 'b'], [{x = 1}, [[]]], {}]
"""
    expected: dict[Path, int] = {
        ("odt1",): 1,
        ("odt2",): 2,
        ("ldt",): 3,
        ("ld",): 4,
        ("lt",): 5,
        ("floats",): 6,
        **{("floats", i): 6 for i in range(8)},
        ("ints",): 7,
        **{("ints", i): 7 for i in range(5)},
        ("bools",): 8,
        **{("bools", i): 8 for i in range(4)},
        ("mixed",): 9,
        ("mixed", 0): 9,
        ("mixed", 0, 0): 9,
        ("mixed", 0, 1): 9,
        ("mixed", 1): 9,
        ("mixed", 1, 0): 9,
        ("mixed", 1, 1): 9,
        ("mixed", 2): 9,
        ("mixed", 2, 0): 9,
        ("mixed", 2, 0, "x"): 9,
        ("mixed", 2, 1): 9,
        ("mixed", 2, 1, 0): 9,
        ("mixed", 3): 9,
    }
    assert locate(text) == expected
    check_map(text)


def test_arrays_of_arrays_over_several_lines() -> None:
    text = """\
m = [
  [1, 2],
  [
    [3],
    { a = [4,
           5] },
  ],
]
"""
    assert locate(text) == {
        ("m",): 1,
        ("m", 0): 2,
        ("m", 0, 0): 2,
        ("m", 0, 1): 2,
        ("m", 1): 3,
        ("m", 1, 0): 4,
        ("m", 1, 0, 0): 4,
        ("m", 1, 1): 5,
        ("m", 1, 1, "a"): 5,
        ("m", 1, 1, "a", 0): 5,
        ("m", 1, 1, "a", 1): 6,
    }
    check_map(text)


def test_empty_and_comment_only_documents() -> None:
    assert locate("") == {}
    assert locate("# nothing\n\n   \r\n") == {}


def test_deep_nesting_does_not_recurse() -> None:
    depth = 10_000
    lines = locate("x = " + "[" * depth + "]" * depth + "\n")
    assert len(lines) == MAX_DEPTH  # deeper paths are not marked
    assert lines[("x",)] == 1
    assert lines[("x",) + (0,) * (MAX_DEPTH - 1)] == 1

    depth = 3_000
    text = "y = " + "[\n" * depth + "1" + "]" * depth
    lines = locate(text)
    assert lines[("y",) + (0,) * (MAX_DEPTH - 1)] == MAX_DEPTH
    assert line_of(lines, ("y",) + (0,) * depth) == MAX_DEPTH  # the deepest marked prefix

    tables = locate("z = " + "{a = " * depth + "1" + "}" * depth)
    assert tables[("z",) + ("a",) * (MAX_DEPTH - 1)] == 1


@pytest.mark.parametrize(
    "text",
    [
        "[" + ".".join(["a"] * 40_000) + "]\nx = 1\n",  # 80 kB: 25 s and 6.3 GB when quadratic
        "[[" + ".".join(["a"] * 40_000) + "]]\nx = 1\n",
        "x = " + "[" * 40_000 + "]" * 40_000 + "\n",
    ],
    ids=["header", "array_header", "arrays"],
)
def test_deep_paths_cost_their_length(text: str) -> None:
    """The quadratic map kept a copy of every prefix of the path: 6.3 GB for 80 kB. Memory
    is counted, not time, so the bound holds on any machine."""
    import tracemalloc

    tracemalloc.start()
    try:
        lines = locate(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, peak
    assert max(len(path) for path in lines) == MAX_DEPTH


def test_one_megabyte_maps_every_line() -> None:
    layer = (
        "[[layers]]\n"
        'type = "conv"  # a [comment]\n'
        "kernel = [3, 3]\n"
        'args = { filters = 64, pad = "same", strides = [1, 1] }\n'
        'note = """multi\n[line]"""\n'
    )
    text = layer * (1_000_000 // len(layer) + 1)
    count = len(tomllib.loads(text)["layers"])
    lines = locate(text)
    assert lines[("layers", count - 1, "note")] == 6 * count - 1  # six lines per layer


# --------------------------------------------------------------------------- line_of


def test_line_of_prefix_fallback() -> None:
    lines = locate(BRIEF_EXAMPLE)
    assert line_of(lines, ("layers", 0, "kernel", 1)) == 5
    assert line_of(lines, ["layers", 0, "kernel"]) == 4
    assert line_of(lines, ("layers", 1, "kernel")) == 6  # defaulted key: its layer's line
    assert line_of(lines, ("layers", 7, "type")) == 2  # no such element: the array's line
    assert line_of(lines, ("missing", "x")) is None
    assert line_of(lines, ()) is None
    assert line_of({}, ("a",)) is None


# --------------------------------------------------------------------------- decode_error_line


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('name = "x"\n[[layers]]\ntype = conv\n', 3, "Invalid value"),
        ("[a]\nb = 1\n\n[a]\n", 4, "Cannot declare ('a',) twice"),
        ("a = 1\na = 2\n", 2, "Cannot overwrite a value"),
        (
            "a = 1\r\nb = 2 x\r\n",
            2,
            "Expected newline or end of document after a statement",
        ),
        ("a = {b = 1,\n c = 2}\n", 1, "Invalid initial character for a key part"),
        ("x = [1,\n2,\n", None, "Invalid value"),
        ('s = """abc\n', None, "Unterminated string"),
    ],
)
def test_decode_error_line(text: str, line: int | None, message: str) -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as info:
        tomllib.loads(text)
    assert decode_error_line(info.value) == (line, message)


def test_decode_error_line_without_position() -> None:
    assert decode_error_line(tomllib.TOMLDecodeError("odd")) == (None, "odd")


# --------------------------------------------------------------------------- properties

KEY_ALPHABET = list("abzAZ09-_ .\"'\\#[]{}=,\té\n")
keys = st.text(alphabet=KEY_ALPHABET, max_size=6)
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.text(max_size=12),
    st.text(alphabet=list("ab[]{}\"'#=\\\n ,"), max_size=12),
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)
comments = st.text(alphabet=list("ab []{}\"'#=,"), max_size=10)


def toml_string(draw: st.DrawFn, value: str) -> Any:
    literal, multiline = draw(st.booleans()), draw(st.booleans())
    try:
        return tomlkit.string(value, literal=literal, multiline=multiline)
    except tomlkit.exceptions.InvalidStringError:
        return tomlkit.string(value)


def toml_item(draw: st.DrawFn, value: Any, inline: bool) -> Any:
    """A tomlkit item for ``value``, in a randomly drawn style (table or inline, AoT or array)."""
    if isinstance(value, dict):
        if inline or draw(st.booleans()):
            table = tomlkit.inline_table()
            for key, sub in value.items():
                table.append(key, toml_item(draw, sub, inline=True))
            return table
        return fill(draw, tomlkit.table(), value)
    if isinstance(value, list):
        if value and not inline and all(isinstance(v, dict) for v in value):
            if draw(st.booleans()):
                aot = tomlkit.aot()
                for sub in value:
                    aot.append(fill(draw, tomlkit.table(), sub))
                return aot
        array = tomlkit.array()
        for sub in value:
            array.append(toml_item(draw, sub, inline=True))
        return array.multiline(draw(st.booleans()))
    if isinstance(value, str):
        return toml_string(draw, value)
    return tomlkit.item(value)


def fill(draw: st.DrawFn, container: Any, data: dict[str, Any]) -> Any:
    for key, value in data.items():
        if draw(st.booleans()):
            container.add(tomlkit.comment(draw(comments)))
        item = toml_item(draw, value, inline=False)
        if not isinstance(value, dict | list) and draw(st.booleans()):
            item.comment(draw(comments))
        container.add(key, item)
    return container


@st.composite
def tomlkit_documents(draw: st.DrawFn) -> str:
    data = draw(st.dictionaries(keys, values, max_size=6))
    text: str = fill(draw, tomlkit.document(), data).as_string()
    return text


STATEMENTS = [
    "{k} = 1979-05-27 07:32:00Z",
    "{k} = [1979-05-27 07:32:00, 07:32:00.1, 1979-05-27]",
    "{k} = [inf, -nan, +1.5e3, 0xff, 1_000]",
    '{k} . inner . "q.k" = true',
    '"{k} q" = "a\\"b[" # ] comment',
    "'{k}' = 'C:\\dir\\'",
    '{k} = """\n[ ] {{ }} # = \\"""\n"" """',
    "{k} = '''\n'' ] [[x]] '''''",
    "{k} = [ # c ]\n 1, # }}\n [2, [3]] ,\n ]",
    '{k} = {{ a = {{ b = [ {{ c = \'x]\' }} ] }}, "d e" = "}}" }}',
    '{k} = [\n  {{ type = "conv", filters = 6 }},\n  "maxpool 2",\n]',
    "{k}={{}}",
    "# [{k}] {{",
]


@st.composite
def handwritten_documents(draw: st.DrawFn) -> str:
    """Documents built from tricky statements tomlkit never writes (CRLF, `a . b`, ...).

    Every key is unique, so any statement is valid under any header ("" keeps the table).
    """
    out: list[str] = []
    counter = iter(range(10**6))
    has_aot = False
    for _ in range(draw(st.integers(0, 8))):
        header = draw(st.sampled_from(["", "[ t{n} . sub ]", "[[aot]]", "[[ aot . el ]]"]))
        if header == "[[ aot . el ]]" and not has_aot:
            header = "[[aot]]"
        has_aot |= header == "[[aot]]"
        if header:
            out.append(header.format(n=next(counter)))
        for template in draw(st.lists(st.sampled_from(STATEMENTS), max_size=4)):
            out.append(template.format(k=f"k{next(counter)}"))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(out) + draw(st.sampled_from(["", newline]))


documents = tomlkit_documents() | handwritten_documents()


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_every_path_is_mapped_to_a_plausible_line(text: str) -> None:
    check_map(text)


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data())
def test_inserting_a_line_shifts_later_lines(text: str, data: st.DataObject) -> None:
    source = text.split("\n")
    at = data.draw(st.integers(0, len(source)), label="insert before line index")
    shifted = "\n".join([*source[:at], "  # inserted [x] { ''' \"\"\"", *source[at:]])
    try:
        tomllib.loads(shifted)
    except tomllib.TOMLDecodeError:
        assume(False)
    expected = {path: line + (line > at) for path, line in locate(text).items()}
    assert locate(shifted) == expected


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow])
@given(tomlkit_documents())
def test_crlf_does_not_change_lines(text: str) -> None:
    crlf = text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        tomllib.loads(crlf)
    except tomllib.TOMLDecodeError:  # a literal string that may not hold a bare CR
        assume(False)
    assert locate(crlf) == locate(text.replace("\r\n", "\n"))


@settings(max_examples=examples(300))
@given(st.text(alphabet=list("ab=.[]{}\"'#,\n\r\t 1-:\\"), max_size=60) | st.text(max_size=30))
def test_never_raises_even_on_invalid_text(text: str) -> None:
    lines = locate(text)
    assert all(1 <= line <= text.count("\n") + 1 for line in lines.values())


@given(
    st.lists(
        st.sampled_from(["a", "b_1", '"q.r"', "'s'", ".", " . ", "\t", "\n", " = 1", "#"]),
        max_size=400,
    )
)
def test_the_deep_key_guard_finds_what_its_full_search_finds(pieces: list[str]) -> None:
    """deep_key skips the search when no line has enough dots: never a different answer."""
    import re

    from cnncalc.spec.source import _DEEP_KEY, MAX_KEY_PARTS, deep_key

    for text in ("".join(pieces), ("a." * MAX_KEY_PARTS).join(pieces[:3]) + "".join(pieces)):
        full = re.search(_DEEP_KEY, text)
        found = deep_key(text)
        assert (found and found.span()) == (full and full.span())
