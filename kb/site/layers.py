"""Per-layer tables of the reference models for their site pages, cached next to the measurements.

Tracing a model imports torch and takes seconds, so a table is kept in kb's
cache under the measurement's own cache key: it is recomputed exactly when the
measurement would be (model source, torch or kb changed), and a corrupt entry
is recomputed, never trusted.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from kb.atomic import write_text
from kb.cache import cache_dir

FORMAT = 1


def layer_rows(model_id: str) -> list[dict]:
    """The model's layer rows (name, type, output_shape, params, macs) as plain dicts."""
    from kb import measure
    from kb.models import MODELS

    spec = MODELS[model_id]
    key = measure.cache_key(spec)
    path = cache_dir("site") / f"layers-{model_id}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("format") == FORMAT and cached.get("key") == key and isinstance(cached.get("rows"), list):
            return cached["rows"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        pass
    rows = [asdict(row) for row in measure.layer_table(model_id).rows]
    write_text(path, json.dumps({"format": FORMAT, "key": key, "rows": rows}, separators=(",", ":")))
    return rows
