"""Cases for the augmentation and image preprocessing layers of app/core/catalog/augmentation.py."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.keras.cases.base import Case, Shape

FORMATS = st.sampled_from(["channels_last", "channels_first"])


def _image(draw: Any, fmt: str, channels: Any = None) -> Shape:
    """Mostly a 4-D batch with 1, 3 or 4 channels; now and then a flat or unbatched tensor."""
    c = draw(st.sampled_from([1, 3, 3, 4])) if channels is None else draw(st.sampled_from(channels))
    h, w = draw(st.integers(4, 12)), draw(st.integers(4, 12))
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return (None, h * w)
    if kind == 1:
        return (None, h, w)
    return (None, c, h, w) if fmt == "channels_first" else (None, h, w, c)


def _pair(draw: Any, low: float, high: float, number: bool = True) -> Any:
    """A range in either of Keras' spellings: one number or [lower, upper]."""
    a = round(draw(st.floats(max(low, 0.0), high)), 2)
    if number and draw(st.booleans()):
        return a
    b = round(draw(st.floats(low, high)), 2)
    return sorted([a, b])


def _case(params: Any, channels: Any = None, value_range: bool = True, fmt_ok: bool = True) -> Any:
    @st.composite
    def build(draw: Any) -> Case:
        fmt = draw(FORMATS) if fmt_ok else "channels_last"
        cfg = {"data_format": fmt, **params(draw)}
        if value_range:
            cfg["value_range"] = draw(st.sampled_from([[0, 255], [0, 1], [-1, 1]]))
        return Case(cfg, [_image(draw, fmt, channels)])
    return build()


def _jitter(draw: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {}
    for name, low in (("brightness_factor", -1.0), ("contrast_factor", 0.0), ("saturation_factor", -1.0),
                      ("hue_factor", 0.0)):
        cfg[name] = _pair(draw, low, 1.0) if draw(st.booleans()) else None
    cfg["seed"] = 3
    return cfg


CASES = {
    "RandomCrop": _case(lambda d: {"height": d(st.integers(1, 10)), "width": d(st.integers(1, 10)), "seed": 7},
                        value_range=False),
    "RandomErasing": _case(lambda d: {"factor": _pair(d, 0, 1), "scale": _pair(d, 0.01, 0.5, number=False),
                                      "fill_value": d(st.sampled_from([None, 0.0]))}),
    "RandomGrayscale": _case(lambda d: {"factor": d(st.sampled_from([0.0, 0.5, 1.0]))}, channels=[1, 3, 3, 4],
                             value_range=False),
    "RandomHue": _case(lambda d: {"factor": _pair(d, 0, 1)}, channels=[3, 3, 3, 1, 4]),
    "RandomSaturation": _case(lambda d: {"factor": _pair(d, -1, 1)}, channels=[3, 3, 3, 1, 4]),
    "RandomColorDegeneration": _case(lambda d: {"factor": _pair(d, -1, 1)}, channels=[3, 3, 3, 1, 4]),
    "RandomColorJitter": _case(_jitter, channels=[3, 3, 3, 1]),
    "RandomSharpness": _case(lambda d: {"factor": _pair(d, 0, 1)}),
    "RandomPosterization": _case(lambda d: {"factor": [1, d(st.integers(1, 8))]}, value_range=False),
    "RandomInvert": _case(lambda d: {"factor": _pair(d, 0, 1)}),
    "RandomGaussianBlur": _case(lambda d: {"factor": _pair(d, 0, 1), "kernel_size": [d(st.sampled_from([1, 3, 5]))] * 2,
                                           "sigma": _pair(d, 0.1, 1, number=False)}),
    "RandomShear": _case(lambda d: {"x_factor": _pair(d, 0, 1, number=False), "y_factor": _pair(d, 0, 1, number=False),
                                    "fill_mode": d(st.sampled_from(["reflect", "constant", "nearest"]))},
                         value_range=False),
    "RandomPerspective": _case(lambda d: {"factor": _pair(d, 0, 1), "scale": d(st.sampled_from([0.2, 1.0]))},
                               value_range=False),
    "RandomElasticTransform": _case(lambda d: {"factor": _pair(d, 0, 1), "scale": _pair(d, 0, 1)}),
    "Solarization": _case(lambda d: {"addition_factor": _pair(d, 0, 1), "threshold_factor": _pair(d, 0, 1)},
                          value_range=False),
    "CutMix": _case(lambda d: {"factor": _pair(d, 0, 1), "seed": 1}, value_range=False),
    "MixUp": _case(lambda d: {"alpha": d(st.sampled_from([0.2, 1.0]))}, value_range=False),
    "RandAugment": _case(lambda d: {"num_ops": d(st.integers(0, 3)), "factor": _pair(d, 0, 1)},
                         channels=[1, 3, 3, 4]),
    "AugMix": _case(lambda d: {"num_chains": d(st.integers(1, 3)), "chain_depth": d(st.integers(1, 3)),
                               "factor": _pair(d, 0, 1)}, channels=[1, 3, 3, 4]),
    "AutoContrast": _case(lambda d: {}),
    "ContrastLimitedAdaptiveHistogramEqualization": _case(
        lambda d: {"clip_limit": d(st.sampled_from([2.0, 4.0])), "tile_grid_size": [d(st.integers(1, 4))] * 2}),
    "MaxNumBoundingBoxes": _case(lambda d: {"max_number": d(st.integers(1, 5))}, value_range=False),
}

EXAMPLES = dict.fromkeys(CASES, 6)
"""Few examples each: these layers keep the shape, so the cases mostly check configs and channel rules."""
