"""Cases for normalization and regularization layers."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.keras.cases.base import Case, Shape, any_shape, dims


def maybe_unknown(rank_min: int = 2, rank_max: int = 5, max_value: int = 8) -> st.SearchStrategy[Shape]:
    """A batch shape where now and then (one dimension in eight) a dimension is unknown (None)."""
    # Hypothesis favours the simplest branch of a one_of, so None is drawn from the top of a range instead.
    dim = st.tuples(st.integers(0, 7), dims(1, max_value)).map(lambda t: None if t[0] == 7 else t[1])
    return st.integers(rank_min - 1, rank_max - 1).flatmap(
        lambda n: st.tuples(*[dim] * n).map(lambda t: (None, *t))
    )


def feature_axis(rank: int) -> st.SearchStrategy[int]:
    """A non-batch axis, written positive or negative."""
    return st.integers(1, rank - 1).flatmap(lambda a: st.sampled_from([a, a - rank]))


def axis_for(rank: int) -> st.SearchStrategy[int]:
    """Mostly a feature axis; sometimes the batch axis or one that does not exist."""
    return st.one_of(st.just(-1), feature_axis(rank), feature_axis(rank), st.integers(-rank - 1, rank))


def axis_list(rank: int, first: int = 1) -> st.SearchStrategy[list[int]]:
    """Distinct axes from ``first`` on, each written positive or negative."""
    return st.lists(st.integers(first, rank - 1), min_size=1, max_size=rank - first, unique=True).flatmap(
        lambda axes: st.tuples(*[st.sampled_from([a, a - rank]) for a in axes]).map(list)
    )


def int_or_list_axis(rank: int) -> st.SearchStrategy[int | list[int]]:
    """Mostly valid axes; now and then a list that includes the batch axis, or an axis that does not exist."""
    return st.one_of(axis_for(rank), axis_list(rank), axis_list(rank), axis_list(rank, first=0),
                     st.integers(rank, rank + 1))


def _batch_norm() -> st.SearchStrategy[Case]:
    return maybe_unknown(2, 5).flatmap(lambda s: st.builds(
        lambda axis, center, scale, renorm, trainable, momentum: Case(
            {"axis": axis, "center": center, "scale": scale, "renorm": renorm, "trainable": trainable,
             "momentum": momentum}, [s]),
        axis_for(len(s)), st.booleans(), st.booleans(), st.booleans(), st.booleans(),
        st.floats(0.5, 0.999),
    ))


def _layer_norm() -> st.SearchStrategy[Case]:
    return maybe_unknown(2, 5).flatmap(lambda s: st.builds(
        lambda axis, center, scale, rms, eps: Case(
            {"axis": axis, "center": center, "scale": scale, "rms_scaling": rms, "epsilon": eps}, [s]),
        int_or_list_axis(len(s)), st.booleans(), st.booleans(), st.sampled_from([False, False, False, True]),
        st.floats(1e-6, 0.1),
    ))


def _unit_norm() -> st.SearchStrategy[Case]:
    return maybe_unknown(2, 5).flatmap(lambda s: st.builds(
        lambda axis: Case({"axis": axis}, [s]),
        st.one_of(int_or_list_axis(len(s)), st.integers(-len(s) - 2, -len(s) - 1)),
    ))


CASES = {
    "BatchNormalization": _batch_norm(),
    "LayerNormalization": _layer_norm(),
    "UnitNormalization": _unit_norm(),
    "SpatialDropout1D": st.builds(
        lambda r, s: Case({"rate": r}, [s]),
        st.floats(0, 0.9), st.one_of(maybe_unknown(3, 3), maybe_unknown(3, 3), any_shape(2, 5)),
    ),
    "SpatialDropout2D": st.builds(
        lambda r, fmt, s: Case({"rate": r, "data_format": fmt}, [s]),
        st.floats(0, 0.9), st.sampled_from(["channels_last", "channels_first"]),
        st.one_of(maybe_unknown(4, 4), maybe_unknown(4, 4), any_shape(2, 5)),
    ),
    "GaussianNoise": st.builds(
        lambda sd, s, t: Case({"stddev": sd, "trainable": t}, [s]), st.floats(0, 1), maybe_unknown(2, 5), st.booleans()
    ),
    "GaussianDropout": st.builds(lambda r, s: Case({"rate": r}, [s]), st.floats(0, 0.9), maybe_unknown(2, 5)),
    "ActivityRegularization": st.builds(
        lambda l1, l2, s: Case({"l1": l1, "l2": l2}, [s]), st.floats(0, 0.1), st.floats(0, 0.1), maybe_unknown(2, 5)
    ),
}
