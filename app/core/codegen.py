"""Project -> a standalone, readable Python script that rebuilds the model with Keras.

The script is meant to be read by a student and run anywhere Keras is installed: one
statement per layer in topological order, only the parameters that differ from Keras'
defaults, the model compiled with the project's training settings.

Exported code is code, so the rules of DESIGN.md ("Safety") hold for *any* graph, valid
or not: variable names are identifiers generated here (never a layer name), user text
(layer, project and metric names, any string in a config) appears only inside ``repr()``
string literals, never in comments or the docstring, configs may hold only plain data
(dicts, lists, text, finite numbers, booleans, None), and only catalog classes are named.
Anything else is refused with a :class:`CodegenError` naming the layer and parameter.
The text is pure string work (no Keras import); :func:`format_source` runs black over it.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog import get_spec
from app.core.catalog.spec import LayerSpec, Param, ParamKind, to_json_value
from app.core.graph import Edge, Graph, Node
from app.core.project import Project, default_training
from app.core.shapes import Analysis, analyze
from app.core.training_settings import metric_spec, tensorboard_dir_problem

OPTIMIZERS: dict[str, str] = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "ftrl": "Ftrl",
    "lion": "Lion",
    "lamb": "Lamb",
    "adafactor": "Adafactor",
}
"""Training-setting optimizer names (lower case) -> ``keras.optimizers`` classes."""

RESERVED_NAMES: frozenset[str] = frozenset({
    *keyword.kwlist, *keyword.softkwlist, *dir(builtins),
    "exit", "quit", "help", "copyright", "credits", "license",  # added by site; absent under python -S
    "keras", "layers", "model", "main",
})
"""Names a generated variable must never take: they would shadow Python or the script's own names."""

MAX_IDENTIFIER = 60
MAX_NESTING = 32
"""Deeper configs are refused: no Keras config needs it, and black/ast would recurse too far."""

_INDENT = "    "
_DOCSTRING = '''"""A Keras model exported from Layerforge.

Importing this file builds the model (``model``) and compiles it with the project's
training settings; {effects}. Running it prints the summary.
"""'''
_NO_EFFECTS = "nothing is downloaded or written"
_DOWNLOADS = "building it downloads pretrained weights (this needs internet) and writes nothing else"


class CodegenError(ValueError):
    """The graph holds something that cannot be written as safe Python; says where."""

    def __init__(self, message: str, node: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.param = param


def generate_python(project: Project) -> str:
    """The exported script for ``project``, formatted by black."""
    return format_source(_Writer(project).source())


def format_source(source: str) -> str:
    """Format like ``black`` with its defaults, so the file reads (and diffs) like hand-written code."""
    import black

    return black.format_str(source, mode=black.Mode(target_versions={black.TargetVersion.PY311}))


def keras_model_name(text: str) -> str:
    """A Keras-safe model name from free text (project names can be anything); compile uses it too."""
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return cleaned[:64] or "model"


# --- identifiers ---------------------------------------------------------------------------

class Namer:
    """Unique, safe Python identifiers made from free text (layer names)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, text: str, fallback: str = "layer") -> str:
        base = identifier(text, fallback)
        candidate, n = base, 2
        while candidate in self._taken:
            candidate = f"{base}_{n}"
            n += 1
        self._taken.add(candidate)
        return candidate


def identifier(text: str, fallback: str = "layer") -> str:
    """``[a-z0-9_]`` only, not starting with a digit or underscore, never a reserved name."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")[:MAX_IDENTIFIER].rstrip("_")
    if not cleaned:
        cleaned = fallback
    if cleaned[0].isdigit():
        cleaned = f"{fallback}_{cleaned}"
    if cleaned in RESERVED_NAMES:
        cleaned += "_"
    return cleaned


# --- literals --------------------------------------------------------------------------------

def _same(a: Any, b: Any) -> bool:
    """Equality that tells 1, 1.0 and True apart, so a value Keras would store differently is kept."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


class _Where:
    """Which layer and parameter a value belongs to, for error messages."""

    def __init__(self, node: str | None, param: str | None) -> None:
        self.node = node
        self.param = param

    def fail(self, problem: str) -> CodegenError:
        parts = []
        if self.node is not None:
            parts.append(f"layer {self.node!r}")
        if self.param is not None:
            parts.append(f"parameter {self.param!r}")
        prefix = ", ".join(parts)
        return CodegenError(f"{prefix}: {problem}" if prefix else problem, self.node, self.param)


def literal(value: Any, where: _Where, as_tuple: bool = False, depth: int = 0) -> str:
    """A Python literal for plain data; anything else (NaN, objects, non-text keys) is refused."""
    if depth > MAX_NESTING:
        raise where.fail(f"the value is nested more than {MAX_NESTING} levels deep")
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise where.fail(f"{value!r} is not a finite number; exported code can only hold finite numbers")
        return repr(float(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, (list, tuple)):
        items = [literal(v, where, False, depth + 1) for v in value]
        if as_tuple:
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    if isinstance(value, Mapping):
        pairs = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise where.fail(f"has a key that is not text ({type(key).__name__})")
            pairs.append(f"{str(key)!r}: {literal(item, where, False, depth + 1)}")
        return "{" + ", ".join(pairs) + "}"
    raise where.fail(f"holds a {type(value).__name__}, which is not plain data")


def _number(value: Any, where: _Where, whole: bool = False) -> str:
    """A finite int (or float unless ``whole``) as text: safe even inside a comment."""
    ok = isinstance(value, int) or (isinstance(value, float) and not whole)
    if isinstance(value, bool) or not ok:
        raise where.fail(f"must be a {'whole ' if whole else ''}number (got {type(value).__name__})")
    return literal(value, where)


def _text_constant(name: str, text: Any, where: _Where, width: int = 72) -> str:
    """``NAME = "..."``; long text becomes one string per line (implicit concatenation)."""
    if not isinstance(text, str):
        raise where.fail(f"must be text (got {type(text).__name__})")
    one_line = f"{name} = {text!r}"
    if len(one_line) <= 88:
        return one_line
    chunks: list[str] = []
    current = ""
    for token in re.findall(r"\S*\s*", text):
        if current and (len(current) + len(token) > width or current.endswith("\n")):
            chunks.append(current)
            current = ""
        current += token
    if current:
        chunks.append(current)
    if "".join(chunks) != text:
        raise AssertionError("text chunking lost characters")
    body = "".join(f"{_INDENT}{chunk!r}\n" for chunk in chunks)
    return f"{name} = (\n{body})"


# --- the writer ------------------------------------------------------------------------------

class _Writer:
    """Builds the unformatted script for one project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.graph: Graph = project.graph
        self.namer = Namer()
        self.tensors: dict[str, str] = {}
        self.states: dict[str, list[str]] = {}
        """Variables of a node's outputs after the first (a recurrent layer's states with return_state)."""
        self.shared: dict[str, str] = {}
        """The variable holding each shared layer, by the id of the node that owns it."""
        self.imports: set[str] = set()
        """Imports of Keras-internal layer classes the script uses (catalog allow-list only)."""
        self.backbones: list[str] = []
        """Variables of the backbone models, in order (fine-tuning unfreezes their top layers)."""
        self._analysis: Analysis | None = None
        self.tensorboard = self._tensorboard_dir()
        """The project's TensorBoard log folder (training setting ``tensorboard_dir``); "": no logging."""
        if self.tensorboard:
            for name in _TENSORBOARD_NAMES:  # taken before any layer's variable, so none can shadow them
                self.namer.take(name)

    @property
    def analysis(self) -> Analysis:
        if self._analysis is None:
            self._analysis = analyze(self.graph)
        return self._analysis

    def source(self) -> str:
        graph = self.graph
        if not len(graph):
            raise CodegenError("the model is empty: there is nothing to export")
        if graph.find_cycle():
            raise CodegenError("the model has a loop; layers must flow one way, from inputs to outputs")
        where = _Where(None, None)
        downloads = any(
            n.spec is not None and n.spec.is_application and n.config.get("weights") is not None for n in graph.nodes()
        )
        lines = [
            _DOCSTRING.format(effects=_DOWNLOADS if downloads else _NO_EFFECTS),
            "",
            *(["from datetime import datetime, timezone"] if self.tensorboard else []),
            *(["from pathlib import Path", ""] if getattr(self.project, "weights", None) or self.tensorboard else []),
            "import keras",
            "from keras import layers",
            "",
            _text_constant("PROJECT_NAME", self.project.name, _Where(None, "project name")),
            _text_constant("DESCRIPTION", self.project.description, _Where(None, "description")),
            "",
            *self._tensorboard_lines(),
        ]
        from app.core.codegen_nested import nested_writer

        nested = nested_writer(self)  # nested-model blocks: a keras.Model each, called as one layer
        for node_id in nested.order if nested is not None else graph.topological_order():
            written = nested.lines(node_id) if nested is not None else None
            lines.extend(written if written is not None else self._node(graph.node(node_id)))
        from app.core.codegen_recipes import recipe_source

        recipe = recipe_source(self)  # an autoencoder, VAE or GAN: its parts and its train_step
        if self.imports:
            at = lines.index("from keras import layers") + 1
            lines[at:at] = sorted(self.imports)
        inputs = [self.tensors[n.id] for n in graph.input_nodes()]
        outputs = [self._output(node.id, port) for node, port in graph.output_refs()]
        if not inputs:
            raise CodegenError("the model has no Input layer")
        if not outputs:
            raise CodegenError("the model has no output layer")
        model_name = literal(keras_model_name(str(self.project.name)), where)
        if recipe is not None:
            return "\n".join([*lines, *recipe[0], "", 'if __name__ == "__main__":', *recipe[1]]) + "\n"
        lines += [
            "",
            f"model = keras.Model(inputs={_one_or_list(inputs)}, outputs={_one_or_list(outputs)}, "
            f"name={model_name})",
            *self._weights(),
            *self._training(),
            "",
            'if __name__ == "__main__":',
            f"{_INDENT}model.summary()",
        ]
        return "\n".join(lines) + "\n"

    # one node ---------------------------------------------------------------------------------

    def _node(self, node: Node) -> list[str]:
        where = _Where(node.name, None)
        spec = get_spec(node.class_name) if isinstance(node.class_name, str) else None
        if spec is None:
            raise where.fail(f"its class {node.class_name!r} is not a layer Layerforge supports")
        unknown = [k for k in node.config if k not in spec.param_names]
        if unknown:
            raise _Where(node.name, str(unknown[0])).fail(f"{spec.title} has no such parameter")
        if not isinstance(node.name, str):
            raise where.fail("the layer name must be text")
        if spec.class_name == "InputLayer":
            return self._input(node)
        if spec.is_application:
            return self._application(node, spec)
        if spec.is_operation:
            return self._operation(node, spec)
        if len(self.graph.shared_group(node.id)) > 1:
            return self._shared_call(node, spec)
        var = self._result(node)
        constructor = self._constructor(spec, node.config, node.name, node.name)
        return [f"{var} = {constructor}({self._call_args(node, spec)})"]

    def _result(self, node: Node) -> str:
        """The call's result: ``x``, or ``x, x_h, x_c`` for a recurrent layer that returns its states."""
        var = self.namer.take(node.name)
        self.tensors[node.id] = var
        info = self.analysis.nodes.get(node.id)
        count = len(info.output_shapes) if info is not None and info.output_shapes is not None else 1
        if count == 1:
            return var
        names = ["h", "c"][: count - 1]
        self.states[node.id] = [self.namer.take(f"{var}_{name}") for name in names]
        return ", ".join([var, *self.states[node.id]])

    def _shared_call(self, node: Node, spec: LayerSpec) -> list[str]:
        """A layer used at several places: made once (named as its owning node), then called at each node."""
        owner = self.graph.node(self.graph.layer_owner(node.id))
        lines: list[str] = []
        layer = self.shared.get(owner.id)
        if layer is None:
            layer = self.namer.take(f"{owner.name}_layer")
            self.shared[owner.id] = layer
            lines.append(f"{layer} = {self._constructor(spec, owner.config, owner.name, owner.name)}")
        lines.append(f"{self._result(node)} = {layer}({self._call_args(node, spec)})")
        return lines

    def _output(self, node_id: str, port: int) -> str:
        if port == 0:
            return self.tensors[node_id]
        states = self.states.get(node_id, [])
        if port > len(states):
            raise _Where(self.graph.node(node_id).name, None).fail(f"has no output {port}")
        return states[port - 1]

    def _input(self, node: Node) -> list[str]:
        cfg = node.config
        where = _Where(node.name, "batch_shape")
        shape = cfg.get("batch_shape")
        if not isinstance(shape, list) or not shape or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape
        ):
            raise where.fail("must be a list of whole numbers or None, batch axis first")
        args = [f"shape={literal(shape[1:], where, as_tuple=True)}" if shape[0] is None
                else f"batch_shape={literal(shape, where, as_tuple=True)}"]
        spec = get_spec("InputLayer")
        assert spec is not None
        for param in spec.params:
            if param.name == "batch_shape" or param.name not in cfg:
                continue
            if not _same(cfg[param.name], to_json_value(param.default)):
                args.append(f"{param.name}={literal(cfg[param.name], _Where(node.name, param.name))}")
        args.append(f"name={literal(node.name, where)}")
        var = self.namer.take(node.name, "input")
        self.tensors[node.id] = var
        return [f"{var} = keras.Input({', '.join(args)})"]

    def _application(self, node: Node, spec: LayerSpec) -> list[str]:
        """``backbone = keras.applications.X(...)``, frozen by attribute, then called."""
        cfg = node.config
        edges = self._edges(node, spec)
        if len(edges) != 1:
            raise _Where(node.name, None).fail(f"{spec.title} needs exactly one input ({len(edges)} connected)")
        info = self.analysis.nodes.get(edges[0].source)
        if info is None or info.output_shapes is None or edges[0].source_port >= len(info.output_shapes):
            raise _Where(node.name, None).fail(
                f"the shape of its input is unknown, so {spec.title} cannot be written; fix the layers before it")
        input_shape = list(info.output_shapes[edges[0].source_port][1:])
        args = [f"input_shape={literal(input_shape, _Where(node.name, 'input_shape'), as_tuple=True)}",
                "include_top=False"]
        for param in spec.params:
            if param.name in ("trainable", "dtype", "weights_file", "train_top_layers") or param.name not in cfg:
                continue
            value = cfg[param.name]
            # weights always: Keras' default is 'imagenet' (a download), ours is None.
            if param.name == "weights" or not _same(value, to_json_value(param.default)):
                args.append(f"{param.name}={literal(value, _Where(node.name, param.name))}")
        args.append(f"name={literal(node.name, _Where(node.name, 'name'))}")
        var = self.namer.take(node.name, "backbone")
        out = self.namer.take(f"{var}_output")
        self.tensors[node.id] = out
        lines = [f"{var} = keras.applications.{spec.class_name}({', '.join(args)})"]
        lines += self._backbone_weights_and_trainability(node, var, self._output(edges[0].source,
                                                                                  edges[0].source_port))
        self.backbones.append(var)
        return lines

    def _operation(self, node: Node, spec: LayerSpec) -> list[str]:
        """A Keras operation as Keras' own examples write it: ``x / 127.5``, ``a + b``,
        ``keras.ops.mean(x, axis=1)``. Keras then records the same operation; its name is Keras' own."""
        from app.core.catalog.ops import OPERATORS, keras_class

        cfg = node.config
        tensors = [self._output(e.source, e.source_port) for e in self._edges(node, spec)]
        if not tensors:
            raise _Where(node.name, None).fail("no input is connected")
        constant = cfg.get("constant")
        if constant is not None:
            operands = [_number(constant, _Where(node.name, "constant")), *tensors]
            if not cfg.get("constant_first"):
                operands.reverse()
        else:
            operands = tensors
        name = keras_class(spec.class_name)
        arguments = [f"{p.name}={literal(cfg[p.name], _Where(node.name, p.name), as_tuple=p.name == 'newshape')}"
                     for p in spec.params if p.name in cfg and p.name not in ("constant", "constant_first")
                     and (p.required or not _same(cfg[p.name], to_json_value(p.default)))]
        if spec.variadic:
            call = f"keras.ops.{spec.name_prefix}([{', '.join(operands)}]{''.join(', ' + a for a in arguments)})"
        elif name in OPERATORS and len(operands) == 2 and not arguments:
            call = f" {OPERATORS[name]} ".join(operands)
        else:
            call = f"keras.ops.{spec.name_prefix}({', '.join(operands + arguments)})"
        var = self.namer.take(node.name)
        self.tensors[node.id] = var
        return [f"{var} = {call}"]

    def _backbone_weights_and_trainability(self, node: Node, var: str, source: str) -> list[str]:
        """The node's weights file, how much of it trains, and the call: a (partly) frozen backbone is
        called with ``training=False`` so its batch normalization stays in inference mode."""
        cfg = node.config
        lines: list[str] = []
        weights_file = cfg.get("weights_file") or ""
        if weights_file:
            lines += ["# Weights from a file, its path relative to the project folder (run the script there).",
                      "try:",
                      f"{_INDENT}{var}.load_weights({literal(weights_file, _Where(node.name, 'weights_file'))})",
                      "except FileNotFoundError:",
                      f"{_INDENT}pass"]
        trainable = cfg.get("trainable", True)
        if not isinstance(trainable, bool):
            raise _Where(node.name, "trainable").fail("must be true or false")
        top = cfg.get("train_top_layers") or 0
        if not isinstance(top, int) or isinstance(top, bool) or top < 0:
            raise _Where(node.name, "train_top_layers").fail("must be a whole number, 0 or more")
        if not trainable:
            lines.append(f"{var}.trainable = False")
        elif top:
            lines += [f"for layer in {var}.layers[:-{top}]:",
                      f"{_INDENT}layer.trainable = False"]
        inference = ", training=False" if not trainable or top else ""
        lines.append(f"{self.tensors[node.id]} = {var}({source}{inference})")
        return lines

    def _constructor(self, spec: LayerSpec, config: Mapping[str, Any], name: Any, node_name: str) -> str:
        """``layers.Class(required, changed=..., name=...)``.

        A lone required parameter goes first without its name, as in Keras' own examples
        (``Dense(10)``, ``Dropout(0.2)``); with several, every argument is named for clarity.
        """
        if not spec.class_name.isidentifier() or spec.is_application or spec.class_name == "InputLayer":
            raise _Where(node_name, None).fail(f"{spec.class_name!r} cannot be built as a layer here")
        positional: list[str] = []
        keywords: list[str] = []
        lone = sum(p.required for p in spec.params) == 1
        for param in spec.params:
            if param.name not in config:
                continue
            value = config[param.name]
            if not param.required and _same(value, to_json_value(param.default)):
                continue
            expr = self._param_value(param, value, node_name)
            if param.required and lone:
                positional.append(expr)
            else:
                keywords.append(f"{param.name}={expr}")
        if name is not None:
            keywords.append(f"name={literal(name, _Where(node_name, 'name'))}")
        return f"{self._class_reference(spec, node_name)}({', '.join(positional + keywords)})"

    def _class_reference(self, spec: LayerSpec, node_name: str) -> str:
        """``layers.Dense``; a Keras-internal class (ConvNeXt's LayerScale) is imported from its module by name."""
        if spec.module == "keras.layers":
            return f"layers.{spec.class_name}"
        from app.core.catalog.ops import INTERNAL_LAYERS

        if (spec.module, spec.class_name) not in INTERNAL_LAYERS:
            raise _Where(node_name, None).fail(f"{spec.module}.{spec.class_name} cannot be built here")
        self.imports.add(f"from {spec.module} import {spec.class_name}")
        return spec.class_name

    def _param_value(self, param: Param, value: Any, node_name: str) -> str:
        where = _Where(node_name, param.name)
        if param.name == "cell" and isinstance(value, Mapping) and "class_name" in value:
            return self._cell(value, node_name)
        if param.kind is ParamKind.LAYER and value is not None:
            return self._wrapped(param, value, node_name)
        tuple_kind = param.kind in (ParamKind.INT_TUPLE, ParamKind.FLOAT_TUPLE, ParamKind.SHAPE)
        return literal(value, where, as_tuple=tuple_kind and isinstance(value, (list, tuple)))

    def _wrapped(self, param: Param, value: Any, node_name: str) -> str:
        """A wrapped layer (Bidirectional, TimeDistributed) as a nested ``layers.X(...)`` call."""
        where = _Where(node_name, param.name)
        if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
            raise where.fail("must be a layer: {'class_name': ..., 'config': {...}}")
        inner = get_spec(value["class_name"])
        if inner is None or inner.is_application or inner.class_name == "InputLayer" or (
            param.choices and inner.class_name not in param.choices
        ):
            raise where.fail(f"cannot wrap {value['class_name']!r}")
        config = value.get("config", {})
        if not isinstance(config, Mapping):
            raise where.fail("the wrapped layer's config must be an object")
        unknown = [k for k in config if k != "name" and k not in inner.param_names]
        if unknown:
            raise where.fail(f"the wrapped {inner.title} has no parameter {str(unknown[0])!r}")
        return self._constructor(inner, config, config.get("name"), node_name)

    def _cell(self, value: Mapping[str, Any], node_name: str, depth: int = 0) -> str:
        """RNN's cell as Keras' examples write it: ``layers.LSTMCell(32)``, or
        ``layers.StackedRNNCells([layers.GRUCell(8), layers.GRUCell(4)])``."""
        from app.core.catalog.recurrent_cells import CELL_SPECS

        where = _Where(node_name, "cell")
        class_name, config = value.get("class_name"), value.get("config", {})
        if not isinstance(config, Mapping):
            raise where.fail("the cell's config must be an object")
        if class_name == "StackedRNNCells" and not depth and isinstance(config.get("cells"), list):
            cells = ", ".join(self._cell(c, node_name, 1) for c in config["cells"] if isinstance(c, Mapping))
            if len(config["cells"]) != cells.count("layers."):
                raise where.fail("every cell of StackedRNNCells must be a cell")
            named = f", name={literal(config['name'], where)}" if isinstance(config.get("name"), str) else ""
            return f"layers.StackedRNNCells([{cells}]{named})"
        spec = CELL_SPECS.get(class_name) if isinstance(class_name, str) else None
        if spec is None:
            raise where.fail(f"cannot be {class_name!r}: a cell is SimpleRNNCell, LSTMCell, GRUCell or StackedRNNCells")
        unknown = [k for k in config if k != "name" and k not in spec.param_names]
        if unknown:
            raise where.fail(f"the cell {class_name} has no parameter {str(unknown[0])!r}")
        return self._constructor(spec, config, config.get("name"), node_name)

    def _edges(self, node: Node, spec: LayerSpec) -> list[Edge]:
        ports = {p.name for p in spec.ports}
        edges = self.graph.ordered_in_edges(node.id)
        for edge in edges:
            if edge.target_port not in ports:
                raise _Where(node.name, None).fail(f"{spec.title} has no input port {edge.target_port!r}")
            if edge.source not in self.tensors or edge.source_port > len(self.states.get(edge.source, [])):
                raise _Where(node.name, None).fail("one of its inputs comes from an output that does not exist")
        return edges

    def _call_args(self, node: Node, spec: LayerSpec) -> str:
        """How the layer is called: one tensor, a list (merges), or keywords (MultiHeadAttention)."""
        edges = self._edges(node, spec)
        if not edges:
            raise _Where(node.name, None).fail("no input is connected")
        tensors = [self._output(e.source, e.source_port) for e in edges]
        style = spec.call_style
        if style == "recurrent":
            by_port = {e.target_port: t for e, t in zip(edges, tensors, strict=True)}
            if "input" not in by_port:
                raise _Where(node.name, None).fail("its sequence input ('input') is not connected")
            args = [by_port["input"]]
            if "mask" in by_port:
                args.append(f"mask={by_port['mask']}")
            states = [by_port[p] for p in ("initial_h", "initial_c") if p in by_port]
            if states:
                args.append(f"initial_state=[{', '.join(states)}]")
            return ", ".join(args)
        if style == "list":
            return f"[{', '.join(tensors)}]"
        if style == "kwargs":
            names = {p.name: p.name for p in spec.ports}  # our own spellings, never the file's
            return ", ".join(f"{names[e.target_port]}={t}" for e, t in zip(edges, tensors, strict=True))
        if len(tensors) != 1:
            raise _Where(node.name, None).fail(f"{spec.title} takes one input but {len(tensors)} are connected")
        return tensors[0]

    # weights ----------------------------------------------------------------------------------

    def _weights(self) -> list[str]:
        """When the project has weights, the export writes them beside the script as
        ``SCRIPT.weights.h5`` (Keras' own ``save_weights`` file) and the script loads them if
        that file is there; the source is a string literal (it holds a file name)."""
        weights = getattr(self.project, "weights", None)
        if not weights:
            return []
        source = literal(weights.describe(), _Where(None, "weights"))
        return [
            "",
            "# The weights Layerforge exported beside this script, loaded when the file is there.",
            f"WEIGHTS_SOURCE = {source}",
            'WEIGHTS_FILE = Path(__file__).with_name(Path(__file__).stem + ".weights.h5")',
            "if WEIGHTS_FILE.is_file():",
            f"{_INDENT}model.load_weights(str(WEIGHTS_FILE))",
        ]

    # TensorBoard ------------------------------------------------------------------------------

    def _tensorboard_dir(self) -> str:
        value = {**default_training(), **(self.project.training or {})}.get("tensorboard_dir", "")
        problem = tensorboard_dir_problem(value)
        if problem:
            raise _Where(None, "training setting tensorboard_dir").fail(problem)
        return str(value)

    def _tensorboard_lines(self) -> list[str]:
        """``training_callbacks()``: a ``keras.callbacks.TensorBoard`` writing into a new sub-folder of
        the project's log folder per run, named by its start time, as Layerforge's own training does;
        the folder is taken beside the script, as Layerforge takes it beside the project. A function,
        so importing the script still writes nothing."""
        if not self.tensorboard:
            return []
        folder = literal(self.tensorboard, _Where(None, "training setting tensorboard_dir"))
        i = _INDENT
        return [
            "# TensorBoard logs, as in the project's training settings: each run writes a sub-folder named",
            "# by its start time (see them with: tensorboard --logdir TENSORBOARD_DIR).",
            f"TENSORBOARD_DIR = Path(__file__).resolve().parent / {folder}",
            "",
            "",
            "def training_callbacks():",
            f'{i}"""The callbacks to train with: TensorBoard logging into a new folder for this run."""',
            f'{i}run = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")',
            f"{i}return [keras.callbacks.TensorBoard(log_dir=str(TENSORBOARD_DIR / run))]",
            "",
            "",
        ]

    def fit_callbacks(self) -> list[str]:
        """The ``fit`` argument that logs to TensorBoard, when the project asks for it."""
        return ["callbacks=training_callbacks()"] if self.tensorboard else []

    # training ---------------------------------------------------------------------------------

    def _training(self) -> list[str]:
        settings = {**default_training(), **(self.project.training or {})}

        def at(key: str) -> _Where:
            return _Where(None, f"training setting {key}")

        optimizer = settings["optimizer"]
        if not isinstance(optimizer, str) or optimizer.lower() not in OPTIMIZERS:
            known = ", ".join(OPTIMIZERS)
            raise at("optimizer").fail(f"{optimizer!r} is not an optimizer Layerforge can export (known: {known})")
        optimizer = optimizer.lower()
        arguments = [f"learning_rate={_number(settings['learning_rate'], at('learning_rate'))}"]
        if optimizer == "sgd":
            arguments.append(f"momentum={_number(settings['momentum'], at('momentum'))}")
            if settings["nesterov"] is True:
                arguments.append("nesterov=True")
        if optimizer == "adamw":
            arguments.append(f"weight_decay={_number(settings['weight_decay'], at('weight_decay'))}")
        if settings["clipnorm"]:
            arguments.append(f"clipnorm={_number(settings['clipnorm'], at('clipnorm'))}")
        loss = settings["loss"]
        if not isinstance(loss, str):
            raise at("loss").fail("must be the name of a loss")
        metrics = settings["metrics"]
        if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
            raise at("metrics").fail("must be a list of metric names")
        written = []
        for metric in metrics:
            try:
                spec = metric_spec(metric, loss)
            except ValueError:
                written.append(literal(metric, at("metrics")))  # Keras resolves names it knows
                continue
            if isinstance(spec, str):
                written.append(literal(spec, at("metrics")))
            else:
                class_name, kwargs = spec
                args = ", ".join(f"{k}={literal(v, at('metrics'))}" for k, v in kwargs.items())
                written.append(f"keras.metrics.{class_name}({args})")
        fit = [
            f"batch_size={_number(settings['batch_size'], at('batch_size'), whole=True)}",
            f"epochs={_number(settings['epochs'], at('epochs'), whole=True)}",
        ]
        split = _number(settings["validation_split"], at("validation_split"))
        if settings["validation_split"]:
            fit.append(f"validation_split={split}")
        if settings["shuffle"] is False:
            fit.append("shuffle=False")
        callbacks = self.fit_callbacks()
        lines = [
            "model.compile(",
            f"{_INDENT}optimizer=keras.optimizers.{OPTIMIZERS[optimizer]}({', '.join(arguments)}),",
            f"{_INDENT}loss={literal(loss, at('loss'))},",
            f"{_INDENT}metrics=[{', '.join(written)}],",
            ")",
            "",
            "# Train it on your own data, for example:",
            f"# model.fit(x_train, y_train, {', '.join(fit + callbacks)})",
        ]
        if settings["schedule"] != "constant" or settings["warmup_epochs"]:
            lines.append(f"# Layerforge trained with the {literal(settings['schedule'], at('schedule'))} learning-rate "
                         "schedule (see the project's training settings).")
        lines += self._two_phases(settings, optimizer, arguments[1:], loss, written, fit)
        return lines

    def _two_phases(self, settings: Mapping[str, Any], optimizer: str, arguments: list[str], loss: str,
                    metrics: list[str], fit: list[str]) -> list[str]:
        """A function that trains in two phases, as the project does: the head first with the backbone
        frozen, then the backbone's top layers too, recompiled with a lower learning rate. Defined,
        never called, so importing the script still trains nothing."""
        epochs = settings.get("fine_tune_epochs", 0)
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs <= 0:
            return []

        def at(key: str) -> _Where:
            return _Where(None, f"training setting {key}")

        layers_n = _number(settings.get("fine_tune_layers", 20), at("fine_tune_layers"), whole=True)
        rate = _number(settings.get("fine_tune_learning_rate", 1e-5), at("fine_tune_learning_rate"))
        _number(epochs, at("fine_tune_epochs"), whole=True)
        logged = ["callbacks=callbacks"] if self.tensorboard else []
        phase1 = ", ".join(fit + logged)
        rest = [a for a in fit if not a.startswith("epochs=")] + logged
        i = _INDENT
        if self.backbones:
            unfreeze = [f"{i}for backbone in [{', '.join(self.backbones)}]:",
                        f"{i}{i}backbone.trainable = True",
                        f"{i}{i}for layer in backbone.layers[:-FINE_TUNE_LAYERS]:",
                        f"{i}{i}{i}layer.trainable = False"]
        else:
            unfreeze = [f"{i}frozen = [layer for layer in model.layers if not layer.trainable]",
                        f"{i}for layer in frozen[len(frozen) - min(FINE_TUNE_LAYERS, len(frozen)):]:",
                        f"{i}{i}layer.trainable = True"]
        return [
            "",
            "# Two-phase training (transfer learning), as in the project training settings.",
            f"FINE_TUNE_LAYERS = {layers_n}",
            f"FINE_TUNE_EPOCHS = {epochs}",
            f"FINE_TUNE_LEARNING_RATE = {rate}",
            "",
            "",
            "def train_in_two_phases(x_train, y_train):",
            f'{i}"""Phase 1 trains the new head while the pretrained layers stay frozen; phase 2 unfreezes',
            f"{i}the top FINE_TUNE_LAYERS layers and trains on with a lower learning rate, so the large",
            f'{i}gradients of an untrained head never reach the pretrained weights."""',
            *([f"{i}# One TensorBoard folder for both phases, as Layerforge does.",
               f"{i}callbacks = training_callbacks()"] if self.tensorboard else []),
            f"{i}first = model.fit(x_train, y_train, {phase1})",
            *unfreeze,
            f"{i}# Keras reads trainability when compiling: compile again, with the lower learning rate.",
            f"{i}model.compile(",
            f"{i}{i}optimizer=keras.optimizers.{OPTIMIZERS[optimizer]}("
            f"{', '.join(['learning_rate=FINE_TUNE_LEARNING_RATE', *arguments])}),",
            f"{i}{i}loss={literal(loss, at('loss'))},",
            f"{i}{i}metrics=[{', '.join(metrics)}],",
            f"{i})",
            f"{i}done = len(first.epoch)",
            f"{i}second = model.fit(x_train, y_train, "
            f"{', '.join([*rest, 'initial_epoch=done', 'epochs=done + FINE_TUNE_EPOCHS'])})",
            f"{i}return first, second",
        ]


_TENSORBOARD_NAMES = ("datetime", "timezone", "training_callbacks")
"""The script's own names when it logs to TensorBoard (a layer's variable takes another)."""


def _one_or_list(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"[{', '.join(names)}]"


__all__ = [
    "OPTIMIZERS",
    "RESERVED_NAMES",
    "CodegenError",
    "Namer",
    "format_source",
    "generate_python",
    "identifier",
    "keras_model_name",
    "literal",
]
