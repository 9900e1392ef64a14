"""Resource bounds: what a file from a pull request can make cnncalc do."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cnncalc import analyze, load_text

PACKAGE = Path(__file__).parent.parent / "cnncalc"


def test_a_huge_repeat_is_refused_before_expansion(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "big.toml"
    path.write_text(
        '[blocks.b]\nlayers = [{ type = "relu", repeat = 1000 }]\n'
        '[blocks.c]\nlayers = [{ type = "b", repeat = 1000 }]\n'
        '[net]\ninput = [4, 4, 1]\nlayers = [{ type = "c", repeat = 1000 }]\n'
    )
    code, out, err = cli("summary", str(path), "-f", "json")
    assert (code, out) == (2, "")
    assert err == (
        f"{path}:7: net: the network expands to more than 10,000 layers; "
        "expected fewer (raise the bound with --max-layers)\n"
    )


def test_max_layers_moves_the_bound(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "net.toml"
    path.write_text('input = [4, 4, 1]\nlayers = [{ type = "relu", repeat = 300 }]\n')
    assert cli("shapes", str(path), "--max-layers", "299")[0] == 2
    assert cli("shapes", str(path), "--max-layers", "300", "-f", "csv")[0] == 0


def test_sizes_up_to_2_to_the_63_are_exact() -> None:
    big = 2**63
    (net,) = load_text(
        f'input = [{big}, 1]\nlayers = ["conv {big} kernel=3 stride=2", '
        '"global_pool", "flatten", "fc 3"]\n',
        "big.toml",
    )
    a = analyze(net)
    conv = a.layers[0]
    assert conv.shape == ((big - 3) // 2 + 1, big)
    assert conv.effect.macs == ((big - 3) // 2 + 1) * big * 3
    assert a.totals.params == (3 + 1) * big + (big + 1) * 3


def test_pathological_numbers_are_refused(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "huge.toml"
    path.write_text(f"input = [{10**1000}, 3]\nlayers = ['relu']\n")
    code, _, err = cli("shapes", str(path))
    assert code == 2
    assert err == (
        f"{path}:1: huge, input: 10000000000000000000… (1001 digits) is too large; "
        "expected at most 2**64 in [10000000000000000000… (1001 digits), 3]\n"
    )


def test_a_very_large_file_is_refused_without_reading_it_all(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "large.toml"
    with path.open("w") as handle:
        handle.write("input = [4, 4, 1]\nlayers = [\n")
        handle.write('  "relu",\n' * (17 * 2**20 // 10))
        handle.write("]\n")
    code, _, err = cli("shapes", str(path))
    assert code == 2
    assert err == (
        f"{path}: the file is larger than 16 MiB; expected an architecture file "
        "(use blocks and repeat for long networks)\n"
    )


# The one exec in the package: records.py compiles each record class's __init__ from the
# class's own field names, which it checks are Python names; no text from a file reaches it.
ALLOWED = {"records.py: exec()"}


def test_no_code_runs_from_a_file() -> None:
    """No eval, exec, compile, sympify or pickle anywhere in the package's code, but the
    one exec in ``ALLOWED``, which a file's text cannot reach."""
    calls = {"eval", "exec", "compile", "__import__"}
    names = {"sympify", "parse_expr", "literal_eval"}
    modules = {"pickle", "marshal", "dill", "shelve"}
    found = []
    paths = sorted(PACKAGE.rglob("*.py"))
    assert len(paths) > 50 and PACKAGE / "spec" / "expr.py" in paths  # every subpackage read
    for path in paths:
        name = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in calls
            ):
                if f"{name}: {node.func.id}()" not in ALLOWED:
                    found.append(f"{name}:{node.lineno}: {node.func.id}()")
            elif (
                isinstance(node, ast.Name)
                and node.id in names
                or isinstance(node, ast.Attribute)
                and node.attr in names
            ):
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                imported = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if modules & {n.split(".")[0] for n in imported}:
                    found.append(f"{name}:{node.lineno}: import {imported}")
    assert found == []


# --------------------------------------------------------------------------- cost bombs


def test_the_default_bound_refuses_a_small_file_of_a_million_layers(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """117 bytes that expand to 999,000 layers ran 25 s in 1.2 GB under a bound of 1,000,000."""
    from cnncalc.cli.options import MAX_LAYERS
    from cnncalc.spec.reader import DEFAULT_MAX_LAYERS

    assert MAX_LAYERS == DEFAULT_MAX_LAYERS == 10_000
    path = tmp_path / "bomb.toml"
    path.write_text(
        'input = [8]\n[blocks.b]\nlayers = [{ type = "relu", repeat = 999 }]\n'
        '[[layers]]\ntype = "b"\nrepeat = 1000\n'
    )
    for command in ("summary", "diagram", "report", "export", "check"):
        code, out, err = cli(command, str(path))
        assert code == 2
        assert err.endswith(
            "the network expands to more than 10,000 layers; "
            "expected fewer (raise the bound with --max-layers)\n"
        ), command


@pytest.mark.parametrize("command", ["summary", "report", "macs", "params"])
def test_reports_read_each_layer_a_bounded_number_of_times(
    command: str, cli, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Each report row used to add up the whole network again: 3,000 layers took 20 s."""
    from cnncalc.engine.walk import LayerResult

    reads = [0]
    totals = LayerResult.totals

    def counted(self: LayerResult) -> object:
        reads[0] += 1
        return totals.fget(self)  # type: ignore[attr-defined]

    monkeypatch.setattr(LayerResult, "totals", property(counted))
    n = 400
    path = tmp_path / "deep.toml"
    path.write_text(f'input = [8, 8, 3]\nlayers = [{{ type = "relu", repeat = {n} }}]\n')
    args = ["-o", str(tmp_path / "page.html")] if command == "report" else ["-f", "csv"]
    assert cli(command, str(path), *args)[0] == 0
    assert reads[0] <= 8 * n


def test_a_chain_of_strided_same_convolutions_stays_one_floor() -> None:
    """300 of them took 42 s when the paddings' min/max piled up in every formula: every
    shape stays one floor of H over the product of the strides."""
    from cnncalc.symbolic.formula import Formula

    (net,) = load_text(
        'input = ["H", "W", 3]\nlayers = [{ type = "conv", filters = 4, kernel = 3, stride = 2, '
        'padding = "same", repeat = 300 }]\n',
        "chain.toml",
    )
    a = analyze(net)
    last = a.layers[-1]
    assert Formula.sympy_text(last.shape[0]) == f"ceiling(H/{2**300})"
    for r in a.layers:
        window = r.effect.window
        assert window is not None and window[0].pad_start == 1
        assert (
            r.field.start == (0, 0)
            and r.field.size[0] == 2 ** (int(r.name.rsplit("_")[-1]) + 1) - 1
        )
        pad_end = r.effect.padding[0][1]
        assert not isinstance(pad_end, Formula) or pad_end.depth() <= 1


def test_floors_that_cannot_merge_nest_to_a_bound(cli) -> None:  # type: ignore[no-untyped-def]
    layers = "; ".join(["upsample 2; conv 4 kernel=2 stride=3"] * 40)
    code, out, err = cli("shapes", "--input", "Hx3", "--layers", layers, "-f", "json")
    assert (code, out) == (2, "")
    assert err == (
        "<layers>: network, conv33: a size formula nests more than 32 floor divisions; expected "
        "fewer strided layers after up-sampling, or numbers for the symbols (--set H=224)\n"
    )
    assert cli("shapes", "--input", "Hx3", "--layers", layers, "--set", "H=10", "-f", "csv")[0] == 0
