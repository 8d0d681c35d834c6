"""Cases for preprocessing and image augmentation layers.

Keras' symbolic build lets most image layers accept any rank and only fails on the first
real batch; the catalog refuses those ranks, so cases for them stay on 3-D and 4-D inputs
(the unit tests cover the refusals). CenterCrop also refuses symbolically, so it gets
every rank.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case, Shape, dims
from tests.keras.cases.normalization import maybe_unknown

FORMATS = st.sampled_from(["channels_last", "channels_first"])
FILL_MODES = st.sampled_from(["reflect", "wrap", "constant", "nearest"])
INTERPOLATIONS = st.sampled_from(["bilinear", "nearest"])
SEEDS = st.one_of(st.none(), st.integers(0, 1000))
VALUE_RANGES = st.sampled_from([[0, 255], [0, 1], [-1, 1]])


def images(min_rank: int = 3, max_rank: int = 4) -> st.SearchStrategy[Shape]:
    """Mostly 4-D image batches, some 3-D; height or width now and then unknown."""
    return st.one_of(maybe_unknown(4, 4, 12), maybe_unknown(4, 4, 12), maybe_unknown(min_rank, max_rank, 12))


def factor(low: float, high: float) -> st.SearchStrategy[Any]:
    """One number or a [lower, upper] pair within Keras' bounds."""
    value = st.floats(low, high).map(lambda v: round(v, 3))
    return st.one_of(value, st.lists(value, min_size=2, max_size=2))


def _per_channel(s: Shape, base: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    """A number, or a list with one value (or one per entry of the last axis when it is known)."""
    lengths = [1] if s[-1] is None else [1, s[-1], s[-1]]
    return st.one_of(base, st.sampled_from(lengths).flatmap(lambda n: st.lists(base, min_size=n, max_size=n)))


def _rescaling() -> st.SearchStrategy[Case]:
    numbers = st.floats(-2, 2).map(lambda v: round(v, 3))
    return maybe_unknown(2, 4).flatmap(lambda s: st.builds(
        lambda scale, offset: Case({"scale": scale, "offset": offset}, [s]),
        _per_channel(s, numbers), _per_channel(s, numbers),
    ))


def _stats(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    number = st.floats(0.1, 2).map(lambda v: round(v, 3))
    if not shape:
        return number
    return st.lists(_stats(shape[1:]), min_size=shape[0], max_size=shape[0])


def _normalization() -> st.SearchStrategy[Case]:
    def with_axis(s: Shape, axis: Any) -> st.SearchStrategy[Case]:
        raw = [] if axis is None else [axis] if isinstance(axis, int) else list(axis)
        kept = sorted(a + len(s) if a < 0 else a for a in raw if -len(s) <= a < len(s))
        sizes = [s[a] if s[a] is not None else 3 for a in kept]

        def stats_shape(k: int, ones: list[bool], wrong: bool) -> tuple[int, ...]:
            out = [1 if one else size for size, one in zip(sizes[len(sizes) - k:], ones, strict=False)]
            if wrong and out:
                out[-1] += 1
            return tuple(out)

        given = st.builds(
            stats_shape, st.integers(0, len(sizes)), st.lists(st.booleans(), min_size=len(sizes),
                                                              max_size=len(sizes)),
            st.sampled_from([False, False, False, False, True]),
        ).flatmap(lambda shp: st.tuples(_stats(shp), _stats(shp)))
        return st.builds(
            lambda stats, invert: Case({"axis": axis, "mean": stats[0], "variance": stats[1], "invert": invert},
                                       [s]),
            st.one_of(st.just((None, None)), given), st.booleans(),
        )

    def axes(s: Shape) -> st.SearchStrategy[Any]:
        rank = len(s)
        distinct = st.lists(st.integers(1, rank - 1), max_size=rank - 1, unique=True)
        return st.one_of(
            st.just([-1]), st.none(), st.integers(-rank - 1, rank), distinct,
            distinct.map(lambda a: [x - rank for x in a]),
        )

    return maybe_unknown(2, 4).flatmap(lambda s: axes(s).flatmap(lambda a: with_axis(s, a)))


def _resizing() -> st.SearchStrategy[Case]:
    return st.builds(
        lambda h, w, interp, aspect, antialias, fmt, s: Case(
            {"height": h, "width": w, "interpolation": interp, "crop_to_aspect_ratio": aspect == "crop",
             "pad_to_aspect_ratio": aspect == "pad", "antialias": antialias, "data_format": fmt}, [s]),
        dims(1, 16), dims(1, 16), st.sampled_from(["bilinear", "nearest", "bicubic", "area"]),
        st.sampled_from(["none", "crop", "pad"]), st.booleans(), FORMATS, images(),
    )


def _center_crop() -> st.SearchStrategy[Case]:
    return st.builds(
        lambda h, w, fmt, s: Case({"height": h, "width": w, "data_format": fmt}, [s]),
        dims(1, 12), dims(1, 12), FORMATS, st.one_of(images(), maybe_unknown(2, 5, 10)),
    )


def _affine(*names: str, low: float = -1.0) -> st.SearchStrategy[Case]:
    """RandomRotation/Zoom/Translation: factors plus fill and interpolation settings."""
    def build(factors: list[Any], fill: str, value: float, interp: str, sd: int | None, fmt: str, s: Shape) -> Case:
        return Case({**dict(zip(names, factors, strict=True)), "fill_mode": fill, "fill_value": value,
                     "interpolation": interp, "seed": sd, "data_format": fmt}, [s])

    return st.builds(
        build, st.tuples(*[factor(low, 1.0) for _ in names]).map(list), FILL_MODES, st.floats(0, 1),
        INTERPOLATIONS, SEEDS, FORMATS, images(),
    )


CASES = {
    "Rescaling": _rescaling(),
    "Normalization": _normalization(),
    "Resizing": _resizing(),
    "CenterCrop": _center_crop(),
    "RandomFlip": st.builds(
        lambda mode, sd, fmt, s: Case({"mode": mode, "seed": sd, "data_format": fmt}, [s]),
        st.sampled_from(["horizontal", "vertical", "horizontal_and_vertical"]), SEEDS, FORMATS, images(),
    ),
    "RandomRotation": _affine("factor"),
    "RandomZoom": st.one_of(_affine("height_factor", low=-0.99), _affine("height_factor", "width_factor", low=-0.99)),
    "RandomTranslation": _affine("height_factor", "width_factor"),
    "RandomContrast": st.builds(
        lambda f, vr, fmt, s: Case({"factor": f, "value_range": vr, "data_format": fmt}, [s]),
        factor(0.0, 1.0), VALUE_RANGES, FORMATS, images(),
    ),
    "RandomBrightness": st.builds(
        lambda f, vr, fmt, s: Case({"factor": f, "value_range": vr, "data_format": fmt}, [s]),
        factor(-1.0, 1.0), VALUE_RANGES, FORMATS, images(),
    ),
}
