""".keras file / Keras model config -> an editable Layerforge project.

A model file is code (DESIGN.md, "Safety"), so nothing in it is ever executed, and Keras
is not even imported here: the archive is opened with :mod:`zipfile` (never extracted),
``config.json`` is parsed with :mod:`json`, and the whole config is walked and checked
against the catalog's allow-list *before* anything is built. What passes is plain data:
catalog layer classes, and a short list of Keras initializers, regularizers, constraints
and dtype policies. Lambda layers, custom (registered) classes, functions, modules outside
Keras and unknown layers are refused with a message naming the layer. A layer called at several
places (shared embeddings, Siamese towers) becomes one node per call, linked to the first
(:meth:`app.core.graph.Graph.set_shared`); a recurrent layer's ``initial_state`` and explicit
``mask`` arguments go to its ports, and its states, read as outputs 1 and 2, to edges from them.

Nested models (a keras.applications backbone under a new head, a Sequential inside a
Functional model) are laid out as their real layers, so every layer is editable, and kept
as nested-model blocks (:mod:`app.keras_bridge.nested`) so export rebuilds them as
sub-models; layers named by block (``conv2_block1_*``) are folded into groups. Names
stay what Keras shows, and a clash created by flattening is renamed and reported in the
import notes. Configs are stored in the catalog's compact form
(:mod:`app.keras_bridge.normalize`). Trained weights are kept (matched by layer name) by
:func:`import_archive_weights`, a separate step that reads them as data.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from app.core.catalog import get_spec
from app.core.catalog.ops import INTERNAL_LAYERS
from app.core.catalog.ops import KERAS_CLASSES as OPERATION_CLASSES
from app.core.catalog.ops import PREFIX as OPERATION_PREFIX
from app.core.catalog.recurrent import STATE_PORTS
from app.core.catalog.recurrent_cells import CELL_CLASSES
from app.core.catalog.spec import LayerSpec
from app.core.graph import Graph
from app.core.layout import apply_view_layout
from app.core.project import Project
from app.core.userfiles import open_regular
from app.keras_bridge.nested import NestedCall, import_hierarchy, training_argument
from app.keras_bridge.normalize import OBJECT_CLASSES, normalize_config

MAX_CONFIG_BYTES = 64 * 1024 * 1024
"""config.json larger than this is refused (DenseNet201's is about 1 MB)."""

MAX_METADATA_BYTES = 1024 * 1024
MAX_MEMBER_BYTES = 16 * 1024**3
"""Declared size of any archive member; weights of the models Layerforge handles are far smaller."""

MAX_RATIO = 1000
"""A member that claims to expand more than this (and above 1 MiB) is a zip bomb, not a model."""

MAX_MEMBERS = 10_000
MAX_LAYERS = 20_000
MAX_JSON_DEPTH = 128
"""Keras configs nest about a dozen levels per nested model."""

MAX_NESTING = 16
"""Models inside models, deeper than any real one."""

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
CONVERT_HINT = ('convert it in an environment you trust: keras.models.load_model("model.h5")'
                '.save("model.keras"), then import the .keras file')

MODEL_CLASSES = frozenset({"Functional", "Sequential", "Model"})
MODEL_MODULES = frozenset({"keras", "keras.models", "keras.src.models.functional", "keras.src.models.sequential",
                           "keras.src.models.model", "keras.src.engine.functional", "keras.src.engine.sequential",
                           "keras.engine.functional", "keras.engine.sequential"})

OBJECT_CLASS_NAMES = frozenset().union(*OBJECT_CLASSES.values(), {"Policy"})

Tensor = tuple[str, int]
"""(graph node id, output index)."""


WEIGHTS_NOT_IMPORTED_NOTE = ("the file's trained weights are not imported: a Layerforge project holds the "
                             "architecture; layers start from their initializers")
"""What :func:`read_keras_archive` alone says; :func:`import_keras` replaces it by what
:func:`import_archive_weights` really kept."""


class ImportRefused(ValueError):
    """The model cannot be imported; the message says which file, which layer and why."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = os.fspath(path) if path is not None else None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


# --- Reading the archive ------------------------------------------------------------------

def import_keras(path: str | os.PathLike[str]) -> tuple[Project, list[str]]:
    """Import a Keras 3 ``.keras`` file as a project, plus human-readable notes."""
    config, notes = read_keras_archive(path)
    try:
        project, more = import_config(config, source=Path(path).name)
    except ImportRefused as err:
        raise ImportRefused(err.message, path) from None
    notes = [note for note in notes if note != WEIGHTS_NOT_IMPORTED_NOTE]
    return project, notes + more + import_archive_weights(path, project)


def import_archive_weights(path: str | os.PathLike[str], project: Project) -> list[str]:
    """Keep the archive's trained weights in ``project.weights``, matched by layer name; returns notes.

    The weights member is read as data with h5py (:mod:`app.keras_bridge.weights_io`: no
    pickle, no links to other files, numbers only). A file whose weights cannot be read is
    still imported, with initial weights and a note that says why."""
    from app.keras_bridge.weights_io import WeightsError, weights_from_file

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return []
    if "model.weights.h5" not in names:
        if any(name.endswith((".h5", ".npz")) for name in names):
            return ["the file's weights are in a layout Layerforge does not read (sharded or .npz); layers start "
                    "from their initializers"]
        return []
    try:
        weights, notes = weights_from_file(path, project, kind="imported")
    except WeightsError as err:
        return [f"the trained weights were not imported ({err.args[0]}); layers start from their initializers"]
    project.weights = weights
    if weights:
        notes.insert(0, f"kept the trained weights of {len(weights.layers)} layer(s) from {Path(path).name}")
    return notes


def read_keras_archive(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[str]]:
    """The parsed config.json of a .keras archive, after checking the archive itself."""
    file = Path(path)
    if file.is_dir():
        raise ImportRefused("this is a folder, not a .keras file (TensorFlow SavedModel folders are not "
                            "supported; save the model with model.save('model.keras'))", path)
    try:
        with open_regular(file) as fh:  # a named pipe or a device is refused, never waited on
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(8)
            if size == 0:
                raise ImportRefused("the file is empty", path)
            if file.suffix.lower() in (".h5", ".hdf5") or _is_hdf5(fh, head):
                raise ImportRefused(f"this is a legacy HDF5 (.h5) model; Layerforge imports only Keras 3 .keras "
                                    f"files, which it can check without running them. To use it, {CONVERT_HINT}",
                                    path)
            fh.seek(0)
            try:
                archive = zipfile.ZipFile(fh)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
                if head.startswith(b"PK"):
                    raise ImportRefused("the .keras archive is damaged or truncated (its zip directory cannot be "
                                        "read)", path) from None
                hint = (" It looks like JSON text: a Layerforge project is opened, not imported."
                        if head.lstrip().startswith(b"{") else "")
                raise ImportRefused(f"this is not a .keras model file (it is not a zip archive).{hint}",
                                    path) from None
            with archive:
                return _read_members(archive, path)
    except OSError as err:
        raise ImportRefused(f"cannot read the file: {err.strerror or err}", path) from None


def _is_hdf5(fh: Any, head: bytes) -> bool:
    """HDF5's signature sits at offset 0, or 512, 1024, 2048 ... after a user block."""
    if head.startswith(HDF5_MAGIC):
        return True
    for offset in (512, 1024, 2048, 4096):
        fh.seek(offset)
        if fh.read(8) == HDF5_MAGIC:
            return True
    return False


_DRIVE = re.compile(r"^[A-Za-z]:")


def _member_problem(name: str) -> str | None:
    if "\x00" in name:
        return "a member name contains a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return f"the archive holds a member with an absolute path ({name!r})"
    if ".." in re.split(r"[/\\]", name):
        return f"the archive holds a member whose path leaves the archive ({name!r})"
    return None


def _read_members(archive: zipfile.ZipFile, path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[str]]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ImportRefused(f"the archive holds {len(infos)} members; a .keras file has a handful", path)
    seen: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        problem = _member_problem(info.filename)
        if problem:
            raise ImportRefused(f"{problem}; Layerforge refuses archives that could write outside a folder", path)
        if info.filename in seen:
            raise ImportRefused(f"the archive holds two members named {info.filename!r}", path)
        seen[info.filename] = info
        if info.file_size > MAX_MEMBER_BYTES:
            raise ImportRefused(f"member {info.filename!r} claims {info.file_size:,} bytes, more than any model "
                                f"Layerforge handles", path)
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ImportRefused(f"member {info.filename!r} claims to expand from {info.compress_size:,} to "
                                f"{info.file_size:,} bytes: this looks like a zip bomb, not a model", path)
    if "config.json" not in seen:
        raise ImportRefused("the archive has no config.json, so it is not a Keras 3 .keras model", path)
    config = _parse_json(_read_member(archive, seen["config.json"], MAX_CONFIG_BYTES, path), "config.json", path)
    notes: list[str] = []
    if "metadata.json" in seen:
        notes += _metadata_notes(archive, seen["metadata.json"], path)
    if any(name.endswith(".h5") or name.endswith(".npz") for name in seen):
        notes.append(WEIGHTS_NOT_IMPORTED_NOTE)
    if not isinstance(config, dict):
        raise ImportRefused("config.json does not hold a model description (a JSON object)", path)
    return config, notes


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                 path: str | os.PathLike[str]) -> bytes:
    if info.flag_bits & 0x1:
        raise ImportRefused(f"{info.filename} is encrypted", path)
    if info.file_size > limit:
        raise ImportRefused(f"{info.filename} is {info.file_size:,} bytes; the limit is {limit:,}", path)
    try:
        with archive.open(info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as err:
        raise ImportRefused(f"{info.filename} cannot be read: the archive is damaged or truncated ({err})",
                            path) from None
    if len(data) > limit:
        raise ImportRefused(f"{info.filename} is larger than {limit:,} bytes", path)
    return data


class _JsonProblem(Exception):
    """Raised from inside json.loads hooks; turned into ImportRefused by the caller."""


def _refuse_constant(token: str) -> Any:
    raise _JsonProblem(f"it contains {token}, which is not a number Keras configs may hold")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonProblem(f"it contains the number {text}, which overflows to infinity")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonProblem(f"an object repeats the key {key!r}")
        out[key] = value
    return out


def _parse_json(data: bytes, what: str, path: str | os.PathLike[str] | None) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(f"{what} is not UTF-8 text", path) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                          object_pairs_hook=_unique_keys)
    except _JsonProblem as err:
        raise ImportRefused(f"{what} is refused: {err}", path) from None
    except json.JSONDecodeError as err:
        raise ImportRefused(f"{what} is not valid JSON (line {err.lineno} column {err.colno}: {err.msg})",
                            path) from None
    except RecursionError:
        raise ImportRefused(f"{what} nests lists or objects too deeply", path) from None
    except ValueError as err:
        raise ImportRefused(f"{what} holds a value that cannot be read ({err})", path) from None


def _metadata_notes(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str | os.PathLike[str]) -> list[str]:
    try:
        data = _parse_json(_read_member(archive, info, MAX_METADATA_BYTES, path), "metadata.json", path)
    except ImportRefused:
        return ["metadata.json could not be read and was ignored"]
    saved = data.get("keras_version") if isinstance(data, dict) else None
    if not isinstance(saved, str):
        return []
    try:
        installed = importlib_metadata.version("keras")
    except importlib_metadata.PackageNotFoundError:
        return []
    if saved.split(".")[:2] != installed.split(".")[:2]:
        return [f"the file was saved by Keras {saved}; this Layerforge uses Keras {installed}, so layers take "
                "today's defaults where the file leaves them out"]
    return []


# --- The checked walk: plain data, allow-listed classes -------------------------------------------

@dataclass(frozen=True)
class _Ref:
    """A tensor in a call: output ``tensor`` of call ``node`` of the layer keyed ``layer``."""

    layer: str
    node: int
    tensor: int
    shape: tuple[int | None, ...] | None = None


@dataclass
class _Call:
    args: list[Any]
    kwargs: dict[str, Any]


@dataclass(eq=False)
class _Layer:
    key: str
    name: str
    class_name: str
    config: dict[str, Any]
    where: str
    call: _Call | None = None
    model: _Model | None = None
    op: bool = False
    module: str | None = None
    more_calls: list[_Call] = field(default_factory=list)
    """The calls after the first of a shared layer (one node each, linked to the first's)."""


@dataclass(eq=False)
class _Model:
    name: str
    sequential: bool
    trainable: bool
    layers: list[_Layer]
    inputs: list[_Ref] = field(default_factory=list)
    outputs: list[_Ref] = field(default_factory=list)
    input_shape: list[Any] | None = None
    dict_io: bool = False


_LEAVES = (str, int, bool, type(None))
"""Exact types of plain data that are copied as they are (floats need a finiteness check)."""


def _plain(value: Any, where: str = "config") -> Any:
    """A deep copy with lists for tuples, refusing anything that is not plain, finite JSON data.

    Recursive, at most :data:`MAX_JSON_DEPTH` levels deep (checked before going down); the
    leaves json.load gives (text, whole numbers, booleans, null) are copied without a call."""

    def copy(item: Any, depth: int) -> Any:
        kind = type(item)
        if depth > MAX_JSON_DEPTH or (depth == MAX_JSON_DEPTH and item and kind in (dict, list, tuple)):
            # (a leaf one level below the limit is copied without a call: it is refused here)
            raise ImportRefused(f"the {where} nests lists or objects more than {MAX_JSON_DEPTH} levels deep")
        if kind is dict:
            out: dict[str, Any] = {}
            for key, sub in item.items():
                if type(key) is not str and not isinstance(key, str):
                    raise ImportRefused(f"the {where} has a key that is not text ({key!r})")
                out[key] = sub if type(sub) in _LEAVES else copy(sub, depth + 1)
            return out
        if kind is list or kind is tuple:
            return [sub if type(sub) in _LEAVES else copy(sub, depth + 1) for sub in item]
        if item is None or kind in _LEAVES or isinstance(item, bool | str):
            return item
        if isinstance(item, int):
            return int(item)
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ImportRefused(f"the {where} contains {item}, which is not a finite number")
            return float(item)
        if isinstance(item, Mapping):
            return copy(dict(item.items()), depth)
        if isinstance(item, list | tuple):
            return copy(list(item), depth)
        raise ImportRefused(f"the {where} holds a {type(item).__name__}, which is not plain data")

    return copy(value, 0)


def _keras_module(module: str) -> bool:
    return module == "keras" or module.startswith("keras.")


def _layer_module(module: str | None) -> bool:
    return module is None or module == "keras.layers" or module.startswith("keras.src.layers")


def _unsupported(class_name: str) -> str:
    return f"is a {class_name} layer, which Layerforge does not support (it is not in the layer catalog)"


class _Parser:
    """Phase one: walk the config, check every class and value, build a small tree of models."""

    def __init__(self) -> None:
        self.layer_count = 0
        self.embedding_masks = False

    def model(self, entry: Any, depth: int = 0, parent: str | None = None) -> _Model:
        if depth > MAX_NESTING:
            raise ImportRefused(f"models are nested more than {MAX_NESTING} levels deep")
        if not isinstance(entry, dict):
            raise ImportRefused("the model description is not a JSON object")
        class_name = entry.get("class_name")
        config = entry.get("config")
        if not isinstance(config, dict):
            raise ImportRefused("the model description has no 'config' object")
        name = config.get("name", entry.get("name", "model"))
        if not isinstance(name, str) or not name:
            raise ImportRefused("the model's name is not text")
        where = f"nested model {name!r}" if parent else f"model {name!r}"
        self._check_model_class(entry, where)
        trainable = config.get("trainable", True)
        if not isinstance(trainable, bool):
            raise ImportRefused(f"{where}: 'trainable' must be true or false")
        layers_data = config.get("layers")
        if not isinstance(layers_data, list):
            raise ImportRefused(f"{where} has no list of layers")
        sequential = class_name == "Sequential"
        layers = [self.layer(data, depth, name, sequential) for data in layers_data]
        model = _Model(name, sequential, trainable, layers)
        _check_unique(model, where)
        if sequential:
            shape = config.get("build_input_shape")
            build = entry.get("build_config")
            if shape is None and isinstance(build, dict):
                shape = build.get("input_shape")
            model.input_shape = shape if isinstance(shape, list) else None
        else:
            for key in ("input_layers", "output_layers"):
                if key not in config:
                    raise ImportRefused(f"{where} has no '{key}'")
            model.inputs, dict_in = _leaves(config["input_layers"], f"{where}: input_layers")
            model.outputs, dict_out = _leaves(config["output_layers"], f"{where}: output_layers")
            model.dict_io = dict_in or dict_out
        return model

    def _check_model_class(self, entry: dict[str, Any], where: str) -> None:
        class_name = entry.get("class_name")
        module = entry.get("module")
        registered = entry.get("registered_name")
        if registered is not None and registered != class_name:
            raise ImportRefused(f"{where} is the custom model class {registered!r}; subclassed and registered models "
                                "are Python code, which Layerforge does not import")
        if class_name not in MODEL_CLASSES or (module is not None and module not in MODEL_MODULES):
            shown = f"{module}.{class_name}" if module else f"{class_name}"
            raise ImportRefused(f"{where} is a {shown!s}; Layerforge imports Functional and Sequential Keras models "
                                "only")

    def layer(self, data: Any, depth: int, model: str, sequential: bool) -> _Layer:
        if not isinstance(data, dict):
            raise ImportRefused(f"a layer of model {model!r} is not a JSON object")
        class_name = data.get("class_name")
        config = data.get("config")
        if not isinstance(class_name, str) or not isinstance(config, dict):
            raise ImportRefused(f"a layer of model {model!r} has no class_name or config")
        name = config.get("name", data.get("name"))
        if name is None and sequential:
            name = ""  # Keras would name it; _assign_names does the same
        key = data.get("name", name)
        if not isinstance(name, str) or not isinstance(key, str) or not (name or sequential):
            raise ImportRefused(f"a {class_name} layer of model {model!r} has no name")
        where = (f"layer {name!r}" if name else f"an unnamed {class_name} layer") + (
            f" (in nested model {model!r})" if depth else "")
        self.layer_count += 1
        if self.layer_count > MAX_LAYERS:
            raise ImportRefused(f"the model has more than {MAX_LAYERS:,} layers")
        layer = _Layer(key, name, class_name, config, where, module=data.get("module") if isinstance(
            data.get("module"), str) else None)
        if class_name in MODEL_CLASSES and data.get("module") in (None, *MODEL_MODULES):
            layer.model = self.model(data, depth + 1, model)
        else:
            layer.op = self._check_layer_class(data, where)
            if layer.op and (data.get("module"), class_name) in OPERATION_CLASSES:
                layer.class_name, layer.op = OPERATION_PREFIX + class_name, False  # a node: catalog/ops.py
            _check_objects(config, where)
            if class_name == "Embedding" and config.get("mask_zero") is True:
                self.embedding_masks = True
        if not sequential:
            calls = _layer_calls(data, layer)
            layer.call, layer.more_calls = (calls[0], calls[1:]) if calls else (None, [])
        return layer

    def _check_layer_class(self, data: dict[str, Any], where: str) -> bool:
        """True for a Keras operation (kept only if it computes masks, see _Builder); refuses the rest."""
        class_name = data["class_name"]
        module = data.get("module")
        registered = data.get("registered_name")
        if class_name == "Lambda":
            raise ImportRefused(f"{where} is a Lambda layer, which can run arbitrary code; Layerforge refuses to "
                                "import it")
        if registered is not None and registered != class_name:
            raise ImportRefused(f"{where} uses the custom class {registered!r} ({class_name} from module "
                                f"{module!r}), which is code from outside Keras; Layerforge imports only built-in "
                                "Keras layers")
        if module is not None and not isinstance(module, str):
            raise ImportRefused(f"{where} names a module that is not text")
        if module is not None and not _keras_module(module):
            raise ImportRefused(f"{where} is class {class_name} from module {module!r}, which is outside Keras; "
                                "Layerforge imports only built-in Keras layers")
        if module is not None and module.startswith("keras.src.ops"):
            return True
        if (module, class_name) in INTERNAL_LAYERS:
            return False
        if not _layer_module(module):
            raise ImportRefused(f"{where} is {class_name} from {module!r}, which is not a Keras layer module; "
                                "Layerforge imports only the layers in its catalog")
        spec = get_spec(class_name)
        if spec is None or spec.is_application:
            raise ImportRefused(f"{where} {_unsupported(class_name)}")
        return False


def _check_unique(model: _Model, where: str) -> None:
    for attribute in ("key", "name"):
        seen: set[str] = set()
        for layer in model.layers:
            value = getattr(layer, attribute)
            if value and value in seen:
                raise ImportRefused(f"{where} has two layers named {value!r}; Keras needs unique names")
            seen.add(value)


def _leaves(structure: Any, where: str) -> tuple[list[_Ref], bool]:
    """Input/output tensors: one ``[name, node, tensor]`` leaf, a list of them, or a dict of them."""
    refs: list[_Ref] = []
    used_dict = False
    stack = [structure]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and len(item) == 3 and isinstance(item[0], str):
            if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in item[1:]):
                raise ImportRefused(f"{where}: {item!r} is not [layer name, node index, tensor index]")
            refs.append(_Ref(item[0], item[1], item[2]))
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            used_dict = True
            stack.extend(reversed(list(item.values())))
        else:
            raise ImportRefused(f"{where}: {item!r} is not a tensor reference")
    return refs, used_dict


def _check_objects(config: dict[str, Any], where: str) -> None:
    """Every serialized object inside a layer config must be allow-listed plain data."""
    stack: list[tuple[Any, str]] = [(value, key) for key, value in config.items()]
    while stack:
        value, key = stack.pop()
        if isinstance(value, list):
            stack.extend((v, key) for v in value)
            continue
        if not isinstance(value, dict):
            continue
        if "class_name" in value:
            _check_object(value, where, key)
        stack.extend((v, key) for v in value.values())


def _check_object(value: dict[str, Any], where: str, key: str) -> None:
    class_name = value["class_name"]
    if not isinstance(class_name, str):
        raise ImportRefused(f"{where}: '{key}' names a class that is not text")
    place = f"{where} has in '{key}'"
    if class_name == "__lambda__":
        raise ImportRefused(f"{place} a Python lambda, which can run arbitrary code; Layerforge refuses to import it")
    if class_name == "__numpy__":
        return
    if class_name.startswith("__"):
        raise ImportRefused(f"{place} a serialized {class_name} object, which Layerforge does not import")
    module = value.get("module")
    registered = value.get("registered_name")
    config = value.get("config")
    if class_name == "function":
        if module == "keras.activations" and isinstance(config, str):
            return
        raise ImportRefused(f"{place} the Python function {config!r} from module {module!r}; functions are code, "
                            "and Layerforge imports only built-in Keras names such as 'relu'")
    if registered is not None and registered != class_name:
        raise ImportRefused(f"{place} the custom class {registered!r}, which is code from outside Keras; "
                            "Layerforge imports only built-in Keras objects")
    if module is not None and not isinstance(module, str):
        raise ImportRefused(f"{place} a module name that is not text")
    if module is not None and not _keras_module(module):
        raise ImportRefused(f"{place} class {class_name} from module {module!r}, which is outside Keras; "
                            "Layerforge imports only built-in Keras objects")
    if _layer_module(module) and (module is not None or class_name not in OBJECT_CLASS_NAMES):
        if class_name == "Lambda":
            raise ImportRefused(f"{place} a Lambda layer, which can run arbitrary code; Layerforge refuses to "
                                "import it")
        spec = get_spec(class_name)
        if key == "cell" and class_name in CELL_CLASSES:
            return  # a recurrent cell inside RNN (checked with the node's parameters)
        if spec is None or spec.is_application or class_name == "InputLayer":
            raise ImportRefused(f"{place} a {class_name} layer, which Layerforge does not support")
        return
    allowed = OBJECT_CLASS_NAMES if module is None else OBJECT_CLASSES.get(module, frozenset())
    if class_name not in allowed:
        shown = f"{module}.{class_name}" if module else class_name
        raise ImportRefused(f"{place} {shown}, which is not one of the Keras initializers, regularizers, "
                            "constraints or dtype policies Layerforge imports")


def _layer_calls(data: dict[str, Any], layer: _Layer) -> list[_Call]:
    """Every call of the layer; several for a shared layer (Siamese towers, shared embeddings)."""
    nodes = data.get("inbound_nodes", [])
    if not isinstance(nodes, list):
        raise ImportRefused(f"{layer.where}: 'inbound_nodes' must be a list")
    if layer.class_name == "InputLayer":
        return []
    if len(nodes) > 1 and (layer.model is not None or layer.op):
        what = "nested model" if layer.model is not None else "Keras operation"
        raise ImportRefused(f"{layer.where} is a {what} called {len(nodes)} times in the model; Layerforge shares "
                            "layers between calls, not nested models or operations")
    if len(nodes) > MAX_LAYERS:
        raise ImportRefused(f"{layer.where} is called more than {MAX_LAYERS:,} times")
    return [_parse_call(node, layer.where) for node in nodes]


def _parse_call(node: Any, where: str) -> _Call:
    if isinstance(node, list):  # tf.keras 2 layout: [[name, node, tensor, kwargs], ...]
        refs = []
        kwargs: Any = {}
        for item in node:
            if not (isinstance(item, list) and len(item) in (3, 4) and isinstance(item[0], str)
                    and all(isinstance(i, int) and not isinstance(i, bool) for i in item[1:3])):
                raise ImportRefused(f"{where}: an inbound connection is not [layer, node, tensor, kwargs]")
            refs.append(_Ref(item[0], item[1], item[2]))
            if len(item) == 4:
                kwargs = item[3]
        if not isinstance(kwargs, dict):
            raise ImportRefused(f"{where}: call arguments must be an object")
        return _Call([refs[0] if len(refs) == 1 else refs], _tensors(kwargs, where))
    if not isinstance(node, dict):
        raise ImportRefused(f"{where}: an inbound node is not a JSON object")
    args = node.get("args", [])
    kwargs = node.get("kwargs", {})
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ImportRefused(f"{where}: call arguments must be a list and an object")
    return _Call(_tensors(args, where), _tensors(kwargs, where))


def _tensors(value: Any, where: str) -> Any:
    """Call arguments with every serialized Keras tensor replaced by a :class:`_Ref`."""
    if isinstance(value, list):
        return [_tensors(v, where) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "__keras_tensor__":
        config = value.get("config")
        if not isinstance(config, dict):
            config = {}
        history = config.get("keras_history")
        if not (isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)
                and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:])):
            raise ImportRefused(f"{where}: an input tensor does not say which layer made it")
        shape = config.get("shape")
        if not (isinstance(shape, list) and all(d is None or (isinstance(d, int) and not isinstance(d, bool))
                                                for d in shape)):
            shape = None
        return _Ref(history[0], history[1], history[2], None if shape is None else tuple(shape))
    if "class_name" in value:
        _check_object(value, where, "call arguments")
    return {k: _tensors(v, where) for k, v in value.items()}


def _refs(value: Any) -> Iterator[_Ref]:
    if isinstance(value, _Ref):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _refs(v)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _short_value(value: Any, limit: int = 60) -> str:
    """Call arguments for a message: tensors as 'a tensor', the rest as a shortened repr."""
    if isinstance(value, _Ref):
        return "a tensor"
    text = ("[" + ", ".join(_short_value(v, limit) for v in value) + "]") if isinstance(value, list) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _constants(value: Any) -> list[Any]:
    """Leaves of call arguments that are not tensors."""
    if isinstance(value, _Ref):
        return []
    if isinstance(value, list):
        return [c for v in value for c in _constants(v)]
    if isinstance(value, dict):
        return [c for v in value.values() for c in _constants(v)]
    return [value]


# --- Names: keep Keras' names; rename only clashes that flattening creates -----------------------

def _assign_names(top: _Model, notes: list[str]) -> tuple[dict[int, str], set[str]]:
    """Final node names keyed by ``id(layer)``: outer models keep theirs first, then each
    nested model's layers in order, a clash becoming ``<model>_<name>`` (then ``_1``, ``_2`` ...)."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    queue: list[tuple[_Model, int]] = [(top, 0)]
    renamed: list[str] = []
    while queue:
        model, depth = queue.pop(0)
        unnamed: list[_Layer] = []
        for i, layer in enumerate(model.layers):
            if layer.model is not None:
                queue.append((layer.model, depth + 1))
                continue
            if layer.op or (layer.class_name == "InputLayer" and (depth > 0 or (model.sequential and i > 0))):
                continue
            if not layer.name:
                unnamed.append(layer)
                continue
            name = layer.name
            if name in taken:
                name = _free(f"{model.name}_{layer.name}", taken)
                renamed.append(f"'{layer.name}' of nested model '{model.name}' -> '{name}'")
            taken.add(name)
            names[id(layer)] = name
        for layer in unnamed:  # named the way Keras names new layers: dense, dense_1, ...
            spec = get_spec(layer.class_name)
            name = _free(spec.name_prefix if spec else layer.class_name.lower(), taken)
            taken.add(name)
            names[id(layer)] = name
    if renamed:
        notes.append("flattening nested models made layer names clash, so these layers were renamed: "
                     + ", ".join(renamed))
    return names, taken


def _input_names(model: _Model) -> tuple[str, ...]:
    """A nested model's own Input names (kept on its block, so export writes them again)."""
    if model.sequential:
        first = model.layers[0] if model.layers else None
        return (first.name,) if first is not None and first.class_name == "InputLayer" else ()
    return tuple(ref.layer for ref in model.inputs)


def _free(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    i = 1
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"


# --- Phase two: build the graph ---------------------------------------------------------------

class _Builder:
    """Turns the checked tree into graph nodes and edges; nested models are flattened."""

    def __init__(self, names: dict[int, str], taken: set[str], notes: list[str], embedding_masks: bool) -> None:
        self.graph = Graph()
        self.names = names
        self.taken = taken
        self.notes = notes
        self.embedding_masks = embedding_masks
        self.flattened: list[str] = []
        self.nested_calls: list[NestedCall] = []
        """Each sub-model met, with the nodes its layers became (they become a nested-model block)."""
        self.calls: list[_Layer] = []

    def build(self, top: _Model) -> Graph:
        if top.dict_io:
            self.notes.append("the model's inputs or outputs were a dict; Layerforge keeps them as an ordered list")
        outputs = self.sequential(top, None, False) if top.sequential else self.functional(top, None, False)
        self._set_outputs(outputs)
        if self.flattened:
            self.notes.append("nested models were flattened into their layers, which are now editable, and kept as "
                              "nested-model blocks: " + ", ".join(self.flattened))
        return self.graph

    # -- models --

    def functional(self, model: _Model, given: list[Tensor] | None, frozen: bool) -> list[Tensor]:
        frozen = frozen or not model.trainable
        by_key = {layer.key: layer for layer in model.layers}
        produced: dict[str, Any] = {}
        input_keys = [ref.layer for ref in model.inputs]
        for key in input_keys:
            layer = by_key.get(key)
            if layer is None or layer.class_name != "InputLayer":
                raise ImportRefused(f"model '{model.name}' lists {key!r} as an input, but it is not an Input layer "
                                    "of the model")
        if len(set(input_keys)) != len(input_keys):
            raise ImportRefused(f"model '{model.name}' lists the same input twice")
        if given is None:
            for key in input_keys:
                layer = by_key[key]
                node = self.graph.add_node("InputLayer", self.names[id(layer)], _config(layer, "InputLayer"))
                produced[key] = ("node", node.id)
        else:
            if len(given) != len(input_keys):
                raise ImportRefused(f"nested model '{model.name}' takes {len(input_keys)} input(s) but is called "
                                    f"with {len(given)}")
            for key, tensor in zip(input_keys, given, strict=True):
                produced[key] = ("tensor", tensor)
        for layer in _call_order(model, by_key):
            if layer.class_name == "InputLayer":
                if layer.key not in produced:
                    raise ImportRefused(f"{layer.where} is an Input that is not among the model's inputs")
                continue
            if layer.call is None:
                raise ImportRefused(f"{layer.where} is never called, so it is not connected to the model")
            if layer.op:
                produced[layer.key] = ("op", layer)
                continue
            if layer.model is not None:
                tensors = [self._resolve(ref, produced, by_key, layer) for ref in _refs(layer.call.args)]
                self._check_kwargs(layer, produced, by_key, allow_tensors=False)
                produced[layer.key] = ("tensors", self._nested(layer, tensors, frozen))
                continue
            produced[layer.key] = ("node", self._add(layer, produced, by_key, frozen))
            if layer.more_calls:
                self._shared_calls(layer, produced, by_key, frozen)
        return [self._resolve(ref, produced, by_key, None) for ref in model.outputs]

    def _shared_calls(self, layer: _Layer, produced: dict[str, Any], by_key: dict[str, _Layer], frozen: bool) -> None:
        """A shared layer's later calls: one node each, sharing the first node's layer (same config and weights)."""
        spec = self._spec(layer)
        if spec.is_operation or spec.is_application:
            raise ImportRefused(f"{layer.where} is called several times; Layerforge shares only layers")
        first = produced[layer.key][1]
        nodes = [first]
        for number, call in enumerate(layer.more_calls, start=1):
            name = _free(f"{self.names[id(layer)]}_call_{number}", self.taken)
            self.taken.add(name)
            again = _Layer(layer.key, layer.name, layer.class_name, layer.config,
                           f"{layer.where} (call {number + 1})", call, module=layer.module)
            self.calls.append(again)  # keeps id(again) unique while names refer to it
            self.names[id(again)] = name
            produced[layer.key] = ("calls", nodes)
            node_id = self._add(again, produced, by_key, frozen)
            self.graph.set_shared(node_id, first)
            nodes.append(node_id)
        produced[layer.key] = ("calls", nodes)

    def sequential(self, model: _Model, given: Tensor | None, frozen: bool) -> list[Tensor]:
        frozen = frozen or not model.trainable
        layers = list(model.layers)
        first = layers[0] if layers and layers[0].class_name == "InputLayer" else None
        if first is not None:
            layers = layers[1:]
        if given is None:
            given = (self._sequential_input(model, first, layers), 0)
        current = given
        for layer in layers:
            if layer.op or (layer.class_name == "InputLayer" and layer.model is None):
                raise ImportRefused(f"{layer.where} cannot sit in the middle of a Sequential model")
            if layer.model is not None:
                outputs = self._nested(layer, [current], frozen)
                if len(outputs) != 1:
                    raise ImportRefused(f"{layer.where} has {len(outputs)} outputs; inside a Sequential model it "
                                        "needs exactly one")
                current = outputs[0]
                continue
            spec = self._spec(layer)
            if sum(not p.optional for p in spec.ports) != 1 or spec.ports[0].variadic:
                raise ImportRefused(f"{layer.where} takes several inputs, so it cannot sit in a Sequential model")
            current = (self._node(layer, [(current, spec.ports[0].name, 0)], frozen), 0)
        return [current]

    def _sequential_input(self, model: _Model, first: _Layer | None, layers: list[_Layer]) -> str:
        if first is not None:
            return self.graph.add_node("InputLayer", self.names[id(first)], _config(first, "InputLayer")).id
        shape = model.input_shape
        dtype: Any = "float32"
        if layers and not shape and isinstance(layers[0].config.get("batch_input_shape"), list):
            shape = layers[0].config["batch_input_shape"]
            dtype = layers[0].config.get("dtype", dtype)
        if not shape:
            raise ImportRefused(f"the Sequential model '{model.name}' was saved before it was built, so its input "
                                "shape is unknown; build it (model.build(input_shape) or call it once) and save again")
        name = _free("input_layer", self.taken)
        self.taken.add(name)
        config = normalize_config("InputLayer", {"batch_shape": shape,
                                                 "dtype": dtype if isinstance(dtype, str) else "float32"})
        return self.graph.add_node("InputLayer", name, config).id

    def _nested(self, layer: _Layer, tensors: list[Tensor], frozen: bool) -> list[Tensor]:
        model = layer.model
        assert model is not None
        self.flattened.append(f"'{model.name}' ({sum(1 for _ in _node_layers(model))} layers)")
        start = len(self.graph)
        if model.sequential:
            if len(tensors) != 1:
                raise ImportRefused(f"{layer.where} is a Sequential model called with {len(tensors)} inputs")
            outputs = self.sequential(model, tensors[0], frozen)
        else:
            outputs = self.functional(model, tensors, frozen)
        self.nested_calls.append(NestedCall(model.name, model.trainable,
                                            training_argument(layer.call.kwargs if layer.call else None),
                                            tuple(self.graph.node_order()[start:]), _input_names(model),
                                            tuple(tensors), model.sequential, tuple(outputs)))
        return outputs

    # -- layers --

    def _spec(self, layer: _Layer) -> LayerSpec:
        spec = get_spec(layer.class_name)
        if spec is None:  # _Parser refused these already; kept as a guard
            raise ImportRefused(f"{layer.where} {_unsupported(layer.class_name)}")
        return spec

    def _node(self, layer: _Layer, inputs: Sequence[tuple[Tensor, str, int]], frozen: bool,
              shapes: Sequence[Any] | None = None) -> str:
        config = _config(layer, layer.class_name, shapes)
        if frozen:
            config["trainable"] = False
        node = self.graph.add_node(layer.class_name, self.names[id(layer)], config)
        for (source, port_index), port, slot in inputs:
            self.graph.connect(source, node.id, port, slot, port_index, check=False)
        return node.id

    def _add(self, layer: _Layer, produced: dict[str, Any], by_key: dict[str, _Layer], frozen: bool) -> str:
        spec = self._spec(layer)
        assert layer.call is not None
        if spec.is_operation:
            return self._add_operation(layer, spec, produced, by_key, frozen)
        args = layer.call.args
        constants = [c for c in _constants(args) if c is not None]
        if constants:
            raise ImportRefused(f"{layer.where} is called with the constant {constants[0]!r}; Layerforge graphs "
                                "connect layers to tensors only")
        if spec.call_style == "recurrent":
            return self._add_recurrent(layer, spec, produced, by_key, frozen)
        keyword = self._check_kwargs(layer, produced, by_key, allow_tensors=spec.call_style == "kwargs")
        flat = list(_refs(args))
        ports = [p.name for p in spec.ports]
        bound: list[tuple[_Ref, str, int]] = []
        style = spec.call_style
        if style == "single":
            if len(flat) != 1:
                raise ImportRefused(f"{layer.where} is called with {len(flat)} tensors; it takes one")
            bound.append((flat[0], ports[0], 0))
        elif style == "list" and spec.variadic:
            bound.extend((ref, ports[0], slot) for slot, ref in enumerate(flat))
        else:
            if len(flat) > len(ports):
                raise ImportRefused(f"{layer.where} is called with {len(flat)} tensors; it takes at most {len(ports)}")
            bound.extend((ref, port, 0) for ref, port in zip(flat, ports, strict=False))
            used = {port for _, port, _ in bound}
            for key, ref in keyword.items():
                if key not in ports:
                    raise ImportRefused(f"{layer.where} gets a tensor for '{key}', which is not one of its inputs "
                                        f"({', '.join(ports)})")
                if key in used:
                    raise ImportRefused(f"{layer.where} gets two tensors for '{key}'")
                used.add(key)
                bound.append((ref, key, 0))
            rank = {p: i for i, p in enumerate(ports)}
            bound.sort(key=lambda b: rank[b[1]])
        inputs = [(self._resolve(ref, produced, by_key, layer), port, slot) for ref, port, slot in bound]
        shapes = [ref.shape for ref, _, _ in bound]
        return self._node(layer, inputs, frozen, shapes if all(s is not None for s in shapes) else None)

    def _add_recurrent(self, layer: _Layer, spec: LayerSpec, produced: dict[str, Any], by_key: dict[str, _Layer],
                       frozen: bool) -> str:
        """``lstm(x, mask=m, initial_state=[h, c])``: an explicit mask and the initial states go to the
        node's ``mask`` and ``initial_h``/``initial_c`` ports (Keras' own masks are left to Keras)."""
        assert layer.call is not None
        flat = list(_refs(layer.call.args))
        if len(flat) != 1:
            raise ImportRefused(f"{layer.where} is called with {len(flat)} tensors; it takes one sequence")
        bound: list[tuple[_Ref, str, int]] = [(flat[0], "input", 0)]
        kwargs = dict(layer.call.kwargs)
        mask = kwargs.pop("mask", None)
        states = kwargs.pop("initial_state", None)
        if isinstance(mask, _Ref) and not self._derived_mask(mask, by_key):
            bound.append((mask, "mask", 0))
        elif mask is not None and not isinstance(mask, _Ref):
            raise ImportRefused(f"{layer.where} is called with mask={_short_value(mask)}; Layerforge takes one "
                                "mask tensor (batch, timesteps)")
        if states is not None:
            refs = states if isinstance(states, list) else [states]
            ports = STATE_PORTS.get(spec.class_name, ())
            if not ports:
                raise ImportRefused(f"{layer.where} is called with initial states; Layerforge connects initial states "
                                    "to SimpleRNN, LSTM and GRU")
            if len(refs) != len(ports) or not all(isinstance(r, _Ref) for r in refs):
                raise ImportRefused(f"{layer.where} is called with initial_state={_short_value(states)}; a "
                                    f"{spec.class_name} takes {len(ports)} state tensor(s) ({', '.join(ports)})")
            bound += [(ref, port, 0) for ref, port in zip(refs, ports, strict=True)]
        rest = _Layer(layer.key, layer.name, layer.class_name, layer.config, layer.where,
                      _Call(layer.call.args, kwargs))
        self._check_kwargs(rest, produced, by_key, allow_tensors=False)
        inputs = [(self._resolve(ref, produced, by_key, layer), port, slot) for ref, port, slot in bound]
        shape = flat[0].shape
        return self._node(layer, inputs, frozen, [shape] if shape is not None else None)

    def _add_operation(self, layer: _Layer, spec: LayerSpec, produced: dict[str, Any], by_key: dict[str, _Layer],
                       frozen: bool) -> str:
        """A Keras operation: tensors go to its ports, a number operand becomes the ``constant``
        parameter (``constant_first`` when it comes first, as in ``2 - x``); anything else is refused."""
        assert layer.call is not None
        what = f"{layer.where} (the Keras operation {spec.class_name.removeprefix(OPERATION_PREFIX)})"
        self._check_kwargs(layer, produced, by_key, allow_tensors=False)
        args = layer.call.args
        ports = [p.name for p in spec.ports]
        bound: list[tuple[_Ref, str, int]] = []
        extra: dict[str, Any] = {}
        if spec.variadic:
            if len(args) != 1 or not isinstance(args[0], list) or not all(isinstance(a, _Ref) for a in args[0]):
                raise ImportRefused(f"{what} is called with {_short_value(args)}; it takes one list of tensors")
            bound = [(ref, ports[0], slot) for slot, ref in enumerate(args[0])]
        else:
            if len(args) != len(ports) or not all(isinstance(a, _Ref) or _is_number(a) for a in args):
                raise ImportRefused(f"{what} is called with {_short_value(args)}; it takes {len(ports)} operand(s), "
                                    "tensors or numbers")
            numbers = [a for a in args if not isinstance(a, _Ref)]
            if numbers and (spec.param("constant") is None or len(numbers) > 1):
                raise ImportRefused(f"{what} has the number operand {numbers[0]!r}; Layerforge keeps a number only "
                                    "as one operand of add, subtract, multiply or divide")
            if numbers:
                extra = {"constant": numbers[0], "constant_first": not isinstance(args[0], _Ref)}
            refs = [a for a in args if isinstance(a, _Ref)]
            bound = [(ref, port, 0) for ref, port in zip(refs, ports, strict=False)]
        config = {k: v for k, v in layer.config.items() if k != "name"}
        unknown = sorted(set(config) - spec.param_names)
        if unknown:
            raise ImportRefused(f"{what} has the argument {unknown[0]!r}, which Layerforge does not know")
        config.update(extra)
        missing = [p.name for p in spec.params if p.required and p.name not in config]
        if missing:
            raise ImportRefused(f"{what} has no {missing[0]!r}, which Keras needs")
        for param in spec.params:
            problem = param.validate(config.get(param.name, param.default))
            if problem:
                raise ImportRefused(f"{what}: {problem}")
        node = self.graph.add_node(spec.class_name, self.names[id(layer)], config)
        for ref, port, slot in bound:
            source, port_index = self._resolve(ref, produced, by_key, layer)
            self.graph.connect(source, node.id, port, slot, port_index, check=False)
        return node.id

    def _check_kwargs(self, layer: _Layer, produced: dict[str, Any], by_key: dict[str, _Layer],
                      allow_tensors: bool) -> dict[str, _Ref]:
        """Tensor keyword arguments by name. Keras records ``training`` and automatic masks in
        every call (the model's own call overrides them), so those are dropped; any other
        argument that changes the call is refused, as a graph cannot hold it."""
        assert layer.call is not None
        tensors: dict[str, _Ref] = {}
        for key, value in layer.call.kwargs.items():
            refs = list(_refs(value))
            if key == "mask":
                for ref in refs:
                    self._check_mask(layer, ref, by_key)
                continue
            if key == "training" and not refs:
                continue
            if refs:
                if not allow_tensors or not isinstance(value, _Ref):
                    raise ImportRefused(f"{layer.where} is called with a tensor for '{key}', which Layerforge cannot "
                                        "represent")
                tensors[key] = value
            elif value is not None and value is not False:
                raise ImportRefused(f"{layer.where} is called with {key}={value!r}, which a Layerforge graph cannot "
                                    "represent (it keeps layers and connections only)")
        return tensors

    def _check_mask(self, layer: _Layer, ref: _Ref, by_key: dict[str, _Layer]) -> None:
        """Masks Keras computed itself (Embedding(mask_zero=True) -> keras.ops) come back by
        themselves when the model is compiled; an explicit mask cannot be represented."""
        if self._derived_mask(ref, by_key):
            return
        raise ImportRefused(f"{layer.where} is called with an explicit mask computed by '{ref.layer}'; Layerforge "
                            "keeps only the masks Keras derives itself (Embedding with mask_zero=True)")

    def _derived_mask(self, ref: _Ref, by_key: dict[str, _Layer]) -> bool:
        source = by_key.get(ref.layer)
        return source is not None and source.op and self.embedding_masks and _only_masks(source, by_key)

    def _resolve(self, ref: _Ref, produced: dict[str, Any], by_key: dict[str, _Layer], reader: _Layer | None) -> Tensor:
        entry = produced.get(ref.layer)
        who = reader.where if reader is not None else "the model's outputs"
        if entry is None and ref.layer in by_key:  # only a shared layer's call reading itself gets here
            raise ImportRefused(f"{who} reads call {ref.node + 1} of the shared layer {ref.layer!r} before it is made")
        if entry is None:
            raise ImportRefused(f"{who} reads from {ref.layer!r}, which is not a layer of the model")
        kind, value = entry
        if kind == "op":
            supported = ", ".join(sorted(c for _, c in OPERATION_CLASSES))
            raise ImportRefused(f"{value.where} is the Keras operation {value.class_name} (module "
                                f"{by_key[ref.layer].module!r}), which Layerforge does not support; the operations "
                                f"it imports are {supported} from keras.src.ops.numpy")
        if kind == "node":
            return (value, ref.tensor)
        if kind == "calls":
            if ref.node >= len(value):
                raise ImportRefused(f"{who} reads call {ref.node + 1} of the shared layer {ref.layer!r} before it is "
                                    "made (a call that feeds another call of the same layer)")
            return (value[ref.node], ref.tensor)
        if kind == "tensor":
            return value
        if ref.tensor >= len(value):
            raise ImportRefused(f"{who} reads output {ref.tensor} of nested model {ref.layer!r}, which has "
                                f"{len(value)}")
        return value[ref.tensor]

    def _set_outputs(self, outputs: list[Tensor]) -> None:
        """The model's outputs in order; outputs other than a node's first (an encoder's states) by port."""
        ports: dict[str, list[int]] = {}
        wanted: list[tuple[str, int]] = []
        for node_id, port in outputs:
            node = self.graph.node(node_id)
            if node.class_name == "InputLayer":
                self.notes.append(f"the model returns its input '{node.name}' as an output; a Layerforge model's "
                                  "outputs are layers, so it is not kept as one")
            elif port in ports.get(node_id, []):
                self.notes.append(f"the model returns '{node.name}' twice; it is kept once")
            else:
                ports.setdefault(node_id, []).append(port)
                wanted.append((node_id, port))
        self.graph.output_order = list(ports)
        self.graph.output_ports = {nid: p for nid, p in ports.items() if p != [0]}
        got = [(node.id, port) for node, port in self.graph.output_refs() if node.id in ports]
        if got != wanted:
            self.notes.append("the model's outputs are kept grouped by layer: "
                              + ", ".join(f"'{self.graph.node(n).name}' output {p}" for n, p in got))


def _config(layer: _Layer, class_name: str, shapes: Sequence[Any] | None = None) -> dict[str, Any]:
    """The node config; a value Keras cannot do without must be in the file (we would
    otherwise show our default, e.g. 32 units, as if the model had it)."""
    config = normalize_config(class_name, layer.config, shapes)
    spec = get_spec(class_name)
    required = ["batch_shape"] if class_name == "InputLayer" else [
        p.name for p in (spec.params if spec else ()) if p.required]
    missing = [key for key in required if key not in config]
    if missing:
        listed = ", ".join(repr(key) for key in missing)
        raise ImportRefused(f"{layer.where} has no {listed}, which Keras needs to build a {class_name}")
    return config


def _only_masks(op: _Layer, by_key: dict[str, _Layer]) -> bool:
    """Whether the op's result is used only as a mask (never as a layer's real input)."""
    for layer in by_key.values():
        if layer.call is None or layer is op:
            continue
        if any(ref.layer == op.key for ref in _refs(layer.call.args)) and not layer.op:
            return False
        for key, value in layer.call.kwargs.items():
            if key != "mask" and any(ref.layer == op.key for ref in _refs(value)):
                return False
    return True


def _node_layers(model: _Model) -> Iterator[_Layer]:
    for layer in model.layers:
        if layer.model is not None:
            yield from _node_layers(layer.model)
        elif not layer.op and layer.class_name != "InputLayer":
            yield layer


def _call_order(model: _Model, by_key: dict[str, _Layer]) -> list[_Layer]:
    """Layers so that every layer comes after those it reads; file order where free (Keras
    writes layers in call order already, and the editor lists nodes in insertion order)."""
    index = {layer.key: i for i, layer in enumerate(model.layers)}
    needs: dict[str, set[str]] = {}
    for layer in model.layers:
        deps: set[str] = set()
        for call in ([layer.call] if layer.call is not None else []) + layer.more_calls:
            for ref in (*_refs(call.args), *_refs(call.kwargs)):
                if ref.layer not in by_key:
                    raise ImportRefused(f"{layer.where} reads from {ref.layer!r}, which is not a layer of the model")
                deps.add(ref.layer)
        deps.discard(layer.key)  # a shared layer's call reading an earlier call: made in call order
        needs[layer.key] = deps
    users: dict[str, list[str]] = {key: [] for key in needs}
    for key, deps in needs.items():
        for dep in deps:
            users[dep].append(key)
    waiting = {key: len(deps) for key, deps in needs.items()}
    ready = [index[key] for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[_Layer] = []
    while ready:
        layer = model.layers[heapq.heappop(ready)]
        order.append(layer)
        for user in users[layer.key]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, index[user])
    if len(order) != len(model.layers):
        stuck = [layer.name for layer in model.layers if waiting[layer.key] > 0]
        shared = [layer.name for layer in model.layers if waiting[layer.key] > 0 and layer.more_calls]
        if shared:
            raise ImportRefused(f"the shared layer {shared[0]!r} of model '{model.name}' is called again on what "
                                "its own earlier call fed to other layers; Layerforge keeps shared layers whose "
                                "calls read the model's other layers only")
        raise ImportRefused(f"the layers {', '.join(repr(n) for n in stuck[:5])} of model '{model.name}' form a loop")
    return order


# --- Public entry points ------------------------------------------------------------------------

def _model_entry(config: dict[str, Any]) -> dict[str, Any]:
    """Accept both ``model.to_json()`` (class_name + config) and ``model.get_config()`` (bare)."""
    if "class_name" in config:
        return config
    if "layers" in config and ("input_layers" in config or "output_layers" in config):
        return {"class_name": "Functional", "config": config}
    if "layers" in config:
        return {"class_name": "Sequential", "config": config}
    raise ImportRefused("this is not a Keras model config (no class_name and no layers)")


def import_config(config: Mapping[str, Any], source: str | None = None) -> tuple[Project, list[str]]:
    """Import a Keras model config (``model.get_config()``, ``json.loads(model.to_json())`` or
    a .keras file's config.json) as a project, plus human-readable notes.

    Raises :class:`ImportRefused` with a message naming the layer for anything refused.
    """
    if not isinstance(config, Mapping):
        raise ImportRefused("the model config must be a JSON object")
    try:
        data = _plain(config)
        entry = _model_entry(data)
        parser = _Parser()
        top = parser.model(entry)
        notes: list[str] = []
        names, taken = _assign_names(top, notes)
        builder = _Builder(names, taken, notes, parser.embedding_masks)
        graph = builder.build(top)
        compile_config = entry.get("compile_config")
        if isinstance(compile_config, dict) and compile_config:
            notes.append("the file's training settings (optimizer, loss, metrics) are not imported; set them in "
                         "the project's training settings")
    except ImportRefused:
        raise
    except RecursionError:
        raise ImportRefused("the model config nests too deeply") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        raise ImportRefused(f"the model config is malformed ({type(err).__name__}: {err})") from None
    blocks = import_hierarchy(graph, builder.nested_calls)
    apply_view_layout(graph, blocks)  # the folded view: a collapsed block's layers are laid out when it opens
    origin = f" in {source}" if source else ""
    project = Project(graph=graph, name=top.name,
                      description=f"Imported from the Keras model '{top.name}'{origin}.", blocks=blocks)
    return project, notes


__all__ = ["ImportRefused", "import_config", "import_keras", "read_keras_archive"]
