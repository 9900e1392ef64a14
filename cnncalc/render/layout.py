"""Layered top-to-bottom graph layout (Sugiyama style): pure geometry, nothing drawn.

The steps are the classic ones (Gansner et al., "A technique for drawing
directed graphs", 1993): rank every node by its longest path from a source,
break edges that skip ranks into chains of dummy points, order each rank by
barycentre sweeps to cut crossings, then give each rank x coordinates that
keep chains straight (an exact weighted least-squares fit under the
no-overlap constraints, solved by pool-adjacent-violators). Every step is
deterministic: the same graph gives the same numbers.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]

SWEEPS = 12  # crossing-reduction iterations (down and up)
PASSES = 16  # coordinate-assignment iterations
LARGE = 4000  # nodes and bends past which one pass of each kind must do: time stays linear
DUMMY_WIDTH = 2.0
# Long edges bend once per rank they skip, so n skip connections from the first layer would
# need n*n/2 bends: past this many per node the longest edges are drawn straight instead.
MAX_BENDS_PER_NODE = 8


@dataclass(frozen=True)
class Item:
    """A node to place: its box size, and room it needs right of its centre below the box."""

    id: str
    width: float
    height: float
    right: float = 0.0  # e.g. for a label written beside the edge that leaves the box


@dataclass(frozen=True)
class Box:
    """A placed node: ``x`` is the centre, ``y`` the top edge."""

    id: str
    x: float
    y: float
    width: float
    height: float
    rank: int

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class Route:
    """The polyline of one edge, from the bottom of its source to the top of its target.

    Consecutive points with the same x are a straight vertical run (inside a
    rank's band); the others cross the gap between two bands.
    """

    source: str
    target: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    routes: list[Route]
    ranks: list[list[str]]  # node ids per rank, left to right
    bands: list[tuple[float, float]]  # (top, bottom) of each rank
    width: float
    height: float


# --------------------------------------------------------------------------- graph


def topological(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Kahn's order, smallest index first among the ready nodes, so it is stable."""
    waiting = [0] * n
    out: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        waiting[v] += 1
        out[u].append(v)
    ready = [i for i in range(n) if waiting[i] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for v in out[u]:
            waiting[v] -= 1
            if waiting[v] == 0:
                heapq.heappush(ready, v)
    if len(order) < n:
        raise ValueError("the graph has a cycle; a layered layout needs a DAG")
    return order


def longest_path_ranks(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Each node one rank below its lowest predecessor; sources on rank 0."""
    preds: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        preds[v].append(u)
    rank = [0] * n
    for v in topological(n, edges):
        if preds[v]:
            rank[v] = max(rank[u] for u in preds[v]) + 1
    return rank


def routed_edges(rank: Sequence[int], edges: Sequence[tuple[int, int]], budget: int) -> set[int]:
    """The edges routed around the boxes: the shortest first, while their bends fit ``budget``."""
    routed = set()
    for e in sorted(range(len(edges)), key=lambda e: rank[edges[e][1]] - rank[edges[e][0]]):
        u, v = edges[e]
        budget -= rank[v] - rank[u] - 1
        if budget < 0:
            break
        routed.add(e)
    return routed


# --------------------------------------------------------------------------- crossings


def crossings(segments: Sequence[tuple[int, int]]) -> int:
    """Pairs of segments between two ranks that cross, given (upper, lower) positions.

    Sorted by upper position, a crossing is a pair whose lower positions are in the
    opposite order: inversions, counted with a Fenwick tree in O(k log k), since a rank
    of thousands of branches must not cost millions of comparisons.
    """
    lows = sorted({b for _, b in segments})
    slot = {b: i + 1 for i, b in enumerate(lows)}
    tree = [0] * (len(lows) + 1)
    count = seen = 0
    for _, b in sorted(segments):
        i = slot[b]
        below = 0  # segments seen so far whose lower end is at or left of this one's
        while i:
            below += tree[i]
            i -= i & -i
        count += seen - below
        i = slot[b]
        while i < len(tree):
            tree[i] += 1
            i += i & -i
        seen += 1
    return count


class Layered:
    """The graph with dummy points on long edges: slots per rank and links between ranks."""

    def __init__(self, items: Sequence[Item], edges: Sequence[tuple[int, int]]) -> None:
        n = len(items)
        self.items = items
        self.n = n
        rank = longest_path_ranks(n, edges)
        self.rank = list(rank)
        self.left_ext = [it.width / 2 for it in items]
        self.right_ext = [max(it.width / 2, it.right) for it in items]
        self.key: list[tuple[int, int]] = [(i, 0) for i in range(n)]
        self.chains: list[list[int]] = []
        self.up: list[list[int]] = [[] for _ in range(n)]
        self.down: list[list[int]] = [[] for _ in range(n)]
        routed = routed_edges(rank, edges, MAX_BENDS_PER_NODE * n)
        for e, (u, v) in enumerate(edges):
            if e not in routed:  # drawn straight across, outside the ordering and placing
                self.chains.append([u, v])
                continue
            chain = [u]
            for r in range(rank[u] + 1, rank[v]):
                d = len(self.rank)
                self.rank.append(r)
                self.left_ext.append(DUMMY_WIDTH / 2)
                self.right_ext.append(DUMMY_WIDTH / 2)
                self.key.append((v, 1))  # start beside the chain that leads to the target
                self.up.append([])
                self.down.append([])
                chain.append(d)
            chain.append(v)
            for a, b in zip(chain, chain[1:], strict=False):
                self.down[a].append(b)
                self.up[b].append(a)
            self.chains.append(chain)
        depth = max(self.rank, default=-1) + 1
        self.ranks: list[list[int]] = [[] for _ in range(depth)]
        for s in sorted(range(len(self.rank)), key=lambda s: self.key[s]):
            self.ranks[self.rank[s]].append(s)

    def is_dummy(self, s: int) -> bool:
        return s >= self.n

    def weight(self, a: int, b: int) -> float:
        """Straight long edges matter most, as in Gansner et al.'s priority method."""
        return (
            1.0
            + 3.0 * (self.is_dummy(a) + self.is_dummy(b))
            + 2.0 * (self.is_dummy(a) and self.is_dummy(b))
        )

    # ----- ordering

    def positions(self) -> list[int]:
        pos = [0] * len(self.rank)
        for row in self.ranks:
            for i, s in enumerate(row):
                pos[s] = i
        return pos

    def total_crossings(self) -> int:
        pos = self.positions()
        total = 0
        for row in self.ranks[:-1]:
            segments = [(pos[a], pos[b]) for a in row for b in self.down[a]]
            total += crossings(segments)
        return total

    def sweep(self, downward: bool) -> None:
        indices = range(1, len(self.ranks)) if downward else range(len(self.ranks) - 2, -1, -1)
        pos = self.positions()
        for r in indices:
            keys = {}
            for s in self.ranks[r]:
                near = self.up[s] if downward else self.down[s]
                centre = sum(pos[t] for t in near) / len(near) if near else float(pos[s])
                keys[s] = (centre, pos[s])
            self.ranks[r] = sorted(self.ranks[r], key=keys.__getitem__)
            for i, s in enumerate(self.ranks[r]):  # only this rank moved
                pos[s] = i

    def order(self) -> None:
        best = [list(row) for row in self.ranks]
        fewest = self.total_crossings()
        for i in range(SWEEPS):
            if fewest == 0:
                break
            self.sweep(downward=i % 2 == 0)
            found = self.total_crossings()
            if found < fewest:
                fewest = found
                best = [list(row) for row in self.ranks]
        self.ranks = best

    # ----- coordinates

    def separation(self, a: int, b: int, gap: float, edge_gap: float) -> float:
        both_dummies = self.is_dummy(a) and self.is_dummy(b)
        return self.right_ext[a] + (edge_gap if both_dummies else gap) + self.left_ext[b]

    def coordinates(self, gap: float, edge_gap: float) -> list[float]:
        x = [0.0] * len(self.rank)
        for row in self.ranks:
            at = 0.0
            for i, s in enumerate(row):
                if i:
                    at += self.separation(row[i - 1], s, gap, edge_gap)
                x[s] = at
        for p in range(PASSES if len(self.rank) <= LARGE else 3):
            mode = ("down", "up", "both")[p % 3]
            indices = range(len(self.ranks) - 1, -1, -1) if mode == "up" else range(len(self.ranks))
            for r in indices:
                row = self.ranks[r]
                desired, weights = [], []
                for s in row:
                    near = (
                        self.up[s]
                        if mode == "down"
                        else self.down[s]
                        if mode == "up"
                        else self.up[s] + self.down[s]
                    )
                    if near:
                        w = [self.weight(s, t) for t in near]
                        desired.append(
                            sum(wi * x[t] for wi, t in zip(w, near, strict=True)) / sum(w)
                        )
                        weights.append(sum(w))
                    else:
                        desired.append(x[s])
                        weights.append(0.25)
                seps = [
                    self.separation(row[i - 1], row[i], gap, edge_gap) for i in range(1, len(row))
                ]
                for s, value in zip(row, fit_row(desired, weights, seps), strict=True):
                    x[s] = value
        self.straighten(x, gap, edge_gap)
        self.snap(x, gap, edge_gap)
        return x

    def snap(self, x: list[float], gap: float, edge_gap: float, reach: float = 8.0) -> None:
        """Line a node up with its only predecessor when it is nearly there, to avoid jogs."""
        for row in self.ranks[1:]:
            for i, s in enumerate(row):
                if len(self.up[s]) != 1:
                    continue
                target = x[self.up[s][0]]
                if abs(target - x[s]) > reach:
                    continue
                if i > 0 and target < x[row[i - 1]] + self.separation(row[i - 1], s, gap, edge_gap):
                    continue
                if i + 1 < len(row) and target > x[row[i + 1]] - self.separation(
                    s, row[i + 1], gap, edge_gap
                ):
                    continue
                x[s] = target

    def straighten(self, x: list[float], gap: float, edge_gap: float) -> None:
        """Put each long edge's dummy points on one vertical line where the ranks have room."""
        where = {s: (r, i) for r, row in enumerate(self.ranks) for i, s in enumerate(row)}
        for chain in self.chains:
            dummies = chain[1:-1]
            if len(dummies) < 2:
                continue
            lo, hi = -float("inf"), float("inf")
            for d in dummies:
                r, i = where[d]
                row = self.ranks[r]
                if i > 0:
                    lo = max(lo, x[row[i - 1]] + self.separation(row[i - 1], d, gap, edge_gap))
                if i + 1 < len(row):
                    hi = min(hi, x[row[i + 1]] - self.separation(d, row[i + 1], gap, edge_gap))
            if lo > hi:
                continue
            ends = (x[chain[0]] + x[chain[-1]]) / 2
            middle = sorted(x[d] for d in dummies)[len(dummies) // 2]
            target = min(max(middle if lo <= middle <= hi else ends, lo), hi)
            for d in dummies:
                x[d] = target


def fit_row(
    desired: Sequence[float], weights: Sequence[float], seps: Sequence[float]
) -> list[float]:
    """Positions closest to ``desired`` (weighted least squares) with x[i+1] - x[i] >= seps[i].

    Shifting each position by the sum of the separations before it turns the
    constraints into plain monotonicity, which pool-adjacent-violators solves
    exactly.
    """
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    target = [d - o for d, o in zip(desired, offsets, strict=True)]
    blocks: list[list[float]] = []  # [mean, weight, count]
    for t, w in zip(target, weights, strict=True):
        blocks.append([t, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            w = w1 + w2
            blocks.append([(m1 * w1 + m2 * w2) / w, w, c1 + c2])
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * int(count))
    return [y + o for y, o in zip(out, offsets, strict=True)]


# --------------------------------------------------------------------------- entry point


def layered(
    items: Sequence[Item],
    edges: Sequence[tuple[str, str]],
    *,
    gap: float = 24.0,
    edge_gap: float = 10.0,
    rank_gap: float = 44.0,
    margin: float = 12.0,
    port_gap: float = 14.0,
    stem: float = 0.0,
) -> Layout:
    """Place ``items`` in ranks from top to bottom and route ``edges`` between them.

    An edge leaves its source straight down for ``stem`` below the source's band
    before it bends, which leaves room beside it for a label. Raises ValueError
    for unknown or duplicate ids, self-loops and cycles.
    """
    if stem >= rank_gap:
        raise ValueError("the stem must be shorter than the gap between ranks")
    index: dict[str, int] = {}
    for i, it in enumerate(items):
        if it.id in index:
            raise ValueError(f"duplicate node id {it.id!r}")
        index[it.id] = i
    pairs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for u, v in edges:
        if u not in index or v not in index:
            raise ValueError(f"edge {u!r} -> {v!r} names an unknown node")
        if u == v:
            raise ValueError(f"edge {u!r} -> {v!r} is a self-loop")
        pair = (index[u], index[v])
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    graph = Layered(items, pairs)
    graph.order()
    x = graph.coordinates(gap, edge_gap)
    lowest = min((x[s] - graph.left_ext[s] for s in range(len(x))), default=0.0)
    x = [round(v - lowest + margin, 1) for v in x]

    bands: list[tuple[float, float]] = []
    top = margin
    for row in graph.ranks:
        height = max((items[s].height for s in row if not graph.is_dummy(s)), default=0.0)
        bands.append((round(top, 1), round(top + height, 1)))
        top += height + rank_gap
    total_height = (top - rank_gap if bands else margin) + margin
    right = max((x[s] + graph.right_ext[s] for s in range(len(x))), default=0.0)

    boxes: dict[str, Box] = {}
    for i, it in enumerate(items):
        band_top, band_bottom = bands[graph.rank[i]]
        y = round(band_top + (band_bottom - band_top - it.height) / 2, 1)
        boxes[it.id] = Box(it.id, x[i], y, it.width, it.height, graph.rank[i])

    ports = in_ports(graph, x, items, port_gap)
    routes = []
    for c, chain in enumerate(graph.chains):
        src, dst = boxes[items[chain[0]].id], boxes[items[chain[-1]].id]
        points: list[Point] = [(src.x, src.bottom), (src.x, bands[src.rank][1] + stem)]
        for d in chain[1:-1]:
            band_top, band_bottom = bands[graph.rank[d]]
            points += [(x[d], band_top), (x[d], band_bottom + stem)]
        port = ports[c]
        points += [(port, bands[dst.rank][0]), (port, dst.y)]
        points = [(round(px, 1), round(py, 1)) for px, py in points]
        deduped = [points[0]] + [p for p, q in zip(points[1:], points, strict=False) if p != q]
        routes.append(Route(src.id, dst.id, tuple(deduped)))

    ranks = [[items[s].id for s in row if not graph.is_dummy(s)] for row in graph.ranks]
    return Layout(boxes, routes, ranks, bands, round(right + margin, 1), round(total_height, 1))


def in_ports(graph: Layered, x: Sequence[float], items: Sequence[Item], gap: float) -> list[float]:
    """Where each edge enters its target: spread along the top, in the order they arrive."""
    arriving: dict[int, list[tuple[float, int]]] = {}
    for c, chain in enumerate(graph.chains):
        arriving.setdefault(chain[-1], []).append((x[chain[-2]], c))
    ports = [0.0] * len(graph.chains)
    for v, edges in arriving.items():
        edges.sort()
        k = len(edges)
        step = min(gap, items[v].width / (k + 1))
        for j, (_, c) in enumerate(edges):
            ports[c] = round(x[v] + (j - (k - 1) / 2) * step, 1)
    return ports
