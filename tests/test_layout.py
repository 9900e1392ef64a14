"""The layered layout: exact pieces (row fitting, crossings) and invariants on any DAG."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.render.layout import (
    MAX_BENDS_PER_NODE,
    Item,
    Layered,
    Layout,
    crossings,
    fit_row,
    layered,
    longest_path_ranks,
)
from conftest import examples

EPS = 1e-6


def check_layout(
    lay: Layout, items: list[Item], edges: list[tuple[str, str]], stem: float = 0.0
) -> None:
    """The invariants every layout keeps; used by the diagram tests on real networks too."""
    boxes = lay.boxes
    assert set(boxes) == {it.id for it in items}
    for it in items:
        assert (boxes[it.id].width, boxes[it.id].height) == (it.width, it.height)
    # Boxes lie inside the drawing and never overlap.
    values = list(boxes.values())
    for i, a in enumerate(values):
        assert a.left >= -EPS and a.right <= lay.width + EPS and a.bottom <= lay.height + EPS
        for b in values[i + 1 :]:
            apart = (
                a.right <= b.left + EPS
                or b.right <= a.left + EPS
                or a.bottom <= b.y + EPS
                or b.bottom <= a.y + EPS
            )
            assert apart, f"boxes {a.id} and {b.id} overlap"
    # Ranks: each box inside its rank's band, ranks listed left to right and side by side.
    for r, row in enumerate(lay.ranks):
        top, bottom = lay.bands[r]
        centres = {boxes[i].y + boxes[i].height / 2 for i in row}
        assert max(centres) - min(centres) < 0.2, f"rank {r} is not on one line"
        for i in row:
            assert boxes[i].rank == r and top - EPS <= boxes[i].y <= boxes[i].bottom <= bottom + EPS
        for a, b in zip(row, row[1:], strict=False):
            assert boxes[a].right < boxes[b].left, f"{a} and {b} are not side by side"
    assert sorted(i for row in lay.ranks for i in row) == sorted(boxes)
    # Every edge is routed once, downwards, between the boxes it connects.
    wanted = list(dict.fromkeys((u, v) for u, v in edges))
    assert [(r.source, r.target) for r in lay.routes] == wanted
    for route in lay.routes:
        src, dst = boxes[route.source], boxes[route.target]
        assert dst.rank > src.rank
        (x0, y0), (x1, y1) = route.points[0], route.points[-1]
        assert abs(y0 - src.bottom) < 0.2 and src.left <= x0 <= src.right
        assert abs(y1 - dst.y) < 0.2 and dst.left <= x1 <= dst.right
        for (ax, ay), (bx, by) in zip(route.points, route.points[1:], strict=False):
            assert by > ay, f"{route.source} -> {route.target} does not go down"
            if ax == bx:  # a vertical run must not cut through any box
                for box in values:
                    inside_x = box.left + EPS < ax < box.right - EPS
                    inside_y = ay < box.bottom - EPS and by > box.y + EPS
                    assert not (inside_x and inside_y), f"edge crosses box {box.id}"
            else:  # a bend stays in the gap between two ranks, where there are no boxes
                gaps = [
                    (lay.bands[r][1] + stem, lay.bands[r + 1][0]) for r in range(len(lay.bands) - 1)
                ]
                assert any(abs(ay - g0) < 0.2 and abs(by - g1) < 0.2 for g0, g1 in gaps)
    # Branches: the successors of one node that share a rank sit side by side.
    successors: dict[str, list[str]] = {}
    for u, v in wanted:
        successors.setdefault(u, []).append(v)
    for kids in successors.values():
        for a in kids:
            for b in kids:
                if a < b and boxes[a].rank == boxes[b].rank:
                    assert boxes[a].right <= boxes[b].left or boxes[b].right <= boxes[a].left


def items_of(sizes: dict[str, tuple[float, float]]) -> list[Item]:
    return [Item(k, w, h) for k, (w, h) in sizes.items()]


# --------------------------------------------------------------------------- pieces


def test_fit_row_keeps_feasible_positions() -> None:
    assert fit_row([0.0, 50.0, 100.0], [1, 1, 1], [10, 10]) == [0.0, 50.0, 100.0]


def test_fit_row_spreads_a_crowd_around_its_mean() -> None:
    # Three nodes that all want x = 0 with 10 between neighbours: -10, 0, 10.
    assert fit_row([0.0, 0.0, 0.0], [1, 1, 1], [10, 10]) == [-10.0, 0.0, 10.0]


def test_fit_row_weights_pull_harder() -> None:
    # Two nodes want 0 and 0; the heavy one (weight 3) moves a quarter as far.
    assert fit_row([0.0, 0.0], [3, 1], [8]) == [-2.0, 6.0]


@given(
    st.lists(
        st.tuples(st.floats(-500, 500), st.floats(0.1, 10), st.floats(0, 60)),
        min_size=1,
        max_size=8,
    )
)
def test_fit_row_is_feasible_and_optimal(rows: list[tuple[float, float, float]]) -> None:
    desired = [r[0] for r in rows]
    weights = [r[1] for r in rows]
    seps = [r[2] for r in rows[1:]]
    x = fit_row(desired, weights, seps)
    for i, s in enumerate(seps):
        assert x[i + 1] - x[i] >= s - 1e-6

    def cost(xs: list[float]) -> float:
        return sum(w * (a - d) ** 2 for a, d, w in zip(xs, desired, weights, strict=True))

    # No feasible nudge of one position or of a run of positions does better.
    best = cost(x)
    for i in range(len(x)):
        for j in range(i + 1, len(x) + 1):
            for delta in (-0.5, 0.5):
                moved = [v + delta if i <= k < j else v for k, v in enumerate(x)]
                if all(moved[k + 1] - moved[k] >= seps[k] - 1e-9 for k in range(len(seps))):
                    assert cost(moved) >= best - 1e-6


def test_crossings_counts_pairs() -> None:
    assert crossings([(0, 0), (1, 1)]) == 0
    assert crossings([(0, 1), (1, 0)]) == 1
    assert crossings([(0, 2), (1, 1), (2, 0)]) == 3
    assert crossings([(0, 0), (0, 1)]) == 0  # a shared end is not a crossing


def test_ranks_follow_the_longest_path() -> None:
    # 0 → 1 → 2 → 3 and a shortcut 0 → 3: 3 sits below 2, not just below 0.
    assert longest_path_ranks(4, [(0, 1), (1, 2), (2, 3), (0, 3)]) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("items", "edges", "message"),
    [
        ([Item("a", 1, 1), Item("a", 1, 1)], [], "duplicate node id 'a'"),
        ([Item("a", 1, 1)], [("a", "b")], "edge 'a' -> 'b' names an unknown node"),
        ([Item("a", 1, 1)], [("a", "a")], "edge 'a' -> 'a' is a self-loop"),
        (
            [Item("a", 1, 1), Item("b", 1, 1)],
            [("a", "b"), ("b", "a")],
            "the graph has a cycle; a layered layout needs a DAG",
        ),
    ],
)
def test_bad_graphs_are_refused(
    items: list[Item], edges: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        layered(items, edges)
    assert str(caught.value) == message


# --------------------------------------------------------------------------- shapes of graphs


def test_a_chain_is_one_straight_column() -> None:
    items = items_of({"a": (80, 40), "b": (120, 40), "c": (60, 40)})
    edges = [("a", "b"), ("b", "c")]
    lay = layered(items, edges)
    check_layout(lay, items, edges)
    assert len({box.x for box in lay.boxes.values()}) == 1
    assert [r for r in lay.ranks] == [["a"], ["b"], ["c"]]
    for route in lay.routes:
        assert len({x for x, _ in route.points}) == 1  # straight down


def test_a_diamond_puts_its_branches_side_by_side() -> None:
    items = items_of({"in": (80, 40), "left": (80, 40), "right": (80, 40), "out": (80, 40)})
    edges = [("in", "left"), ("in", "right"), ("left", "out"), ("right", "out")]
    lay = layered(items, edges)
    check_layout(lay, items, edges)
    assert lay.ranks == [["in"], ["left", "right"], ["out"]]
    left, right = lay.boxes["left"], lay.boxes["right"]
    assert left.y == right.y and left.right + 24 <= right.left + EPS
    # The fork and the merge are centred between the branches.
    assert lay.boxes["in"].x == lay.boxes["out"].x == (left.x + right.x) / 2
    # The two edges into the merge arrive at distinct points on its top.
    ends = sorted(r.points[-1][0] for r in lay.routes if r.target == "out")
    assert ends[0] < ends[1]


def test_a_skip_connection_runs_beside_the_chain_it_skips() -> None:
    names = ["x", "c1", "c2", "c3", "add"]
    items = items_of({n: (90, 40) for n in names})
    edges = [("x", "c1"), ("c1", "c2"), ("c2", "c3"), ("c3", "add"), ("x", "add")]
    lay = layered(items, edges, stem=10)
    check_layout(lay, items, edges, stem=10)
    skip = next(r for r in lay.routes if (r.source, r.target) == ("x", "add"))
    middle = [x for x, y in skip.points[2:-2]]
    chain = lay.boxes["c2"]
    assert middle and all(x >= chain.right + 24 - EPS or x <= chain.left - 24 + EPS for x in middle)
    assert len(set(middle)) == 1  # one straight vertical run


def test_room_on_the_right_keeps_labels_clear() -> None:
    items = [Item("a", 60, 30), Item("b", 60, 30, right=150), Item("c", 60, 30), Item("d", 60, 30)]
    edges = [("a", "b"), ("a", "c"), ("a", "d")]
    lay = layered(items, edges)
    check_layout(lay, items, edges)
    row = lay.ranks[1]
    i = row.index("b")
    if i + 1 < len(row):
        assert lay.boxes[row[i + 1]].left >= lay.boxes["b"].x + 150 + 24 - EPS


def test_the_same_graph_gives_the_same_layout() -> None:
    items = items_of({str(i): (50 + 7 * i, 30 + i) for i in range(9)})
    edges = [("0", "1"), ("0", "2"), ("1", "3"), ("2", "3"), ("0", "4"), ("4", "8"), ("3", "8")]
    edges += [("5", "6"), ("6", "7"), ("7", "8")]
    assert layered(items, edges) == layered(items, edges)


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[Item], list[tuple[str, str]]]:
    n = draw(st.integers(1, 14))
    items = [
        Item(
            f"n{i}",
            draw(st.integers(20, 160)),
            draw(st.integers(20, 80)),
            draw(st.integers(0, 120)),
        )
        for i in range(n)
    ]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True)) if pairs else []
    return items, [(f"n{i}", f"n{j}") for i, j in chosen]


@settings(max_examples=examples(150), deadline=None)
@given(dags(), st.sampled_from([0.0, 12.0]))
def test_every_dag_keeps_the_invariants(
    graph: tuple[list[Item], list[tuple[str, str]]], stem: float
) -> None:
    items, edges = graph
    lay = layered(items, edges, stem=stem)
    check_layout(lay, items, edges, stem=stem)


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=30))
def test_crossings_agree_with_every_pair(segments: list[tuple[int, int]]) -> None:
    pairs = sum(
        1
        for i, (a1, b1) in enumerate(segments)
        for a2, b2 in segments[i + 1 :]
        if (a1 - a2) * (b1 - b2) < 0
    )
    assert crossings(segments) == pairs


def test_skip_connections_cost_a_bounded_number_of_bends() -> None:
    """Every layer reading the first: n*(n-1)/2 bends if all were routed, 8 per node here."""
    n = 400
    items = [Item(f"l{i}", 40.0, 20.0) for i in range(n)]
    edges = [(f"l{i - 1}", f"l{i}") for i in range(1, n)] + [("l0", f"l{i}") for i in range(2, n)]
    graph = Layered(items, [(int(u[1:]), int(v[1:])) for u, v in edges])
    assert len(graph.rank) - n <= MAX_BENDS_PER_NODE * n
    routes = layered(items, edges).routes
    assert len(routes) == len(edges)
    straight = [r for r in routes if r.source == "l0" and len(r.points) <= 4]
    assert straight  # the longest skips are drawn straight across
