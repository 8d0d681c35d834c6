"""``layerforge check FILE [--json]``: load, validate and summarise a project.

Exit codes: 0 valid, 1 invalid (problems listed), 2 the file could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.core.insight import format_bytes, format_flops, format_macs, model_costs
from app.core.project import Project, ProjectError, load_project
from app.core.shapes import Analysis, analyze, describe_shapes
from app.core.summary import summary_rows
from app.core.terminal_text import terminal_safe

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a Layerforge project (.json)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        project = load_project(args.file)
    except ProjectError as err:
        if args.json:
            print(json.dumps({"valid": False, "error": str(err)}, indent=2))
        else:
            print(f"error: {terminal_safe(err, keep_newlines=True)}", file=sys.stderr)
        return EXIT_UNREADABLE
    analysis = analyze(project.graph)
    if args.json:
        print(json.dumps(check_report(project, analysis), indent=2))
    else:
        print_report(project, analysis)
    return EXIT_VALID if analysis.valid else EXIT_INVALID


def check_report(project: Project, analysis: Analysis) -> dict[str, Any]:
    """The JSON document ``check --json`` prints."""
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
    return {
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
    }


def print_report(project: Project, analysis: Analysis) -> None:
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
    for row in summary_rows(project.graph, analysis):
        cost = costs.per_node.get(row.node_id)
        info = analysis.nodes.get(row.node_id)
        shape = describe_shapes(info) if info else "?"
        mark = " [red]✗[/]" if row.node_id in failing else ""
        table.add_row(safe(f"{row.name} ({row.title})") + mark, shape, f"{row.params:,}" if row.known else "?",
                      format_flops(cost.flops) if cost else "?", format_bytes(cost.activation_bytes) if cost else "?",
                      safe(", ".join(row.inputs)) or "-")
    console.print(table)
    console.print(f" Total params: {analysis.total_params:,}")
    console.print(f" Trainable params: {analysis.trainable:,}")
    console.print(f" Non-trainable params: {analysis.non_trainable:,}")
    bound = "" if costs.complete else "at least "
    console.print(f" Compute per sample: {bound}{format_flops(costs.total_flops)} ({format_macs(costs.total_macs)})")
    console.print(f" Activation memory per sample: {bound}{format_bytes(costs.total_activation_bytes)}")
    errors = analysis.errors
    warnings = [p for p in analysis.problems if p.severity == "warning"]
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
    if analysis.valid:
        console.print("[green]✓ valid[/]" + (f" ({len(warnings)} warning(s))" if warnings else ""))
    else:
        console.print(f"[red]✗ {len(errors)} problem(s)[/]")
