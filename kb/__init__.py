"""kb: a fact-checked knowledge graph of neural-network architecture notes.

The pipeline, one module per stage:

    notes -> kb.parse -> kb.vault -> kb.resolve -> kb.graph / kb.lineage
          -> kb.claims -> kb.evidence (kb.models + kb.measure, kb/data) -> kb.verdicts
          -> outputs (kb.report for the CLI and JSON, kb.site for the static site)
"""

__version__ = "0.1.0"

# before anything imports kb.parse: it runs compiled only where built from these sources
from kb import native as _native

_native.use_current_parser()
