"""Fitting data to a model: what the model's Inputs and outputs expect, and the arrays that meet it.

:func:`prepare` changes the data only where the intent is unambiguous (a channel axis, a
flatten of equal size, grey to RGB, a resize, one-hot labels for a loss that wants them,
padding token ids to the Input's length) and says so in ``notes``. Everything else is a
problem in :class:`DataMismatch`, each naming the layer and the setting to change. All
problems are collected before raising, so the user fixes them in one go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.training_settings import BINARY_LOSSES, CLASSIFICATION_LOSSES, ONE_HOT_LOSSES, with_defaults
from app.data.dataset import Dataset
from app.data.errors import DataMismatch
from app.data.images import resize, to_gray, to_rgb
from app.data.split import Part, Splits

if TYPE_CHECKING:
    from app.core.graph import Graph, Node
    from app.core.shapes import Analysis

Arrays = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]
Step = Callable[[np.ndarray], np.ndarray]
TOKEN_READERS = ("Embedding", "CategoryEncoding", "IntegerLookup", "Hashing")
"""Layers that read whole-number ids; a text Input must reach one of them."""


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output: its layer's name, the shape of one sample (no batch axis), dtype."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    node_id: str = ""


@dataclass
class Prepared:
    """The arrays to train on, keyed by Input name (x) and output layer name (y), per split."""

    train: Arrays
    validation: Arrays | None
    test: Arrays | None
    notes: list[str]
    class_names: list[str] | None
    task: str
    class_weight: dict[int, float] | None
    inputs: list[TensorSpec] = field(default_factory=list)
    outputs: list[TensorSpec] = field(default_factory=list)


def fmt(shape: tuple[int | None, ...]) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _dtype_name(value: Any) -> str:
    """Layer dtypes are a name or a Keras DTypePolicy config; the variable dtype is what counts."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        config = value.get("config", {})
        name = config.get("name") if isinstance(config, Mapping) else None
        if isinstance(name, str):
            return name.split("_")[-1] if name.startswith("mixed_") else name
    return "float32"


def model_io(graph: Graph, analysis: Analysis | None = None) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """The model's Inputs (in compile order) and outputs, shapes from the core's analysis (no Keras).

    Raises :class:`DataMismatch` when a shape cannot be known (the model has errors, or no Input)."""
    if analysis is None:
        from app.core.shapes import analyze
        analysis = analyze(graph)
    problems: list[str] = []
    inputs: list[TensorSpec] = []
    for node in graph.input_nodes():
        info = analysis.nodes.get(node.id)
        shape = info.output_shapes[0] if info is not None and info.output_shapes else None
        if shape is None:
            problems.append(f"Input '{node.name}' has no valid shape: set its shape to the shape of one sample, "
                            "e.g. (784,) or (28, 28, 1)")
            continue
        inputs.append(TensorSpec(node.name, tuple(shape[1:]), _dtype_name(node.config.get("dtype")), node.id))
    outputs: list[TensorSpec] = []
    for node, port in graph.output_refs():  # a recurrent layer's states are outputs of their own
        info = analysis.nodes.get(node.id)
        if info is None or not info.output_shapes or port >= len(info.output_shapes):
            problems.append(f"the shape of output '{node.name}' is unknown because the model has errors: fix the "
                            f"problems shown on '{node.name}' or the layers before it first")
            continue
        outputs.append(TensorSpec(f"{node.name} output {port}" if port else node.name,
                                  tuple(info.output_shapes[port][1:]), _dtype_name(node.config.get("dtype")), node.id))
    if not graph.input_nodes():
        problems.append("the model has no Input layer: add one and set its shape to one sample of the data")
    if not graph.output_nodes():
        problems.append("the model has no output layer: connect a layer after the Input")
    if problems:
        raise DataMismatch(problems)
    return inputs, outputs


# --- helpers ------------------------------------------------------------------------------------------------

def _matches(want: tuple[int | None, ...], have: tuple[int, ...]) -> bool:
    return len(want) == len(have) and all(w is None or w == h for w, h in zip(want, have, strict=True))


def _known_size(shape: tuple[int | None, ...]) -> int | None:
    dims = [d for d in shape if d is not None]
    return None if len(dims) < len(shape) else int(np.prod(dims, dtype=np.int64))


def _dims(shape: tuple[int | None, ...]) -> tuple[int, ...]:
    """A shape whose sizes are all known (checked with :func:`_known_size` first), typed as such."""
    return tuple(int(d) for d in shape if d is not None)


def _reshape_note(have: tuple[int, ...], want: tuple[int | None, ...], where: str) -> str:
    if len(want) == 1:
        return f"flattened each sample {fmt(have)} -> {fmt(want)} to fit {where}"
    if tuple(want) == (*have, 1):
        return f"added a channel axis: {fmt(have)} -> {fmt(want)} to fit {where}"
    if tuple(have) == (*want, 1):
        return f"removed the channel axis: {fmt(have)} -> {fmt(want)} to fit {where}"
    return f"reshaped each sample {fmt(have)} -> {fmt(want)} to fit {where}"


def _compose(steps: list[Step]) -> Step:
    def run(array: np.ndarray) -> np.ndarray:
        for step in steps:
            array = step(array)
        return array
    return run


def _units_fix(node: Node, want: int) -> str:
    if node.class_name == "Dense":
        return f"set units to {want}"
    return f"make it give {want} value{'s' if want != 1 else ''} (e.g. end with a Dense layer of {want} units)"


def _columns(text: Any, names: list[str] | None, width: int) -> list[int]:
    """'columns 0-9', 'column 3', 'columns 0-2, 5', [0, 1, 2] or feature names; 0-based, ends included."""
    items: list[Any]
    if isinstance(text, list):
        items = text
    elif isinstance(text, str):
        body = re.sub(r"^\s*(columns?|cols?)\b", "", text.strip(), flags=re.IGNORECASE)
        items = [part.strip() for part in body.split(",") if part.strip()]
    else:
        raise ValueError("write the columns as text such as \"columns 0-9\"")
    if not items:
        raise ValueError("no columns given")
    picked: list[int] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            lo = hi = item
        elif isinstance(item, str) and names and item in names:
            lo = hi = names.index(item)
        elif isinstance(item, str) and (match := re.fullmatch(r"(\d+)\s*(?:-|to|\.\.)\s*(\d+)|(\d+)", item)):
            lo = int(match.group(1) or match.group(3))
            hi = int(match.group(2) or match.group(3))
        else:
            raise ValueError(f"{item!r} is neither a column number, a range like 0-9, nor a column name")
        if lo > hi:
            raise ValueError(f"the range {lo}-{hi} runs backwards")
        if hi >= width:
            raise ValueError(f"column {hi} does not exist (the columns are numbered 0 to {width - 1})")
        picked.extend(range(lo, hi + 1))
    return picked


class _Planner:
    """Decides, once, how each split's arrays become the model's; collects notes and problems."""

    def __init__(self, ds: Dataset, graph: Graph, settings: Mapping[str, Any], ref: Mapping[str, Any],
                 notes: list[str]) -> None:
        self.ds, self.graph, self.settings, self.ref = ds, graph, settings, ref
        self.notes = notes
        self.problems: list[str] = []
        # Files are named by their path; messages name just the file, which is what the user recognises.
        self.name = PurePath(ds.name).name if ("/" in ds.name or "\\" in ds.name) else ds.name

    # --- inputs --------------------------------------------------------------------------------------------

    def sources(self, inputs: list[TensorSpec]) -> list[tuple[TensorSpec, np.ndarray | None, str]]:
        """Which part of each sample feeds which Input: all of it, or the columns the ref maps to it."""
        ds, mapping = self.ds, self.ref.get("inputs")
        names = ", ".join(f"'{s.name}' {fmt(s.shape)}" for s in inputs)
        if mapping is None and ds.input_columns:
            mapping = self._named_columns(inputs, ds.input_columns)
            if mapping is None:
                return []
        if mapping is not None:
            if not isinstance(mapping, Mapping):
                self.problems.append('the dataset option "inputs" must map each Input name to its columns, e.g. '
                                     '{"' + inputs[0].name + '": "columns 0-3"}')
                return []
            if ds.kind not in ("table", "points") or ds.x.ndim != 2:
                self.problems.append(f"the dataset option \"inputs\" picks table columns, but '{self.name}' holds "
                                     f"{ds.kind} data: remove the option")
                return []
            known = {s.name for s in inputs}
            for key in mapping:
                if key not in known:
                    self.problems.append(f"the dataset option \"inputs\" names {key!r}, but the model has no Input "
                                         f"called that; its Inputs are {names}")
            out: list[tuple[TensorSpec, np.ndarray | None, str]] = []
            for spec in inputs:
                if spec.name not in mapping:
                    last = (spec.shape[0] or 1) - 1 if len(spec.shape) == 1 else 0
                    self.problems.append(f"Input '{spec.name}' gets no data: add it to the dataset option \"inputs\", "
                                         f"e.g. \"{spec.name}\": \"columns 0-{last}\"")
                    continue
                try:
                    picked = _columns(mapping[spec.name], self.ds.feature_names, ds.x.shape[1])
                except ValueError as err:
                    self.problems.append(f"the columns {mapping[spec.name]!r} for Input '{spec.name}' (dataset option "
                                         f"\"inputs\") cannot be used: {err}; write them like \"columns 0-9\" "
                                         "(numbered from 0, both ends included)")
                    continue
                label = mapping[spec.name] if isinstance(mapping[spec.name], str) else f"columns {mapping[spec.name]}"
                out.append((spec, np.array(picked), f"{label} of '{self.name}'"))
            return out
        if len(inputs) > 1:
            if ds.kind in ("table", "points") and ds.x.ndim == 2:
                widths = [s.shape[0] if len(s.shape) == 1 else None for s in inputs]
                example: dict[str, str] = {}
                if all(widths) and sum(widths) == ds.x.shape[1]:  # type: ignore[arg-type]
                    start = 0
                    for spec, width in zip(inputs, widths, strict=True):
                        example[spec.name] = f"columns {start}-{start + width - 1}"  # type: ignore[operator]
                        start += width  # type: ignore[operator]
                else:
                    example = {s.name: "columns a-b" for s in inputs}
                self.problems.append(f"the model has {len(inputs)} Inputs ({names}) but '{self.name}' is one table of "
                                     f"{ds.x.shape[1]} columns: say which columns feed which Input with the dataset "
                                     f"option \"inputs\", e.g. \"inputs\": {json.dumps(example)}")
            else:
                self.problems.append(f"the model has {len(inputs)} Inputs ({names}) but '{self.name}' gives one "
                                     f"{'image' if ds.kind == 'image' else 'sample'} at a time: keep one Input, or use "
                                     "a table whose columns the dataset option \"inputs\" shares out")
            return []
        return [(inputs[0], None, f"'{self.name}'")]

    def _named_columns(self, inputs: list[TensorSpec],
                       columns: Mapping[str, tuple[int, int]]) -> dict[str, str] | None:
        """The dataset's own columns per Input name, when the model's Inputs carry exactly those names."""
        if {s.name for s in inputs} != set(columns):
            wanted = " and ".join(f"'{name}'" for name in columns)
            have = ", ".join(f"'{s.name}'" for s in inputs)
            self.problems.append(f"'{self.name}' feeds {len(columns)} Input{'s' if len(columns) > 1 else ''} named "
                                 f"{wanted}, but the model's Inputs are {have}: rename them, or say which columns "
                                 "feed which Input with the dataset option \"inputs\"")
            return None
        self.notes.append("fed " + ", ".join(f"Input '{name}' from columns {start}-{stop - 1}"
                                              for name, (start, stop) in columns.items()) + f" of '{self.name}'")
        return {name: f"columns {start}-{stop - 1}" for name, (start, stop) in columns.items()}

    def input_step(self, spec: TensorSpec, select: np.ndarray | None, source: str) -> Step | None:
        ds = self.ds
        where = f"Input '{spec.name}'"
        steps: list[Step] = []
        have: tuple[int, ...] = tuple(int(d) for d in ds.x.shape[1:])
        if select is not None:
            columns = select
            steps.append(lambda a: a[:, columns])
            have = (len(select),)
        want = spec.shape
        before = len(self.problems)
        text = ds.kind == "text"
        if spec.dtype in ("string", "bool"):
            self.problems.append(f"{where} has dtype {spec.dtype}, but {source} gives numbers: set its dtype to "
                                 f"{'int32' if text else 'float32'}")
        elif spec.dtype.startswith(("int", "uint")) and not text and not self._whole_numbers():
            what = {"image": "pixel values", "table": "standardized features"}.get(ds.kind, "values")
            self.problems.append(f"{where} has dtype {spec.dtype}, which would cut the {what} of {source} to whole "
                                 "numbers: set its dtype to float32")
        if _matches(want, have):
            pass
        elif ds.kind == "image" and len(have) == 3 and (len(want) == 3 or (len(want) == 2 and have[2] == 1)):
            steps += self._image_steps(spec, have, source)
        elif text and len(have) == 1 and len(want) == 1:
            steps.append(self._pad_step(spec, have[0]))
        elif _known_size(want) is not None and _known_size(want) == int(np.prod(have)):
            sizes = _dims(want)
            steps.append(lambda a: a.reshape(len(a), *sizes))
            self.notes.append(_reshape_note(have, want, where))
        else:
            self.problems.append(self._shape_problem(spec, have, source))
        if len(self.problems) > before:
            return None
        dtype = np.dtype(spec.dtype) if spec.dtype in ("float16", "float32", "float64", "int32", "int64") \
            else np.float32
        steps.append(lambda a: a.astype(dtype, copy=False))
        return _compose(steps)

    def _whole_numbers(self) -> bool:
        x = self.ds.x
        return x.dtype.kind in "iu" or bool(np.array_equal(x, np.round(x)))

    def _image_steps(self, spec: TensorSpec, have: tuple[int, ...], source: str) -> list[Step]:
        height, width, channels = have
        want = spec.shape
        h, w = want[0], want[1]
        c = want[2] if len(want) == 3 else 1
        steps: list[Step] = []
        if c is not None and c != channels:
            if channels == 1 and c == 3:
                steps.append(to_rgb)
                self.notes.append(f"repeated the grey channel 3 times (grey as RGB) to fit Input '{spec.name}'")
            elif channels == 3 and c == 1:
                steps.append(to_gray)
                self.notes.append(f"converted the colour images to grey to fit Input '{spec.name}'")
            else:
                self.problems.append(f"Input '{spec.name}' takes {c} channels but the images of {source} have "
                                     f"{channels}: set its shape to ({h}, {w}, {channels})")
                return []
        th, tw = h or height, w or width
        if (th, tw) != (height, width):
            steps.append(lambda a: resize(a, th, tw))
            self.notes.append(f"resized the images {height}×{width} -> {th}×{tw} to fit Input '{spec.name}'")
        if len(want) == 2:
            steps.append(lambda a: a[..., 0])
            self.notes.append(f"removed the channel axis of the grey images to fit Input '{spec.name}'")
        return steps

    def _pad_step(self, spec: TensorSpec, length: int) -> Step:
        target = spec.shape[0]
        assert target is not None

        def pad(a: np.ndarray) -> np.ndarray:
            if target <= length:
                return a[:, :target]
            return np.pad(a, ((0, 0), (0, target - length)))

        if target > length:
            self.notes.append(f"padded the token sequences from {length} to {target} ids to fit Input '{spec.name}'")
        else:
            self.notes.append(f"cut the token sequences from {length} to {target} ids to fit Input '{spec.name}' "
                              "(later words are dropped; or set the dataset option sequence_length)")
        return pad

    def _shape_problem(self, spec: TensorSpec, have: tuple[int, ...], source: str) -> str:
        want, where, kind = spec.shape, f"Input '{spec.name}'", self.ds.kind
        if kind in ("table", "points") and len(have) == 1:
            takes = f"{want[0]} features" if len(want) == 1 else f"samples of shape {fmt(want)}"
            extra = " or change its columns in the dataset option \"inputs\"" if "columns" in source else ""
            return f"{where} takes {takes} but {source} {'give' if 'columns' in source else 'has'} {have[0]}: " \
                   f"set its shape to ({have[0]},){extra}"
        if kind == "series" and len(have) == 2 and len(want) == 2:
            if want[1] is not None and want[1] != have[1]:
                return (f"{where} takes {want[1]} features per step but {source} has {have[1]}: set its shape to "
                        f"{fmt(have)}")
            return (f"{where} takes sequences of {want[0]} steps but the windows of {source} are {have[0]} steps "
                    f"long: set its shape to {fmt(have)}, or set the dataset option window to {want[0]}")
        if kind == "text":
            return (f"{where} takes shape {fmt(want)} but {source} gives sequences of {have[0]} token ids: set its "
                    f"shape to ({have[0]},)")
        size = int(np.prod(have))
        if kind == "image" and len(have) == 3:
            flat = f", or to ({size},) to feed them flattened" if len(want) == 1 else ""
            return (f"{where} takes shape {fmt(want)} but the images of {source} are "
                    f"{have[0]}×{have[1]}×{have[2]} = {size:,} values: set its shape to {fmt(have)}{flat}")
        return f"{where} takes shape {fmt(want)} but each sample of {source} has shape {fmt(have)}: set its shape " \
               f"to {fmt(have)}"

    def check_token_readers(self, spec: TensorSpec) -> None:
        """Token ids need an Embedding wide enough; decimals must not go into one."""
        import networkx as nx

        after = [self.graph.node(n) for n in nx.descendants(self.graph.nx_graph(), spec.node_id)] \
            if spec.node_id in self.graph else []
        embeddings = [n for n in after if n.class_name == "Embedding"]
        ds = self.ds
        if ds.kind == "text":
            size = len(ds.vocabulary) if ds.vocabulary else int(ds.x.max()) + 1
            if not any(n.class_name in TOKEN_READERS for n in after):
                self.problems.append(f"Input '{spec.name}' gets token ids (whole numbers standing for words) from "
                                     f"'{self.name}', but no Embedding layer reads them: add an Embedding after it "
                                     f"with input_dim {size}")
            for node in embeddings:
                dim = node.config.get("input_dim")
                if isinstance(dim, int) and dim < size:
                    self.problems.append(f"Embedding '{node.name}' has input_dim {dim} but the vocabulary has {size} "
                                         f"words: set input_dim to {size} or max_tokens to {dim}")
            return
        if not embeddings:
            return
        if not self._whole_numbers() or (ds.x.size and float(ds.x.min()) < 0):
            for node in embeddings:
                self.problems.append(f"Embedding '{node.name}' looks up whole-number ids (0, 1, 2, ...), but "
                                     f"'{self.name}' gives {ds.kind} values with fractions or signs: remove the "
                                     "Embedding, or train on a text dataset")
            return
        largest = int(ds.x.max()) if ds.x.size else 0
        for node in embeddings:
            dim = node.config.get("input_dim")
            if isinstance(dim, int) and dim <= largest:
                self.problems.append(f"Embedding '{node.name}' has input_dim {dim} but the largest id in "
                                     f"'{self.name}' is {largest}: set input_dim to {largest + 1}")

    def check_rescaling(self, spec: TensorSpec) -> None:
        """A Rescaling that divides by 127.5 or 255 right after the Input expects 0..255 pixels; fed 0..1 pixels
        it squeezes every image to almost one value and the model learns nothing, without any error."""
        if self.ds.kind != "image" or not self.ds.x.size or float(self.ds.x.max()) > 1.0 \
                or spec.node_id not in self.graph:
            return
        node_id = spec.node_id
        while True:
            after = self.graph.out_edges(node_id)
            if len(after) != 1:
                return
            node = self.graph.node(after[0].target)
            if node.class_name == "Rescaling":
                scale = node.config.get("scale")
                if isinstance(scale, (int, float)) and 0 < scale <= 0.01:
                    self.problems.append(
                        f"Rescaling '{node.name}' multiplies the pixels by {scale:.4g} (it expects values 0..255), but "
                        f"'{self.name}' gives pixel values 0..1: set the dataset option pixels to \"0-255\", or "
                        "remove the Rescaling")
                return
            if not node.class_name.startswith("Random") and node.class_name not in ("Resizing", "CenterCrop"):
                return
            node_id = node.id

    # --- outputs -------------------------------------------------------------------------------------------

    def target_step(self, outputs: list[TensorSpec], sample_x: dict[str, np.ndarray],
                    first_input: str | None) -> Callable[[Part, dict[str, np.ndarray]], np.ndarray] | None:
        if len(outputs) > 1:
            names = ", ".join(f"'{o.name}'" for o in outputs)
            self.problems.append(f"the model has {len(outputs)} outputs ({names}) but '{self.name}' has one target per "
                                 "sample: keep one output layer (connect or delete the others)")
            return None
        out = outputs[0]
        node = self.graph.node(out.node_id)
        loss = str(self.settings["loss"])
        if self.ds.task == "classification":
            if self.ds.y.ndim > 1:
                return self._sequence_target(out, node, loss)
            return self._class_target(out, node, loss)
        if loss in CLASSIFICATION_LOSSES:
            self.problems.append(f"{loss} is for classes, but '{self.name}' is a regression set (it predicts "
                                 "numbers): use mse, mae or huber")
            return None
        autoencoder = (self.ref.get("target") == "input" or self.ds.y is self.ds.x) and first_input is not None \
            and first_input in sample_x
        if autoencoder and first_input is not None:
            have = tuple(int(d) for d in sample_x[first_input].shape[1:])
        else:
            have = tuple(int(d) for d in self.ds.y.shape[1:]) or (1,)
        want = out.shape
        where = f"Output '{out.name}'"
        if _matches(want, have):
            reshape: Step = lambda a: a.reshape(len(a), *have)  # noqa: E731
        elif _known_size(want) is not None and _known_size(want) == int(np.prod(have)):
            sizes = _dims(want)
            reshape = lambda a: a.reshape(len(a), *sizes)  # noqa: E731
            self.notes.append(_reshape_note(have, want, where).replace("each sample", "the targets"))
        else:
            if len(want) == 1 and len(have) == 1:
                values = f"{have[0]} target value{'s' if have[0] != 1 else ''}"
                units = "units" if node.class_name == "Dense" else "values"
                self.problems.append(f"{where} has {want[0]} {units} but '{self.name}' has {values} per sample: "
                                     f"{_units_fix(node, have[0])}")
            else:
                self.problems.append(f"{where} gives shape {fmt(want)} per sample but the targets of '{self.name}' "
                                     f"have shape {fmt(have)}: make it give {fmt(have)}")
            return None
        self._check_range(out, node, sample_x, first_input if autoencoder else None)

        def target(part: Part, xs: dict[str, np.ndarray]) -> np.ndarray:
            y = xs[first_input] if autoencoder else part.y  # type: ignore[index]
            return reshape(np.asarray(y, dtype=np.float32))
        return target

    def _check_range(self, out: TensorSpec, node: Node, sample_x: dict[str, np.ndarray], source: str | None) -> None:
        activation = node.config.get("activation")
        y = self.ds.x if source is not None else self.ds.y
        if not y.size or not isinstance(activation, str):
            return
        low, high = float(y.min()), float(y.max())
        if activation in ("sigmoid", "softmax") and (low < 0 or high > 1):
            self.problems.append(f"Output '{out.name}' uses {activation}, which only gives values from 0 to 1, but the "
                                 f"targets of '{self.name}' go from {low:.3g} to {high:.3g}: set its activation to "
                                 "linear")
        elif activation == "relu" and low < 0:
            self.notes.append(f"warning: Output '{out.name}' uses relu, which gives no negative values, but some "
                              f"targets are negative (down to {low:.3g}): a linear activation fits them better")

    def _class_target(self, out: TensorSpec, node: Node,
                      loss: str) -> Callable[[Part, dict[str, np.ndarray]], np.ndarray] | None:
        k = self.ds.n_classes or int(self.ds.y.max()) + 1
        where = f"Output '{out.name}'"
        if len(out.shape) != 1:
            self.problems.append(f"{where} gives shape {fmt(out.shape)} per sample, but '{self.name}' has one class "
                                 f"per sample: add a Flatten or GlobalAveragePooling layer before the last Dense so it "
                                 f"gives ({k},)")
            return None
        units = out.shape[0]
        activation = node.config.get("activation")
        if units == 1 and activation == "softmax":
            self.problems.append(f"{where} uses softmax on a single unit, which always outputs 1: set its activation "
                                 "to sigmoid")

        def ids(part: Part, xs: dict[str, np.ndarray]) -> np.ndarray:
            return part.y.astype(np.int64)

        def one_hot(part: Part, xs: dict[str, np.ndarray]) -> np.ndarray:
            return np.eye(k, dtype=np.float32)[part.y.astype(np.int64)]

        def column(part: Part, xs: dict[str, np.ndarray]) -> np.ndarray:
            return part.y.astype(np.float32).reshape(-1, 1)

        wrong_units = (f"{where} has {units} units but '{self.name}' has {k} classes: {_units_fix(node, k)}"
                       if node.class_name == "Dense" else
                       f"{where} gives {units} values but '{self.name}' has {k} classes: {_units_fix(node, k)}")
        positive = self.ds.class_names[1] if self.ds.class_names and len(self.ds.class_names) > 1 else "1"
        if loss in BINARY_LOSSES:
            if k != 2:
                self.problems.append(f"{loss} needs 2 classes but '{self.name}' has {k}: use "
                                     "sparse_categorical_crossentropy")
                return None
            if units == 1:
                self.notes.append(f"labels as 0/1 numbers of shape (N, 1) for {loss}: 1 means {positive!r}")
                return column
            if units == 2:
                self.notes.append(f"one-hot encoded the labels for {loss} (2 units)")
                return one_hot
            self.problems.append(f"{where} has {units} units; {loss} wants 1 unit with a sigmoid activation: "
                                 f"{_units_fix(node, 1)}")
            return None
        if loss in ONE_HOT_LOSSES or loss not in CLASSIFICATION_LOSSES:
            if units == k:
                self.notes.append(f"one-hot encoded the labels for {loss} ({k} classes)")
                return one_hot
            if loss not in CLASSIFICATION_LOSSES:
                if k == 2 and units == 1:
                    self.notes.append(f"labels as numbers 0 and 1 for {loss}: 1 means {positive!r}")
                    return column
                self.problems.append(f"{loss} compares numbers, but '{self.name}' is a classification set with {k} "
                                     f"classes: use sparse_categorical_crossentropy with {k} softmax units in {where}")
                return None
            self.problems.append(wrong_units)
            return None
        if units != k:
            if units == 1 and k == 2:
                self.problems.append(f"{where} has 1 unit but '{self.name}' has 2 classes: set units to 2 (softmax), "
                                     "or use binary_crossentropy with this one sigmoid unit")
            else:
                self.problems.append(wrong_units)
            return None
        return ids

    def _sequence_target(self, out: TensorSpec, node: Node,
                         loss: str) -> Callable[[Part, dict[str, np.ndarray]], np.ndarray] | None:
        """A class at every step: y (N, T) of class ids or (N, T, C) one-hot, for an output of (T, C)."""
        y = self.ds.y
        steps = int(y.shape[1])
        k = int(y.shape[2]) if y.ndim == 3 else (self.ds.n_classes or int(y.max()) + 1)
        where = f"Output '{out.name}'"
        before = len(self.problems)
        if y.ndim > 3:
            self.problems.append(f"the targets of '{self.name}' have shape {fmt(tuple(y.shape[1:]))} per sample; "
                                 f"classes per step are (steps,) ids or (steps, classes) one-hot")
            return None
        if len(out.shape) != 2:
            self.problems.append(f"{where} gives shape {fmt(out.shape)} per sample, but '{self.name}' has a class at "
                                 f"each of its {steps} steps: make it give ({steps}, {k}) (return_sequences on the "
                                 f"last recurrent layer, then a Dense of {k} softmax units)")
            return None
        if out.shape[0] is not None and out.shape[0] != steps:
            self.problems.append(f"{where} gives {out.shape[0]} steps but '{self.name}' has a class at each of "
                                 f"{steps} steps: make it give ({steps}, {k})")
        if out.shape[1] != k:
            self.problems.append(f"{where} gives {out.shape[1]} values per step but '{self.name}' has {k} classes: "
                                 f"{_units_fix(node, k)}")
        if loss in BINARY_LOSSES or loss not in CLASSIFICATION_LOSSES:
            self.problems.append(f"{loss} does not fit a choice of {k} classes at every step of '{self.name}': use "
                                 "sparse_categorical_crossentropy")
        if self.settings.get("class_weight") == "balanced":
            self.problems.append(f"class_weight 'balanced' weighs each sample by its one class, but '{self.name}' "
                                 "has a class at every step, which Keras cannot weigh so: set class_weight to none")
        if len(self.problems) > before:
            return None
        if loss in ONE_HOT_LOSSES:
            self.notes.append(f"one-hot encoded the classes of each of the {steps} steps for {loss} ({k} classes)")
        else:
            self.notes.append(f"a class id at each of the {steps} steps (targets ({steps},) per sample) for {loss}; "
                              "accuracy counts each step")
        one_hot = loss in ONE_HOT_LOSSES

        def per_step(part: Part, xs: dict[str, np.ndarray]) -> np.ndarray:
            values = part.y
            if values.ndim == 3:
                return values.astype(np.float32) if one_hot else values.argmax(axis=-1).astype(np.int64)
            ids = values.astype(np.int64)
            return np.eye(k, dtype=np.float32)[ids] if one_hot else ids
        return per_step

    def class_weight(self, y: np.ndarray) -> dict[int, float] | None:
        if self.settings.get("class_weight") != "balanced":
            return None
        if y.ndim > 1:  # refused in _sequence_target
            return None
        if self.ds.task != "classification":
            self.notes.append(f"class_weight 'balanced' is ignored: '{self.name}' is a regression set")
            return None
        k = self.ds.n_classes or int(y.max()) + 1
        counts = np.bincount(y.astype(np.int64), minlength=k)
        weights = {c: (float(len(y) / (k * counts[c])) if counts[c] else 1.0) for c in range(k)}
        names = self.ds.class_names or [str(c) for c in range(k)]
        shown = ", ".join(f"{names[c]} {w:.2f}" for c, w in list(weights.items())[:8])
        self.notes.append(f"balanced class weights (rare classes count more): {shown}{' ...' if k > 8 else ''}")
        return weights


def prepare(ds: Dataset, splits: Splits, graph: Graph, settings: Mapping[str, Any],
            ref: Mapping[str, Any] | None = None, analysis: Analysis | None = None) -> Prepared:
    """The splits as arrays the model takes, keyed by Input and output layer name.

    Raises :class:`DataMismatch` listing every problem at once."""
    settings = with_defaults(settings)
    inputs, outputs = model_io(graph, analysis)
    planner = _Planner(ds, graph, settings, ref or {}, list(splits.notes))
    feeds: list[tuple[TensorSpec, Step]] = []
    for spec, select, source in planner.sources(inputs):
        step = planner.input_step(spec, select, source)
        planner.check_token_readers(spec)
        planner.check_rescaling(spec)
        if step is not None:
            feeds.append((spec, step))
    sample_x = {spec.name: step(ds.x[:1]) for spec, step in feeds}
    first = inputs[0].name if len(inputs) == 1 else None
    target = planner.target_step(outputs, sample_x, first)
    if planner.problems:
        raise DataMismatch(planner.problems)
    assert target is not None

    def arrays(part: Part) -> Arrays:
        xs = {spec.name: step(part.x) for spec, step in feeds}
        return xs, {outputs[0].name: target(part, xs)}

    class_weight = planner.class_weight(splits.train.y)
    return Prepared(
        train=arrays(splits.train),
        validation=arrays(splits.validation) if splits.validation is not None else None,
        test=arrays(splits.test) if splits.test is not None else None,
        notes=planner.notes,
        class_names=list(ds.class_names) if ds.task == "classification" and ds.class_names else None,
        task=ds.task,
        class_weight=class_weight,
        inputs=inputs,
        outputs=outputs,
    )


__all__ = ["Prepared", "TensorSpec", "model_io", "prepare"]
