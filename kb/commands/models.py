"""`kb models`: the reference models and their measurements; `kb models ID --layers`: one model, layer by layer."""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import asdict

from kb.commands._common import print_json
from kb.errors import KbError

ORDER = 80


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "models", help="list the reference models with their measured parameters, depth and multiply-adds",
        description=("List the reference models (measured once, then read from the cache), or show one. "
                     "Depth counts conv and fc layers on the longest input-output path (the Transformer: "
                     "encoder and decoder layers); MACs are multiply-accumulates for one input at the "
                     "paper's size, FLOPs = 2 x MACs."),
    )
    parser.add_argument("model", nargs="?", metavar="ID", help="a model id or name (\"resnet50\", \"ResNet-50\")")
    parser.add_argument("--layers", action="store_true",
                        help="with ID: a per-layer table (output shape, parameters, multiply-adds) with totals")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: table); JSON is a list of models, or one object with ID")
    parser.add_argument("--no-cache", action="store_true", help="measure afresh instead of reading the cache")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kb import measure
    from kb.models import MODELS

    if args.layers and not args.model:
        raise KbError("--layers needs a model ID, e.g. `kb models resnet50 --layers`")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = measure.resolve_id(args.model) if args.model else None
        if args.layers:
            table = measure.layer_table(spec.id)
            _print_layers(table, args.format)
        else:
            ids = [spec.id] if spec else None
            found = measure.load_measurements(ids, use_cache=not args.no_cache, on_measure=_progress)
            rows = [_model_record(MODELS[model_id], found[model_id]) for model_id in found]
            if spec is not None and spec.id not in found:
                raise KbError(f"model {spec.id!r} could not be measured")
            if args.format == "json":
                print_json(rows[0] if spec else rows)
            elif spec:
                _print_model(rows[0])
            else:
                _print_table(rows)
    for warning in caught:
        print(f"kb models: warning: {warning.message}", file=sys.stderr)
    return 0


def _progress(spec) -> None:
    if sys.stderr.isatty():
        print(f"measuring {spec.id} ...", file=sys.stderr, flush=True)


def _model_record(spec, measurement) -> dict:
    paper = asdict(spec.paper)
    paper["where"] = spec.where
    return {
        "id": spec.id, "name": spec.name, "family": spec.family, "aliases": list(spec.aliases),
        "params": measurement.params, "depth": measurement.depth, "depth_unit": measurement.depth_unit,
        "depth_detail": measurement.depth_detail, "macs": measurement.macs, "flops": measurement.flops,
        "input_shape": list(measurement.input_shape), "output_shape": list(measurement.output_shape),
        "paper": paper, "notes": list(measurement.notes),
    }


def _giga(value: int) -> str:
    return f"{value / 1e9:.2f} G" if value >= 1e8 else f"{value / 1e6:.1f} M"


def _print_table(rows: list[dict]) -> None:
    from kb.measure import depth_breakdown, format_shape

    header = ("id", "name", "params", "depth", "MACs", "input", "output", "paper")
    lines = [header]
    for row in rows:
        depth = str(row["depth"]) if row["depth_unit"] == "weight layers" else \
            depth_breakdown(row["depth_unit"], row["depth_detail"])
        lines.append((row["id"], row["name"], f"{row['params']:,}", depth, _giga(row["macs"]),
                      format_shape(row["input_shape"][1:]), format_shape(row["output_shape"][1:]),
                      f"{row['paper']['key']}, {row['paper']['where']}"))
    _print_aligned(lines, right=(2, 3, 4))
    print("\ndepth: conv + fc layers on the longest path (Transformer: encoder + decoder layers); "
          "MACs: multiply-accumulates per input (FLOPs = 2 x MACs)")


def _print_model(row: dict) -> None:
    from kb.measure import Measurement, format_shape

    measurement = Measurement.from_dict(row)
    paper = row["paper"]
    print(f"{row['name']} ({row['id']}, family {row['family']})")
    if row["aliases"]:
        print(f"  aliases: {', '.join(row['aliases'])}")
    print(f"  paper:   {paper['authors']} ({paper['year']}). {paper['title']}. {paper['venue']}; {paper['where']}")
    print(f"  params:  {row['params']:,}")
    print(f"  depth:   {measurement.depth_text()}")
    print(f"  MACs:    {row['macs']:,} ({_giga(row['macs'])}); FLOPs = 2 x MACs = {row['flops']:,}")
    print(f"  input:   {format_shape(row['input_shape'])} -> output {format_shape(row['output_shape'])}")
    for note in row["notes"]:
        print(f"  note:    {note}")


def _print_layers(table, output_format: str) -> None:
    from kb.measure import format_shape

    if output_format == "json":
        print_json({"model": table.model, "params": table.params, "macs": table.macs,
                    "layers": [{**asdict(row), "output_shape": list(row.output_shape)} for row in table.rows]})
        return
    lines = [("layer", "type", "output shape", "params", "MACs")]
    for row in table.rows:
        lines.append((row.name or "(model)", row.type, format_shape(row.output_shape),
                      f"{row.params:,}" if row.params else "-", f"{row.macs:,}" if row.macs else "-"))
    lines.append(("total", "", "", f"{table.params:,}", f"{table.macs:,}"))
    _print_aligned(lines, right=(3, 4), rule_before_last=True)


def _print_aligned(lines: list[tuple[str, ...]], right: tuple[int, ...], rule_before_last: bool = False) -> None:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]

    def render(line):
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    print(render(lines[0]))
    print(rule)
    for index, line in enumerate(lines[1:], start=1):
        if rule_before_last and index == len(lines) - 1:
            print(rule)
        print(render(line))
