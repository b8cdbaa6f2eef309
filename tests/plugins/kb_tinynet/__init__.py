"""A third-party package registering its own architecture through the `kb.models` entry point group.

Only plain data here: kb reads it without importing torch; `model.py` has the network.
"""

from kb.models import FamilySpec, ModelSpec, Paper

PAPER = Paper(key="tiny2024", authors="Ada Example, Ben Example", title="A Tiny Network", year=2024,
              venue="Workshop on Small Models")

FAMILY = FamilySpec(id="tinynet", name="TinyNet", paper=PAPER, year=2024, aliases=("Tiny Net",))

MODEL = ModelSpec(id="tinynet", name="TinyNet-3", family="tinynet", builder="kb_tinynet.model:tinynet",
                  paper=PAPER, where="Table 1", input_shape=(1, 8, 8), aliases=("TinyNet 3",))


def models():
    """The entry point: a callable returning the family and its models."""
    return [FAMILY, MODEL]
