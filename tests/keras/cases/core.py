"""Cases for core layers and activation layers."""

from hypothesis import strategies as st

from tests.keras.cases.base import ACTIVATIONS, Case, any_shape, dims, shape


def _dense() -> st.SearchStrategy[Case]:
    return st.builds(
        lambda units, act, bias, s: Case({"units": units, "activation": act, "use_bias": bias}, [s]),
        dims(1, 64), ACTIVATIONS, st.booleans(), any_shape(2, 4),
    )


def _reshape() -> st.SearchStrategy[Case]:
    def build(s: tuple, target: list[int], infer: bool) -> Case:
        if infer:
            target = [*target[:-1], -1]
        return Case({"target_shape": target}, [s])

    return st.builds(build, any_shape(2, 4, 6), st.lists(dims(1, 8), min_size=1, max_size=3), st.booleans())


def _permute() -> st.SearchStrategy[Case]:
    return any_shape(2, 5, 6).flatmap(
        lambda s: st.permutations(list(range(1, len(s)))).map(lambda dims_: Case({"dims": dims_}, [s]))
    )


def _prelu() -> st.SearchStrategy[Case]:
    return any_shape(2, 4, 6).flatmap(
        lambda s: st.lists(st.sampled_from(list(range(1, len(s)))), unique=True, max_size=len(s) - 1).map(
            lambda axes: Case({"shared_axes": sorted(axes) or None}, [s])
        )
    )


CASES = {
    "Dense": _dense(),
    "Activation": st.builds(lambda a, s: Case({"activation": a}, [s]), ACTIVATIONS, any_shape()),
    "Dropout": st.builds(lambda r, s: Case({"rate": r}, [s]), st.floats(0, 0.9), any_shape()),
    "Flatten": st.builds(lambda s: Case({}, [s]), any_shape(2, 5)),
    "Reshape": _reshape(),
    "Permute": _permute(),
    "RepeatVector": st.builds(lambda n, s: Case({"n": n}, [s]), dims(1, 6), any_shape(2, 3)),
    "Embedding": st.builds(
        lambda v, d, s, mask: Case({"input_dim": v, "output_dim": d, "mask_zero": mask}, [s], dtypes=["int32"]),
        dims(2, 100), dims(1, 16), shape(2, 1, 20), st.booleans(),
    ),
    "ReLU": st.builds(
        lambda m, ns, s: Case({"max_value": m, "negative_slope": ns}, [s]),
        st.one_of(st.none(), st.floats(0.5, 10)), st.floats(0, 0.5), any_shape(),
    ),
    "LeakyReLU": st.builds(lambda ns, s: Case({"negative_slope": ns}, [s]), st.floats(0, 1), any_shape()),
    "PReLU": _prelu(),
    "ELU": st.builds(lambda a, s: Case({"alpha": a}, [s]), st.floats(0.1, 2), any_shape()),
    "Softmax": any_shape().flatmap(
        lambda s: st.integers(-len(s), len(s) - 1).map(lambda ax: Case({"axis": ax}, [s]))
    ),
}
