"""``layerforge check FILE [--flat] [--json]``: load, validate and summarise a project (or a
``.keras`` model, imported first).

A project with blocks (groups, nested models) is listed by its top-level hierarchy: one
row per block with its layer count, parameters and output shapes (``--flat``: every layer).
``--json`` has every layer and the blocks. A nested model Keras could not build is a problem.
When the training settings name a recipe other than supervised (autoencoder, VAE, GAN), the
report says which sub-graph plays which role, or why the graph does not fit it (naming the node),
as the Training panel does: a graph that does not fit is a problem.

Exit codes: 0 valid, 1 invalid (problems listed), 2 the file could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.commands.common import KERAS_INPUTS
from app.core.blocks import KIND_TITLES, BlockProblem, BlockTree, block_ports, block_totals, top_level, validate_blocks
from app.core.graph import Graph
from app.core.insight import format_bytes, format_flops, format_macs, model_costs
from app.core.nested_plan import problem_layer
from app.core.project import Project, ProjectError, load_project
from app.core.recipes import RecipeError, plan_recipe
from app.core.shapes import Analysis, analyze, describe_shapes
from app.core.summary import summary_rows
from app.core.terminal_text import terminal_safe
from app.core.training_settings import RECIPES, keys_of, label_of, with_defaults

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a Layerforge project (.json) or a Keras model (.keras), imported first")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--flat", action="store_true", help="list every layer instead of the top-level blocks")


def run(args: argparse.Namespace) -> int:
    try:
        project = _load(args.file)
    except ProjectError as err:
        if args.json:
            print(json.dumps({"valid": False, "error": str(err)}, indent=2))
        else:
            print(f"error: {terminal_safe(err, keep_newlines=True)}", file=sys.stderr)
        return EXIT_UNREADABLE
    return _report(project, args)


def _load(path: str) -> Project:
    """A project, or a Keras model imported as ``layerforge import`` would (a refusal is a ProjectError)."""
    if Path(path).suffix.lower() not in KERAS_INPUTS:
        return load_project(path)
    from app.keras_bridge.importer import ImportRefused, import_keras

    try:
        return import_keras(path)[0]
    except (ImportRefused, OSError) as err:
        raise ProjectError(str(err) if path in str(err) else f"{path}: {err}") from None


def _report(project: Project, args: argparse.Namespace) -> int:
    analysis = analyze(project.graph)
    block_problems = validate_blocks(project.graph, project.blocks)
    recipe = recipe_report(project, analysis)
    if args.json:
        print(json.dumps(check_report(project, analysis, recipe), indent=2))
    else:
        print_report(project, analysis, flat=getattr(args, "flat", False), recipe=recipe)
    fits = recipe is None or recipe["fits"] is not False
    return EXIT_VALID if analysis.valid and not block_problems and fits else EXIT_INVALID


def recipe_report(project: Project, analysis: Analysis) -> dict[str, Any] | None:
    """How the graph fits the project's training recipe (None: supervised, nothing to fit).

    ``fits`` is True (``roles`` names each part: its Input, outputs and layers), False
    (``problem`` says why and ``node`` where), or None while the model itself has errors
    (its shapes, which the roles are found from, are not known yet).
    """
    recipe = with_defaults(project.training)["recipe"]
    if recipe == "supervised":
        return None
    report: dict[str, Any] = {"recipe": recipe, "fits": None, "description": "", "roles": {}, "latent_size": None,
                              "problem": None, "node": None}
    if not isinstance(recipe, str) or recipe not in keys_of(RECIPES):
        report.update(fits=False, problem=f"unknown recipe {recipe!r}; choose one of {', '.join(keys_of(RECIPES))}")
        return report
    if not analysis.valid:
        report["description"] = "fix the model's problems first; then its sub-graphs' roles can be found"
        return report
    try:
        plan = plan_recipe(project.graph, project.training, analysis)
    except RecipeError as err:
        report.update(fits=False, problem=str(err), node=err.node or None)
        return report
    if plan is None:
        return None
    names = {node.id: node.name for node in project.graph.nodes()}
    report.update(fits=True, description=plan.describe(), latent_size=plan.latent_dim or None, roles={
        role: {"input": part.input_name, "outputs": list(part.output_names),
               "layers": sorted((names[nid] for nid in part.node_ids), key=str)}
        for role, part in plan.parts.items()})
    return report


def blocks_report(project: Project, analysis: Analysis) -> dict[str, Any]:
    """The blocks (parents first) with their totals, and the top-level items by name."""
    graph, tree = project.graph, project.blocks
    blocks = []
    for block in tree.blocks():
        totals = block_totals(graph, tree, block.id, analysis)
        blocks.append({
            **block.to_dict(),
            "members": [graph.node(nid).name for nid in block.members if nid in graph],
            "layers": totals.layers,
            "params": totals.params,
            "trainable_params": totals.trainable,
            "non_trainable_params": totals.non_trainable,
            "flops": totals.flops,
            "input_shapes": [list(s) if s is not None else None for s in totals.input_shapes],
            "output_shapes": [list(s) if s is not None else None for s in totals.output_shapes],
        })
    top = [{"kind": item.kind, "name": tree.block(item.id).name if item.kind == "block" else graph.node(item.id).name}
           for item in top_level(graph, tree)]
    problems = [{"block": tree.block(p.block_id).name, "layer": _layer_name(graph, tree, p), "message": p.message}
                for p in validate_blocks(graph, tree)]
    return {"blocks": blocks, "top_level": top, "block_problems": problems}


def _layer_name(graph: Graph, tree: BlockTree, problem: BlockProblem) -> str | None:
    """The layer a block problem shows at, as the Problems panel places it."""
    node_id = problem_layer(graph, tree, problem)
    return graph.node(node_id).name if node_id is not None else None


def check_report(project: Project, analysis: Analysis, recipe: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document ``check --json`` prints (``recipe``: :func:`recipe_report`, when not supervised)."""
    nodes = []
    costs = model_costs(project.graph, analysis)
    for row in summary_rows(project.graph, analysis):
        cost = costs.per_node.get(row.node_id)
        nodes.append({
            "name": row.name,
            "class_name": row.class_name,
            "output_shapes": [list(s) for s in row.output_shapes] if row.output_shapes is not None else None,
            "params": row.params,
            "trainable_params": row.trainable,
            "non_trainable_params": row.non_trainable,
            "inputs": row.inputs,
            "flops": cost.flops if cost else None,
            "macs": cost.macs if cost else None,
            "activation_bytes": cost.activation_bytes if cost else None,
        })
    report = {
        "valid": analysis.valid,
        "name": project.name,
        "nodes": nodes,
        "total_params": analysis.total_params,
        "trainable_params": analysis.trainable,
        "non_trainable_params": analysis.non_trainable,
        "total_flops": costs.total_flops,
        "total_macs": costs.total_macs,
        "total_activation_bytes": costs.total_activation_bytes,
        "costs_complete": costs.complete,
        "problems": [p.to_dict() for p in analysis.problems],
        **blocks_report(project, analysis),
    }
    if recipe is not None:
        report["recipe"] = recipe
    fits = recipe is None or recipe["fits"] is not False
    report["valid"] = analysis.valid and not report["block_problems"] and fits
    return report


def print_report(project: Project, analysis: Analysis, flat: bool = False,
                 recipe: dict[str, Any] | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    def safe(text: object) -> str:
        """User text (names come from any file) with terminal controls escaped, then rich markup."""
        return escape(terminal_safe(text))

    # emoji=False: a layer named 'a:fire:' is printed as written, not as a picture.
    console = Console(width=None if sys.stdout.isatty() else 120, highlight=False, emoji=False)
    table = Table(title=safe(f'Model "{project.name}"'), title_justify="left", show_lines=False)
    table.add_column("Layer (type)")
    table.add_column("Output shape")
    table.add_column("Param #", justify="right")
    table.add_column("FLOPs", justify="right")
    table.add_column("Memory", justify="right")
    table.add_column("Connected to")
    costs = model_costs(project.graph, analysis)
    failing = {p.node for p in analysis.errors}  # once: per row it was rows x problems (20,000 x 20,000)
    graph, tree = project.graph, project.blocks
    shown = None if flat or not tree else {item.id for item in top_level(graph, tree)}
    for row in summary_rows(project.graph, analysis):
        if shown is not None and row.node_id not in shown:
            block = tree.block_path(row.node_id)[0]
            if block.id in shown:
                shown.discard(block.id)  # the block's row goes where its first layer would be
                table.add_row(*_block_row(project, analysis, block.id, failing, safe))
            continue
        cost = costs.per_node.get(row.node_id)
        info = analysis.nodes.get(row.node_id)
        shape = describe_shapes(info) if info else "?"
        mark = " [red]✗[/]" if row.node_id in failing else ""
        inputs = row.inputs if shown is None else _top_names(project, [e.source for e in graph.ordered_in_edges(
            row.node_id)])
        table.add_row(safe(f"{row.name} ({row.title})") + mark, shape, f"{row.params:,}" if row.known else "?",
                      format_flops(cost.flops) if cost else "?", format_bytes(cost.activation_bytes) if cost else "?",
                      safe(", ".join(inputs)) or "-")
    console.print(table)
    if shown is not None:
        console.print(f" {len(top_level(graph, tree))} top-level items, {len(tree)} blocks (--flat lists every layer)")
    console.print(f" Total params: {analysis.total_params:,}")
    console.print(f" Trainable params: {analysis.trainable:,}")
    console.print(f" Non-trainable params: {analysis.non_trainable:,}")
    bound = "" if costs.complete else "at least "
    console.print(f" Compute per sample: {bound}{format_flops(costs.total_flops)} ({format_macs(costs.total_macs)})")
    console.print(f" Activation memory per sample: {bound}{format_bytes(costs.total_activation_bytes)}")
    errors = analysis.errors
    warnings = [p for p in analysis.problems if p.severity == "warning"]
    block_problems = validate_blocks(graph, tree)
    for problem in block_problems:
        layer = _layer_name(graph, tree, problem)
        console.print(f"[red]error[/]: {safe(problem.message)}" + (safe(f" (layer '{layer}')") if layer else ""))
    for title, items, colour in (("error", errors, "red"), ("warning", warnings, "yellow")):
        for p in items:
            where = []
            if p.node_name:
                where.append(f"layer '{p.node_name}'")
            if p.port:
                where.append(f"port '{p.port}'")
            if p.param:
                where.append(f"parameter '{p.param}'")
            location = safe(f" ({', '.join(where)})") if where else ""
            console.print(f"[{colour}]{title}[/]: {safe(p.message)}{location}")
            if p.fix:
                console.print(f"  fix: {safe(p.fix.description)}")
    misfit = recipe is not None and recipe["fits"] is False
    if recipe is not None:
        title = f"recipe {label_of(RECIPES, str(recipe['recipe']))}"
        if misfit:
            where = safe(f" (layer '{recipe['node']}')") if recipe["node"] else ""
            console.print(f"[red]error[/]: {safe(title)}: {safe(recipe['problem'])}{where}")
        else:
            console.print(f" recipe: {safe(recipe['description'])}")
    if analysis.valid and not block_problems and not misfit:
        console.print("[green]✓ valid[/]" + (f" ({len(warnings)} warning(s))" if warnings else ""))
    else:
        console.print(f"[red]✗ {len(errors) + len(block_problems) + int(misfit)} problem(s)[/]")


def _top_names(project: Project, node_ids: list[str]) -> list[str]:
    """What the top-level table calls each of these layers: its own name, or its top block's."""
    tree = project.blocks
    names = [(path[0].name if (path := tree.block_path(nid)) else project.graph.node(nid).name) for nid in node_ids]
    return list(dict.fromkeys(names))


def _block_row(project: Project, analysis: Analysis, block_id: str, failing: set[str | None],
               safe: Any) -> tuple[str, ...]:
    """One block as a row: name, kind and layer count; its output shapes, totals and inputs."""
    graph, tree = project.graph, project.blocks
    block = tree.block(block_id)
    totals = block_totals(graph, tree, block_id, analysis)
    inside = tree.nodes_in(block_id)
    mark = " [red]✗[/]" if failing & set(inside) else ""
    shapes = ", ".join(str(s) if s is not None else "?" for s in totals.output_shapes) or "-"
    sources = _top_names(project, [source for source, _port in block_ports(graph, tree, block_id).input_tensors])
    label = f"{block.name} ({KIND_TITLES.get(block.kind, block.kind)}, {totals.layers} layers)"
    return ("[bold]" + safe(label) + "[/]" + mark, shapes, f"{totals.params:,}", format_flops(totals.flops),
            "", safe(", ".join(sources)) or "-")
