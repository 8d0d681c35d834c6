"""One open project in the editor: the graph, its undo stack, and live validation.

Every user edit goes through :meth:`Document.edit` (or one of the helpers built on it):
the edit runs against the graph API, the states before and after become one
``QUndoCommand``, and undo/redo move between them with :func:`sync_graph`, again through
the graph API. Views never change items directly; they follow the graph's events
(DESIGN.md, rule 2). Validation reruns on the next event-loop turn after any change, so a
burst of events (a paste, a fix) costs one analysis.
"""

from __future__ import annotations

import contextlib
import copy
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core.blocks import BlockTree, duplicate_block
from app.core.catalog import get_spec
from app.core.catalog.spec import Fix
from app.core.clipboard import copy_nodes, paste_nodes
from app.core.fixes import apply_fix
from app.core.graph import Edge, Graph, Position
from app.core.graph_sync import GraphState, sync_graph
from app.core.layout import apply_layout
from app.core.nested_plan import nested_model_problems
from app.core.output_check import output_activation_problems
from app.core.placement import add_from_palette
from app.core.project import Project
from app.core.run_history import append_run
from app.core.shapes import Analysis, ShapeAnalyzer
from app.core.weights import ModelWeights, backbone_text, dropped_text, stale_layers


class ModelChangedError(Exception):
    """Loaded weights were refused: the model was edited (or its weights replaced) while they loaded."""


def _without_positions(graph: Graph) -> dict[str, Any]:
    """The graph as data, less where its cards sit (moving a card changes no weight)."""
    data = graph.snapshot()
    return {**data, "nodes": [{k: v for k, v in node.items() if k != "position"} for node in data["nodes"]]}


@dataclass(frozen=True)
class WeightsLoadSnapshot:
    """A private copy of what a weights load reads, and the graph revision it was taken at."""

    project: Project
    revision: int

    def still_fits(self, project: Project) -> bool:
        """Whether weights computed from this copy may still be applied to ``project``: its weights are
        the same and its graph is unchanged (an edit undone again, or a card moved, is no change)."""
        if project.weights is not self.project.weights:
            return False
        graph = project.graph
        return graph.revision == self.revision or _without_positions(graph) == _without_positions(self.project.graph)


def follow_document(old: Document | None, new: Document | None, slots: Mapping[str, Callable[..., Any]]) -> None:
    """Move a view's connections (document signal name -> slot) from one document to another.
    The old document may already be gone, which Qt reports as RuntimeError/TypeError."""
    if old is not None:
        for name, slot in slots.items():
            with contextlib.suppress(RuntimeError, TypeError):
                getattr(old, name).disconnect(slot)
    if new is not None:
        for name, slot in slots.items():
            getattr(new, name).connect(slot)


def _weak_document(document: Document) -> Document:
    """The document, for one of its own undo commands to hold: a weak proxy.

    The document's undo stack owns its commands (in C++), so a command that held the document
    itself would make a cycle through C++ that only the garbage collector can break, and PySide
    crashes collecting a Document whose stack holds two or more such commands (the GUI tests'
    leak check, tests/gui/conftest.py, found it). With a proxy the document is freed as soon as
    its last user lets go. A command runs only from its document's stack, so the document is alive.
    """
    return weakref.proxy(document)


class StateCommand(QUndoCommand):
    """An edit as two graph states; undo and redo sync the graph to one or the other.

    An edit that dropped weights (their layer's shapes changed) also holds the weights
    before and after, so undo brings the dropped arrays back (``document`` is then set)."""

    def __init__(self, graph: Graph, text: str, before: GraphState, after: GraphState,
                 document: Document | None = None, weights: tuple[ModelWeights, ModelWeights] | None = None,
                 blocks: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None) -> None:
        super().__init__(text)
        self._graph = graph
        self.before = before
        self.after = after
        self._document = weakref.proxy(document) if document is not None else None  # see _weak_document
        self.weights = weights
        self.blocks = blocks
        """(before, after) of the block tree when the edit changed it (a group, a deletion)."""

    def redo(self) -> None:
        sync_graph(self._graph, self.after)
        if self._document is not None and self.blocks is not None:
            self._document._restore_blocks(self.blocks[1])
        if self._document is not None and self.weights is not None:
            self._document._swap_weights(self.weights[0], self.weights[1])

    def undo(self) -> None:
        sync_graph(self._graph, self.before)
        if self._document is not None and self.blocks is not None:
            self._document._restore_blocks(self.blocks[0])
        if self._document is not None and self.weights is not None:
            self._document._swap_weights(self.weights[1], self.weights[0])


class WeightsCommand(QUndoCommand):
    """Replacing the model's weights (Reset to Initial Weights, Load Weights) as one undo step."""

    def __init__(self, document: Document, text: str, before: ModelWeights, after: ModelWeights) -> None:
        super().__init__(text)
        self._document = _weak_document(document)
        self.before = before
        self.after = after

    def redo(self) -> None:
        self._document._set_weights(self.after, "")

    def undo(self) -> None:
        self._document._set_weights(self.before, "")


class ProjectFieldsCommand(QUndoCommand):
    """An edit of the project's training settings and/or dataset reference, as two values each.

    ``before``/``after`` map a project attribute (``"training"``, ``"dataset"``) to a deep
    copy of its value, so later edits to the live dicts cannot reach the undo history.
    """

    def __init__(self, document: Document, text: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        super().__init__(text)
        self._document = _weak_document(document)
        self.before = before
        self.after = after

    def redo(self) -> None:
        self._document._assign_fields(self.after)

    def undo(self) -> None:
        self._document._assign_fields(self.before)


class RemoveRunCommand(QUndoCommand):
    """Deleting a run from the history; undo puts it back where it was."""

    def __init__(self, document: Document, record: dict[str, Any], index: int) -> None:
        super().__init__(f"Delete run {record.get('id', '')}".rstrip())
        self._document = _weak_document(document)
        self.record = record
        self.index = index

    def redo(self) -> None:
        runs = self._document.project.runs
        self._document._set_runs([run for run in runs if run is not self.record])

    def undo(self) -> None:
        runs = list(self._document.project.runs)
        runs.insert(min(self.index, len(runs)), self.record)
        self._document._set_runs(runs)


NEW_LAYER_SETTINGS: dict[str, dict[str, Any]] = {
    class_name: {"activation": "relu"}
    for class_name in ("Dense", "Conv1D", "Conv2D", "Conv2DTranspose", "SeparableConv2D")
}
"""What a layer added in the editor starts with, where Keras' own default surprises a student:
a hidden Dense or Conv2D is almost always ReLU, while Keras' default is linear (no activation).
Only new layers get these; files keep Keras' config, with Keras' defaults for every other key."""


def new_layer_config(class_name: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The editor's starting settings for ``class_name``, with ``config`` on top."""
    return {**copy.deepcopy(NEW_LAYER_SETTINGS.get(class_name, {})), **dict(config or {})}


def block_library_folder() -> Path:
    """The personal block library (``<user data>/blocks``; under ``LAYERFORGE_HOME`` in tests):
    where Save Block to Library writes and what the palette's "My Blocks" lists."""
    from app.gui.recent import data_dir

    return data_dir() / "blocks"


def _setting_label(key: str) -> str:
    return key.replace("_", " ")


class Document(QObject):
    """A project being edited. Emits ``analysis_changed`` after every validation pass."""

    analysis_changed = Signal(object)
    dirty_changed = Signal(bool)
    path_changed = Signal(object)
    locked_changed = Signal(bool)
    settings_changed = Signal()
    """The training settings or the dataset reference changed (an edit, an undo or a redo)."""
    runs_changed = Signal()
    """The run history (``project.runs``) changed."""
    blocks_changed = Signal()
    """The block tree (``project.blocks``: groups, nested models, collapsed flags) changed."""
    weights_changed = Signal(str)
    """The model's weights changed; the text says what happened ("Weights dropped for out
    (...)"), empty when there is nothing to announce."""

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project or Project()
        self.example: Path | None = None
        """The example file this document is an untitled copy of (the Lesson dock says so)."""
        self.undo_stack = QUndoStack(self)
        self.analyzer = ShapeAnalyzer()
        self.analysis: Analysis = self._analyze()
        self._locked = False
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.revalidate)
        self.graph.changed.connect(self._pending.start)
        self.settings_changed.connect(self._pending.start)  # the loss decides what an output must give
        self.blocks_changed.connect(self._pending.start)  # a nested model that cannot be built is a problem
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.open_notes: list[str] = []
        """What reading the weights beside the project said (a missing or foreign sidecar)."""
        self.dropped: dict[str, str] = {}
        """Node id -> why its weights were dropped by the last edit that dropped some (the
        Inspector says so for that layer; Undo brings them back)."""
        self._saved_weights: tuple[Path, str, ModelWeights] | None = None
        """(sidecar, token, weights) of the last save, so unchanged weights are not written again."""

    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    # --- state -------------------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        return self.project.graph

    @property
    def path(self) -> Path | None:
        return self.project.path

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def locked(self) -> bool:
        """True while training runs: edits are refused until it ends."""
        return self._locked

    def set_locked(self, locked: bool) -> None:
        if locked != self._locked:
            self._locked = locked
            self.locked_changed.emit(locked)

    def revalidate(self) -> Analysis:
        """Validate now (normally triggered automatically after each change)."""
        self._pending.stop()
        self.analysis = self._analyze()
        self.analysis_changed.emit(self.analysis)
        return self.analysis

    def _analyze(self) -> Analysis:
        """Shapes and parameters, then, once a dataset is chosen and the model has no errors,
        whether a classifier's output gives probabilities (that needs the training settings'
        loss, which the graph lacks; before a dataset the last layer is often still to come)."""
        analysis = self.analyzer.analyze(self.graph)
        # A nested model Keras could not build is an error placed on the layer where it shows,
        # so the Problems panel opens the collapsed block at it.
        analysis.problems[:] = nested_model_problems(self.graph, self.blocks, analysis.problems)
        if analysis.valid and self.project.dataset:
            analysis.problems.extend(output_activation_problems(self.graph, self.project.training, analysis))
        return analysis

    # --- editing: every edit is one undo step --------------------------------------------

    def edit(self, text: str, change: Callable[[Graph], Any]) -> Any:
        """Run ``change(graph)`` as one undoable step named ``text``; returns its result.

        If ``change`` raises, the graph is put back as it was and the error propagates.
        Nothing is pushed when the edit changed nothing.
        """
        if self._locked:
            raise PermissionError("the model is locked while training runs")
        before = self.graph.snapshot()
        blocks_before = self.blocks.snapshot()
        try:
            result = change(self.graph)
            self.blocks.prune(self.graph)  # deleted layers leave their blocks
        except Exception:
            sync_graph(self.graph, before)
            self._restore_blocks(blocks_before)
            raise
        after = self.graph.snapshot()
        blocks_after = self.blocks.snapshot()
        blocks_changed = blocks_after is not blocks_before
        if after != before or blocks_changed:
            weights = self._weights_after_edit()
            blocks = (blocks_before, blocks_after) if blocks_changed else None
            self.undo_stack.push(StateCommand(self.graph, text, before, after, self, weights, blocks))
            if blocks_changed:
                self.blocks_changed.emit()
        return result

    # --- blocks: groups and nested models (app.core.blocks), each one undo step ---------------

    @property
    def blocks(self) -> BlockTree:
        return self.project.blocks

    def _restore_blocks(self, state: list[dict[str, Any]]) -> None:
        if self.blocks.snapshot() != state:
            self.blocks.restore(state)
            self.blocks_changed.emit()

    def _block_edit(self, text: str, change: Callable[[BlockTree], Any]) -> Any:
        return self.edit(text, lambda _graph: change(self.blocks))

    def group_nodes(self, node_ids: Iterable[str], name: str = "block", kind: str = "group",
                    block_ids: Iterable[str] = ()) -> str:
        """Group a selection (Ctrl+G) into a new block; returns its id. Raises BlockError."""
        taken = [n.name for n in self.graph.nodes()]
        nodes, blocks = list(node_ids), list(block_ids)
        return self._block_edit(f"Group {name}", lambda tree: tree.group(
            nodes, tree.unique_name(name, taken), kind, blocks).id)

    def ungroup(self, block_id: str) -> list[str]:
        name = self.blocks.block(block_id).name
        return self._block_edit(f"Ungroup {name}", lambda tree: tree.ungroup(block_id))

    def rename_block(self, block_id: str, name: str) -> None:
        old = self.blocks.block(block_id).name
        if old != name:
            self._block_edit(f"Rename {old} → {name}", lambda tree: tree.rename(block_id, name))

    def set_block_kind(self, block_id: str, kind: str) -> None:
        """Group <-> nested model."""
        block = self.blocks.block(block_id)
        if block.kind != kind:
            label = "nested model" if kind == "nested_model" else "group"
            self._block_edit(f"Make {block.name} a {label}", lambda tree: tree.set_kind(block_id, kind))

    def set_block_trainable(self, block_id: str, trainable: bool) -> None:
        """Freeze or unfreeze a nested model: like Keras' ``model.trainable = False``, every
        layer inside follows, so parameter counts and training see it (one undo step)."""
        block = self.blocks.block(block_id)
        if block.trainable == trainable:
            return

        def change(graph: Graph) -> None:
            self.blocks.set_trainable(block_id, trainable)
            for nid in self.blocks.nodes_in(block_id):
                if nid in graph and "trainable" in graph.node(nid).config:
                    graph.set_param(nid, "trainable", trainable)

        self.edit(f"{'Unfreeze' if trainable else 'Freeze'} {block.name}", change)

    def set_collapsed(self, block_id: str, collapsed: bool) -> None:
        block = self.blocks.block(block_id)
        if block.collapsed != collapsed:
            self._block_edit(f"{'Collapse' if collapsed else 'Expand'} {block.name}",
                             lambda tree: tree.set_collapsed(block_id, collapsed))

    def duplicate_block(self, block_id: str, offset: Position = (60.0, 60.0)) -> str:
        """A copy of the block with fresh layer names beside it; returns the new block's id."""
        name = self.blocks.block(block_id).name
        return self.edit(f"Duplicate {name}", lambda g: duplicate_block(g, self.blocks, block_id, offset).id)

    def save_block_to_library(self, block_id: str, folder: Path | None = None) -> Path:
        """Keep a copy of the block in the personal block library (not an undo step)."""
        from app.core.block_library import save_block

        return save_block(self.graph, self.blocks, block_id, folder or block_library_folder())

    def insert_library_block(self, path: Path, position: Position = (0.0, 0.0)) -> str:
        """Drop a block from the library (fresh layer names), one undo step; returns its id."""
        from app.core.block_library import insert_block, read_block

        fragment = read_block(path)
        return self.edit(f"Insert {fragment.name}",
                         lambda g: insert_block(g, self.blocks, fragment, position).id)

    # --- weights -------------------------------------------------------------------------------

    @property
    def weights(self) -> ModelWeights:
        """The weights the model has (empty: initial); see :mod:`app.core.weights`."""
        return self.project.weights

    def _weights_after_edit(self) -> tuple[ModelWeights, ModelWeights] | None:
        """(before, after) when the edit just made leaves some kept weights not fitting; None otherwise."""
        weights = self.project.weights
        if not weights:
            return None
        stale = stale_layers(weights, self.graph, self.analyzer.analyze(self.graph))
        return (weights, weights.without(stale)) if stale else None

    def _swap_weights(self, expected: ModelWeights, new: ModelWeights) -> None:
        """Undo/redo of an edit that dropped weights. When the weights were replaced meanwhile (a
        run finished), the current ones stay and only what no longer fits the graph is dropped."""
        if self.project.weights is expected:
            gone = [nid for nid in expected.layers if nid not in new.layers]
            if gone:
                self.dropped = {nid: "its weight shapes changed" for nid in gone if nid in self.graph}
                self._set_weights(new, dropped_text(self.graph, [nid for nid in gone if nid in self.graph]))
            else:
                back = [nid for nid in new.layers if nid not in expected.layers and nid in self.graph]
                self.dropped = {}
                names = ", ".join(self.graph.node(nid).name for nid in back[:5])
                self._set_weights(new, f"Weights restored for {names}" if back else "")
            return
        stale = stale_layers(self.project.weights, self.graph, self.analyzer.analyze(self.graph))
        if stale:
            self.dropped = {nid: "its weight shapes changed" for nid in stale if nid in self.graph}
            self._set_weights(self.project.weights.without(stale),
                              dropped_text(self.graph, [nid for nid in stale if nid in self.graph]))

    def _set_weights(self, weights: ModelWeights, message: str) -> None:
        self.project.weights = weights
        self.weights_changed.emit(message)

    def adopt_weights(self, weights: ModelWeights, message: str = "") -> None:
        """The weights become the model's (a finished run's, a loaded file's). Not an undo step,
        like a run itself; marks the document unsaved."""
        self.dropped = {}
        self._set_weights(weights, message)
        self.undo_stack.resetClean()

    def adopt_trained_model(self, model: Any, record: Mapping[str, Any], number: int) -> ModelWeights:
        """After a run: its trained weights (from the Keras ``model``) become the document's,
        marked "trained in run N" from its ``record``. Called on the GUI thread after the run."""
        from app.core.weights import run_source
        from app.keras_bridge.weights_io import extract_weights

        weights = extract_weights(model, self.graph, run_source(dict(record), number))
        self.adopt_weights(weights, f"Weights: {weights.describe()}")
        return weights

    def reset_weights(self) -> bool:
        """Back to initial weights (the next run starts from the initializers), one undo step."""
        if self._locked:
            raise PermissionError("the weights are locked while training runs")
        if not self.project.weights:
            return False
        self.dropped = {}
        self.undo_stack.push(WeightsCommand(self, "Reset to initial weights", self.project.weights, ModelWeights()))
        return True

    def load_weights(self, path: str | Path) -> Any:
        """Load a whole-model weights file (``.weights.h5``, ``.keras``, legacy ``.h5``) into the model's
        weights, matched by layer name, as one undo step; returns the file's report (what matched,
        what did not and why). Raises WeightsError with a readable message, PermissionError while a
        run holds the weights. Builds the model with Keras, so it takes a moment: the editor runs
        :meth:`compute_loaded_weights` on another thread instead, then :meth:`apply_loaded_weights`."""
        if self._locked:
            raise PermissionError("the weights are locked while training runs")
        weights, report = self.compute_loaded_weights(self.project, path)
        self.apply_loaded_weights(weights, path)
        return report

    def weights_load_snapshot(self) -> WeightsLoadSnapshot:
        """What loading a weights file reads (graph, name, weights), as a private copy: the load runs
        on another thread while the user may go on editing. PermissionError while a run holds the weights."""
        if self._locked:
            raise PermissionError("the weights are locked while training runs")
        project = Project(graph=self.graph.copy(), name=self.project.name, path=self.project.path,
                          weights=self.project.weights)
        return WeightsLoadSnapshot(project, self.graph.revision)

    @staticmethod
    def compute_loaded_weights(project: Project, path: str | Path) -> tuple[ModelWeights, Any]:
        """The heavy part of a load (read the file, build the model, match layers), on any thread: it
        touches no Qt and no document, only ``project`` (a snapshot). Returns (new weights, report)."""
        from app.keras_bridge.weights_io import load_model_weights

        return load_model_weights(project, path)

    def apply_loaded_weights(self, weights: ModelWeights, path: str | Path,
                             snapshot: WeightsLoadSnapshot | None = None) -> None:
        """The loaded ``weights`` become the model's, one undo step (GUI thread). With the ``snapshot``
        they were computed from, ModelChangedError when the model was edited or its weights replaced
        since (they would no longer fit); PermissionError while a run holds the weights."""
        if self._locked:
            raise PermissionError("the weights are locked while training runs")
        if snapshot is not None and not snapshot.still_fits(self.project):
            raise ModelChangedError(f"the model changed while the weights from {Path(path).name} were loading, "
                                    "so they were not loaded: load them again to fit the model as it is now")
        self.dropped = {}
        self.undo_stack.push(WeightsCommand(self, f"Load weights from {Path(path).name}", self.project.weights,
                                            weights))

    def weights_text(self) -> str:
        """'Weights: trained in run 3 (06:12, 5 epochs, test accuracy 98.1 %)' for the status bar;
        a backbone whose weights come from its file when built adds '; backbone 'b' from FILE'."""
        weights = self.project.weights
        backbones = backbone_text(self.graph, self.analysis, weights)
        if not weights:
            return f"Weights: initial{backbones}"
        layers = len(weights.layers)
        with_params = sum(1 for info in self.analysis.nodes.values() if info.params > 0)
        part = f" — {layers} of {with_params} layers" if with_params and layers < with_params else ""
        return f"Weights: {weights.describe()}{part}{backbones}"

    def layer_weights_text(self, node_id: str) -> str:
        """The Inspector's line for one layer: kept, dropped by the last edit, or initial."""
        if node_id in self.project.weights.layers:
            return f"Weights: {self.project.weights.describe()}"
        if node_id in self.dropped:
            return f"Weights dropped: {self.dropped[node_id]} (Undo brings them back); starts from initial"
        return "Weights: initial"

    def add_node(self, class_name: str, position: Position = (0.0, 0.0),
                 config: Mapping[str, Any] | None = None, name: str | None = None) -> str:
        """Add a layer (a palette drop): it starts with :data:`NEW_LAYER_SETTINGS` under ``config``."""
        spec = get_spec(class_name)
        config = new_layer_config(class_name, config)
        return self.edit(f"Add {spec.title if spec else class_name}",
                         lambda g: g.add_node(class_name, name=name, config=config, position=position).id)

    def add_from_palette(self, class_name: str, after: str | None = None,
                         centre: Position = (0.0, 0.0)) -> tuple[str, bool]:
        """A palette double-click, one undo step: the new layer goes below ``after`` (the selected
        layer), fed by it when its output fits, or at the free spot nearest ``centre`` (see
        :func:`app.core.placement.add_from_palette`). Returns the id and whether it was connected."""
        spec = get_spec(class_name)
        if after is not None and after not in self.graph:
            after = None
        shape = None
        if after is not None:
            if self._pending.isActive():
                self.revalidate()  # the shape of the layer just edited must be current
            info = self.analysis.nodes.get(after)
            shape = info.output_shapes[0] if info is not None and info.output_shapes else None
        config = new_layer_config(class_name)
        return self.edit(f"Add {spec.title if spec else class_name}",
                         lambda g: add_from_palette(g, class_name, config, after=after, after_shape=shape,
                                                    centre=centre))

    def remove_nodes(self, node_ids: Iterable[str]) -> None:
        ids = [nid for nid in node_ids if nid in self.graph]
        if not ids:
            return
        label = self.graph.node(ids[0]).name if len(ids) == 1 else f"{len(ids)} layers"
        self.edit(f"Delete {label}", lambda g: [g.remove_node(nid) for nid in ids])

    def connect_nodes(self, source: str, target: str, port: str = "input", source_port: int = 0) -> Edge:
        """Raises GraphError (with a sentence saying why) when the connection is not allowed.
        ``source_port``: which output of ``source`` (a recurrent layer's states are 1 and 2)."""
        names = (self.graph.node(source).name, self.graph.node(target).name)
        return self.edit(f"Connect {names[0]} → {names[1]}",
                         lambda g: g.connect(source, target, port, source_port=source_port))

    def disconnect_edges(self, edges: Iterable[Edge]) -> None:
        edges = list(edges)
        if edges:
            self.edit("Disconnect", lambda g: [g.disconnect(e) for e in edges])

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        name = self.graph.node(node_id).name
        self.edit(f"Set {name}.{key}", lambda g: g.set_param(node_id, key, value))

    def rename(self, node_id: str, name: str) -> None:
        old = self.graph.node(node_id).name
        self.edit(f"Rename {old} → {name}", lambda g: g.rename(node_id, name))

    def move_nodes(self, positions: Mapping[str, Position]) -> None:
        """One step for a whole drag of several nodes."""
        moved = {nid: pos for nid, pos in positions.items() if nid in self.graph}
        if moved:
            self.edit("Move", lambda g: [g.move(nid, pos) for nid, pos in moved.items()])

    def apply_fix(self, fix: Fix) -> list[str]:
        return self.edit(fix.description, lambda g: apply_fix(g, fix.action))

    def paste(self, data: Mapping[str, Any], offset: Position = (40.0, 40.0)) -> list[str]:
        return self.edit("Paste", lambda g: paste_nodes(g, data, offset))

    def duplicate(self, node_ids: Iterable[str]) -> list[str]:
        data = copy_nodes(self.graph, node_ids)
        return self.edit("Duplicate", lambda g: paste_nodes(g, data))

    def call_again(self, node_id: str, gap: float = 240.0) -> str:
        """Call ``node_id``'s layer once more (the same weights) as a new node beside it, in one undo
        step; the first free place to its right. Raises GraphError for what cannot be shared (Inputs)."""
        node = self.graph.node(node_id)
        x, y = node.position
        taken = [other.position for other in self.graph.nodes()]
        while any(abs(ox - (x + gap)) < gap / 2 and abs(oy - y) < 60.0 for ox, oy in taken):
            x += gap
        return self.edit(f"Call {node.name} Again", lambda g: g.add_shared_call(node_id, (x + gap, y)).id)

    def copy(self, node_ids: Iterable[str]) -> dict[str, Any]:
        return copy_nodes(self.graph, node_ids)

    def auto_layout(self) -> None:
        self.edit("Auto layout", apply_layout)

    # --- training settings, dataset and run history ------------------------------------------

    def set_training(self, changes: Mapping[str, Any]) -> bool:
        """Change training settings (key -> value) as one undo step; False when nothing changed.

        Refused while training runs (PermissionError), like every model edit: the run in
        progress was started with the settings the user sees.
        """
        if self._locked:
            raise PermissionError("the training settings are locked while training runs")
        current = self.project.training
        changed = {key: copy.deepcopy(value) for key, value in changes.items()
                   if key not in current or current[key] != value or type(current[key]) is not type(value)}
        if not changed:
            return False
        after = {**copy.deepcopy(current), **changed}
        text = f"Set {_setting_label(next(iter(changed)))}" if len(changed) == 1 else "Change training settings"
        self.undo_stack.push(ProjectFieldsCommand(self, text, {"training": copy.deepcopy(current)},
                                                  {"training": after}))
        return True

    def set_dataset(self, ref: Mapping[str, Any] | None) -> bool:
        """Choose the dataset (a reference dict as app.data reads it, or None) as one undo step."""
        if self._locked:
            raise PermissionError("the dataset is locked while training runs")
        new = copy.deepcopy(dict(ref)) if ref is not None else None
        if new == self.project.dataset:
            return False
        name = (new or {}).get("path") or (new or {}).get("name")
        text = f"Set dataset {name}" if name else "Clear dataset"
        self.undo_stack.push(ProjectFieldsCommand(self, text, {"dataset": copy.deepcopy(self.project.dataset)},
                                                  {"dataset": new}))
        return True

    def _assign_fields(self, values: Mapping[str, Any]) -> None:
        for attribute, value in values.items():
            setattr(self.project, attribute, copy.deepcopy(value))
        self.settings_changed.emit()

    def add_run(self, record: Mapping[str, Any]) -> None:
        """Keep a finished run in the project (oldest trimmed past the limit); marks the document
        unsaved. Not an undo step: Ctrl+Z after a run undoes the last model edit, not the run."""
        self._set_runs(append_run(self.project.runs, dict(record)))
        self.undo_stack.resetClean()

    def remove_run(self, run_id: str) -> bool:
        """Delete a run from the history as one undo step; False when there is no such run."""
        for index, run in enumerate(self.project.runs):
            if run.get("id") == run_id:
                self.undo_stack.push(RemoveRunCommand(self, run, index))
                return True
        return False

    def _set_runs(self, runs: list[dict[str, Any]]) -> None:
        self.project.runs = runs
        self.runs_changed.emit()

    # --- files -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, parent: QObject | None = None) -> Document:
        """Raises ProjectError with a message naming what is wrong and where. The weights saved
        beside the project come with it; ``open_notes`` says what could not be used."""
        from app.keras_bridge.weights_io import open_project, sidecar_path

        project, notes = open_project(path)
        document = cls(project, parent)
        document.open_notes = notes
        if project.weights and project.weights_meta:
            document._saved_weights = (sidecar_path(path), str(project.weights_meta.get("token")), project.weights)
        return document

    def save(self, path: str | Path | None = None) -> Path:
        """Atomic save, weights beside the project (``NAME.weights.h5``, written first and only when
        they changed); marks the document clean. Raises ProjectError on failure."""
        from app.keras_bridge.weights_io import save_project_with_weights, sidecar_path

        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("the document has no file yet; pass a path")
        saved = self._saved_weights
        reuse = (saved[0], saved[1]) if saved is not None and saved[2] is self.project.weights else None
        token = save_project_with_weights(self.project, target, reuse=reuse)
        self._saved_weights = (sidecar_path(target), token, self.project.weights) if token else None
        self.undo_stack.setClean()
        self.path_changed.emit(self.path)
        return target

    def title(self) -> str:
        """Window title: file name (or project name) and an unsaved marker."""
        label = self.path.name if self.path else (self.project.name or "Untitled")
        return f"{label}{' *' if self.dirty else ''} — Layerforge"
