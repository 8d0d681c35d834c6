"""The layered layout (grandalf's Sugiyama): rows, residual lanes, wrapping of deep networks."""

from __future__ import annotations

import itertools

from app.core.graph import Graph
from app.core.layout import (
    CARD_ROOM,
    COLUMN_GAP,
    ROW_GAP,
    WRAP_AFTER_ROWS,
    band_cuts,
    layered_layout,
    layered_positions,
)
from tests.benchmarks.graphs import efficientnet_b0_like


def chain(length: int) -> Graph:
    graph = Graph()
    previous = graph.add_node("InputLayer", config={"batch_shape": [None, 8]})
    for _ in range(length - 1):
        node = graph.add_node("Dense", config={"units": 8})
        graph.connect(previous.id, node.id)
        previous = node
    return graph


def residual_chain(blocks: int) -> tuple[Graph, list[tuple[str, str, str]]]:
    """input -> blocks of (dense, dense, add(skip)); returns (block input, branch, add) per block."""
    graph = Graph()
    x = graph.add_node("InputLayer", config={"batch_shape": [None, 8]}).id
    triples = []
    for _ in range(blocks):
        a = graph.add_node("Dense", config={"units": 8}).id
        b = graph.add_node("Dense", config={"units": 8}).id
        add = graph.add_node("Add").id
        graph.connect(x, a)
        graph.connect(a, b)
        graph.connect(b, add, "inputs")
        graph.connect(x, add, "inputs")
        triples.append((x, b, add))
        x = add
    return graph, triples


def assert_no_overlap(positions: dict) -> None:
    for (a, (ax, ay)), (b, (bx, by)) in itertools.combinations(positions.items(), 2):
        assert abs(ax - bx) >= CARD_ROOM[0] or abs(ay - by) >= CARD_ROOM[1], (a, b)


def test_no_two_cards_overlap_in_an_efficientnet_sized_graph() -> None:
    graph = efficientnet_b0_like()
    positions = layered_positions(graph)
    assert set(positions) == {n.id for n in graph.nodes()}
    assert_no_overlap(positions)


def test_each_node_is_below_its_inputs_within_a_column() -> None:
    graph, _ = residual_chain(3)  # 10 rows: one column
    positions = layered_positions(graph)
    for edge in graph.edges():
        assert positions[edge.source][1] < positions[edge.target][1]
    assert {y % ROW_GAP for _, y in positions.values()} == {0.0}


def test_a_residual_branch_runs_beside_its_skip_connection() -> None:
    """The skip edge takes a lane of its own: the branch's cards are not on the skip's straight line."""
    graph, triples = residual_chain(3)
    positions = layered_positions(graph)
    for block_in, branch_end, add in triples:
        (sx, sy), (bx, _), (ax, ay) = positions[block_in], positions[branch_end], positions[add]
        assert ay - sy == 3 * ROW_GAP
        lane = {x for key, (x, y) in positions.items() if sy < y < ay}
        assert len(lane) == 1  # the branch: one card per row, all in one column
        assert abs(bx - min(sx, ax)) < COLUMN_GAP  # the branch sits right beside the skip


def test_a_200_layer_chain_wraps_into_columns_of_bounded_height() -> None:
    graph = chain(200)
    positions = layered_positions(graph)
    assert_no_overlap(positions)
    height = max(y for _, y in positions.values()) - min(y for _, y in positions.values())
    width = max(x for x, _ in positions.values()) - min(x for x, _ in positions.values())
    assert height <= 40 * ROW_GAP  # one column would be 199 rows
    assert width > 2 * COLUMN_GAP  # several columns side by side
    assert width / height < 4  # and not one long row either
    # read column by column: each next layer is one row lower, or at the top of the next column
    order = [n.id for n in graph.nodes()]
    for a, b in itertools.pairwise(order):
        (ax, ay), (bx, by) = positions[a], positions[b]
        assert (bx == ax and by == ay + ROW_GAP) or (by == 0.0 and bx > ax)


def test_short_networks_stay_one_column() -> None:
    positions = layered_positions(chain(WRAP_AFTER_ROWS))
    assert len({x for x, _ in positions.values()}) == 1


def test_explicit_wrap_rows() -> None:
    positions = layered_positions(chain(30), wrap_rows=10)
    assert len({x for x, _ in positions.values()}) == 3
    assert max(y for _, y in positions.values()) == 9 * ROW_GAP


def test_columns_are_cut_after_a_layer_the_whole_network_passes_through() -> None:
    assert band_cuts([1, 2, 2, 1, 2, 2, 2, 2], 5) == [(0, 4), (4, 8)]
    assert band_cuts([2] * 7, 3) == [(0, 3), (3, 6), (6, 7)]  # nowhere narrow: cut at the limit
    assert band_cuts([1] * 4, 10) == [(0, 4)]


def test_a_wrapped_residual_network_is_cut_between_residual_blocks() -> None:
    """Only the last layer of a column feeds the next column: no skip edge spans two columns."""
    graph, triples = residual_chain(40)  # 121 ranks
    positions = layered_positions(graph)
    assert_no_overlap(positions)
    crossing = [(e.source, e.target) for e in graph.edges() if positions[e.target][1] <= positions[e.source][1]]
    assert crossing  # it did wrap
    block_outputs = {add for _, _, add in triples}
    bottoms = {x: max(y for xx, y in positions.values() if xx == x) for x, _ in positions.values()}
    for source, _ in crossing:  # only a block's output feeds the next column: no branch is cut
        assert source in block_outputs
        assert positions[source][1] == bottoms[positions[source][0]]  # the last row of its column


def test_separate_pieces_sit_side_by_side_and_cycles_are_drawn() -> None:
    positions = layered_layout(["a", "b", "c", "d"], [("a", "b"), ("b", "a"), ("c", "d"), ("x", "a")])
    assert set(positions) == {"a", "b", "c", "d"}
    assert_no_overlap(positions)
    assert positions["a"][1] != positions["b"][1]
    assert positions["c"][0] > positions["a"][0]
    assert layered_layout([], []) == {}
    assert layered_layout(["solo"], []) == {"solo": (0.0, 0.0)}
