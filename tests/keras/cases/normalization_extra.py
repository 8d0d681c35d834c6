"""Cases for GroupNormalization, RMSNormalization, SpectralNormalization, AlphaDropout and SpatialDropout3D."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case, any_shape, dims, shape


@st.composite
def _group(draw: Any) -> Case:
    s = draw(any_shape(2, 4, 6))
    channels = draw(st.sampled_from([2, 4, 6, 8, 12]))
    s = (*s[:-1], channels)
    groups = draw(st.sampled_from([-1, 1, 2, 3, 4, 5, 32]))
    cfg = {"groups": groups, "center": draw(st.booleans()), "scale": draw(st.booleans()),
           "axis": draw(st.sampled_from([-1, -1, len(s) - 1]))}
    return Case(cfg, [s])


@st.composite
def _rms(draw: Any) -> Case:
    s = draw(any_shape(2, 4, 6))
    rank = len(s)
    axis: Any = draw(st.sampled_from([-1, rank - 1, list(range(1, rank)), [rank - 1]]))
    if draw(st.integers(0, 7)) == 0:
        s = (*s[:-1], None)
    return Case({"axis": axis, "epsilon": 1e-5}, [s])


def _layer(class_name: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


@st.composite
def _spectral(draw: Any) -> Case:
    kind = draw(st.sampled_from(["Dense", "Conv1D", "Conv2D", "Conv2DTranspose", "Embedding", "EinsumDense"]))
    power = draw(st.integers(1, 2))
    if kind == "Dense":
        return Case({"layer": _layer("Dense", {"units": draw(dims(1, 8))}), "power_iterations": power},
                    [draw(any_shape(2, 3, 6))])
    if kind == "Embedding":
        inner = {"input_dim": draw(dims(2, 20)), "output_dim": draw(dims(1, 8))}
        return Case({"layer": _layer("Embedding", inner), "power_iterations": power}, [draw(shape(2, 1, 6))],
                    dtypes=["int32"])
    if kind == "EinsumDense":
        inner = {"equation": "abc,cd->abd", "output_shape": [None, draw(dims(1, 6))]}
        return Case({"layer": _layer("EinsumDense", inner)}, [draw(shape(3, 1, 6))])
    n = 1 if kind == "Conv1D" else 2
    inner = {"filters": draw(dims(1, 6)), "kernel_size": [draw(dims(1, 3))] * n}
    return Case({"layer": _layer(kind, inner), "power_iterations": power}, [draw(shape(n + 2, 3, 7))])


@st.composite
def _spatial3d(draw: Any) -> Case:
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    return Case({"rate": draw(st.sampled_from([0.1, 0.5])), "data_format": fmt}, [draw(any_shape(3, 6, 4))])


CASES = {
    "GroupNormalization": _group(),
    "RMSNormalization": _rms(),
    "SpectralNormalization": _spectral(),
    "AlphaDropout": st.builds(lambda r, s: Case({"rate": r}, [s]), st.floats(0, 0.9), any_shape()),
    "SpatialDropout3D": _spatial3d(),
}

EXAMPLES = {"GroupNormalization": 12, "RMSNormalization": 10, "SpectralNormalization": 15, "AlphaDropout": 5,
            "SpatialDropout3D": 8}
