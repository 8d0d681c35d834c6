"""The personal block library: blocks saved once (a residual block, a transformer encoder
block) and dropped into any model many times.

Each entry is a small project file (:mod:`app.core.project` format, so it is validated by
the same checker and migrated the same way) holding only the block's layers, the wiring
between them and its block tree; the project's name is the block's name. The folder is
the caller's: the GUI keeps it under the user data folder (``<data>/blocks``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from app.core.blocks import Block, BlockError, BlockTree
from app.core.clipboard import CLIPBOARD_FORMAT, copy_nodes, paste_nodes
from app.core.graph import Graph, Position
from app.core.project import Project, ProjectError, load_project, save_project

SUFFIX = ".block.json"


@dataclass(frozen=True)
class LibraryBlock:
    """One library entry as read from its file."""

    path: Path
    name: str
    kind: str
    layers: int
    graph: Graph
    blocks: BlockTree

    @property
    def top(self) -> Block:
        return self.blocks.children(None)[0]


def _file_name(name: str) -> str:
    return (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "block") + SUFFIX


def fragment(graph: Graph, tree: BlockTree, block_id: str) -> Project:
    """The block as a stand-alone project: its layers (positions from its top-left corner),
    the edges between them and its blocks, with the block at the top level."""
    block = tree.block(block_id)
    inside = tree.nodes_in(block_id)
    part = Graph()
    data = copy_nodes(graph, inside)
    xs = [n["position"][0] for n in data["nodes"]] or [0.0]
    ys = [n["position"][1] for n in data["nodes"]] or [0.0]
    for node in data["nodes"]:
        x, y = node["position"]
        part.add_node(node["class_name"], node["name"], node["config"], (x - min(xs), y - min(ys)), node["id"])
    for edge in data["edges"]:
        part.connect(edge["source"], edge["target"], edge["target_port"], edge["slot"], edge["source_port"],
                     check=False)
    blocks = BlockTree()
    for bid in [block_id, *tree.descendants(block_id)]:
        b = tree.block(bid)
        blocks.add_block(Block(b.id, b.name, b.kind, None if bid == block_id else b.parent, list(b.members),
                               b.collapsed, b.trainable, b.training, list(b.input_names)))
    return Project(graph=part, name=block.name, description=f"{block.kind} block", blocks=blocks)


def save_block(graph: Graph, tree: BlockTree, block_id: str, folder: str | os.PathLike[str]) -> Path:
    """Write the block into the library folder (made if missing); a block with the same
    name is replaced. Returns the file. Raises ProjectError when it cannot be written."""
    project = fragment(graph, tree, block_id)
    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ProjectError(f"cannot make the block library folder: {err.strerror or err}", target) from None
    path = target / _file_name(project.name)
    save_project(project, path)
    return path


def read_block(path: str | os.PathLike[str]) -> LibraryBlock:
    """Read one entry; a file that is not a block (no single top block) is a ProjectError."""
    project = load_project(path)
    tops = project.blocks.children(None)
    if len(tops) != 1:
        raise ProjectError(f"a library block holds exactly one top-level block (this file has {len(tops)})", path)
    return LibraryBlock(Path(path), project.name, tops[0].kind, len(project.graph), project.graph, project.blocks)


def list_blocks(folder: str | os.PathLike[str]) -> tuple[list[LibraryBlock], list[str]]:
    """The library's blocks by name, and one line per file that could not be read."""
    entries: list[LibraryBlock] = []
    problems: list[str] = []
    base = Path(folder)
    if not base.is_dir():
        return entries, problems
    for path in sorted(base.glob(f"*{SUFFIX}")):
        try:
            entries.append(read_block(path))
        except ProjectError as err:
            problems.append(str(err))
    entries.sort(key=lambda e: e.name.lower())
    return entries, problems


def _inside(folder: Path, path: Path) -> Path:
    """``path`` when it is a file directly in the library folder; anything else (``..``, a
    link leading out, a sub-folder) is refused, so a crafted name never picks where we write."""
    base = folder.resolve()
    resolved = path.resolve()
    if resolved.parent != base or not resolved.name.endswith(SUFFIX):
        raise ProjectError("refused: this is not a file of the block library", path)
    return resolved


def _entry_path(folder: Path, name: str) -> Path:
    """The file of the entry ``name``: the library file of that file name (how the palette
    names an entry, so two files holding the same block name stay apart, and an unreadable
    file can be named at all), else the readable block called ``name``."""
    if name.endswith(SUFFIX) and Path(name).name == name:
        candidate = folder / name
        if candidate.is_file() or candidate.is_symlink():
            return _inside(folder, candidate)
    entries, _problems = list_blocks(folder)
    for entry in entries:
        if entry.name == name:
            return _inside(folder, entry.path)
    raise ProjectError(f"My Blocks has no block named {name!r}", folder)


def check_block_name(name: str) -> str:
    """The name without surrounding spaces; an empty name or one Keras refuses is a ProjectError
    (the error saving gives, so callers catch one type)."""
    clean = name.strip()
    if not clean:
        raise ProjectError("a block needs a name")
    if "/" in clean:
        raise ProjectError(f"Keras refuses '/' in a name ({clean!r}); use '_' instead")
    if any(ord(c) < 32 or ord(c) == 127 for c in clean):
        raise ProjectError(f"a block name cannot hold control characters ({clean!r})")
    return clean


def remove_block(folder: str | os.PathLike[str], name: str) -> Path:
    """Delete the entry ``name`` (a block's name, or its file's name) from the library; returns
    the removed file. Raises ProjectError when there is none or it cannot be deleted."""
    path = _entry_path(Path(folder), name)
    try:
        path.unlink()
    except OSError as err:
        raise ProjectError(f"cannot remove the block: {err.strerror or err}", path) from None
    return path


def rename_block(folder: str | os.PathLike[str], old: str, new: str) -> Path:
    """Give the saved block ``old`` (its name or its file's name) the name ``new``: in the file
    (project and top block) and in the file name (the rule :func:`save_block` uses). The new file is written atomically
    before the old one goes. Returns the new file. ProjectError for an empty or bad name, a
    taken name, a missing block or a file that cannot be read or written."""
    base = Path(folder)
    clean = check_block_name(new)
    path = _entry_path(base, old)
    project = load_project(path)
    tops = project.blocks.children(None)
    if len(tops) != 1:
        raise ProjectError(f"a library block holds exactly one top-level block (this file has {len(tops)})", path)
    if clean == project.name:
        return path
    entries, _problems = list_blocks(base)
    if any(entry.name == clean and entry.path.resolve() != path for entry in entries):
        raise ProjectError(f"My Blocks already has a block named {clean!r}", base)
    target = _inside(base, base / _file_name(clean))
    if target != path and target.exists():
        raise ProjectError(f"the file {target.name!r} already holds another block; choose another name", base)
    project.name = clean
    project.blocks.block(tops[0].id).name = clean
    save_project(project, target)
    if target != path:
        try:
            path.unlink()
        except OSError as err:
            raise ProjectError(f"renamed, but the old file cannot be removed: {err.strerror or err}", path) from None
    return target


def insert_block(graph: Graph, tree: BlockTree, entry: LibraryBlock, position: Position = (0.0, 0.0)) -> Block:
    """Add the entry's layers (fresh ids and names) at ``position`` and its blocks around
    them; returns the new top block. Its inputs are left open to wire."""
    data = {"format": CLIPBOARD_FORMAT, **entry.graph.to_dict()}
    new_ids = paste_nodes(graph, data, position)
    if len(new_ids) != len(data["nodes"]):
        raise BlockError(f"the library block {entry.name!r} holds layers this Layerforge cannot add")
    id_map = {old["id"]: new for old, new in zip(data["nodes"], new_ids, strict=True)}
    block_map: dict[str, str] = {}
    taken = {n.name for n in graph.nodes()}
    top: Block | None = None
    for old in (entry.blocks.block(d["id"]) for d in entry.blocks.to_list()):  # parents first
        new_id = tree.new_id()
        block_map[old.id] = new_id
        parent = block_map[old.parent] if old.parent is not None else None
        name = tree.unique_name(old.name, taken) if old.parent is None else old.name
        made = tree.add_block(Block(new_id, name, old.kind, parent, [id_map[m] for m in old.members],
                                    old.collapsed, old.trainable, old.training, list(old.input_names)))
        top = top or made
    assert top is not None  # read_block made sure there is one
    return top


__all__ = ["SUFFIX", "LibraryBlock", "check_block_name", "fragment", "insert_block", "list_blocks", "read_block",
           "remove_block", "rename_block", "save_block"]
