"""Write a synthetic vault of N notes in the style of notes/ResNet.md, for tests and benchmarks.

    python tools/gen_vault.py N DIR [--seed S]

The same N and seed always give the same files. Each note (2-4 KB) has
frontmatter with aliases, tags and a year; inline tags; links in every form kb
reads (plain, labelled, to a heading, to a block, to an alias, to a folder
path, markdown links, embeds of images that exist, dangling links); a fact
table; a lineage table mixing wikilinks and plain names; a Related list with
predecessor/successor roles; a code block and inline code holding text that
looks like links and tags but is not. Every 37th note shares its name with
another note in a different folder, so duplicate names are exercised.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from urllib.parse import quote

PREFIXES = ("Deep", "Res", "Dense", "Mobile", "Efficient", "Squeeze", "Shuffle", "Incep", "Wide",
            "Conv", "Trans", "Atten", "Graph", "Capsule", "Highway", "Fractal", "Pyramid", "Spatial",
            "Dilated", "Gated", "Sparse", "Recur", "Hyper", "Meta")
SUFFIXES = ("Net", "Former", "Block", "Mixer", "GAN", "Flow", "Nets", "ViT")
FOLDERS = ("", "cnn", "cnn/classic", "transformers", "generative", "archive/2019", "people")
INNOVATIONS = ("Deep CNNs work", "Deeper, simpler", "Inception modules", "Skip connections",
               "Attention only", "Dense connectivity", "Depthwise convolutions", "Channel shuffle",
               "Squeeze-and-excitation", "Neural architecture search")
WORDS = ("the network", "residual", "gradient", "layers", "training", "benchmark", "accuracy",
         "convolution", "attention", "depth", "width", "parameters", "ImageNet", "error rate",
         "optimisation", "normalisation", "features", "receptive field", "regularisation", "scaling")
FIGURE_EVERY = 20       # one image file per this many notes
DUPLICATE_EVERY = 37    # every this-many-th note reuses the previous note's name


def note_name(index: int) -> str:
    if index % DUPLICATE_EVERY == 5:
        index -= 1
    prefix = PREFIXES[index % len(PREFIXES)]
    suffix = SUFFIXES[(index // len(PREFIXES)) % len(SUFFIXES)]
    return f"{prefix}{suffix}-{index}"


def note_folder(index: int) -> str:
    if index % DUPLICATE_EVERY == 5:  # a different folder from its twin's
        return FOLDERS[(index + 3) % len(FOLDERS)]
    return FOLDERS[index % len(FOLDERS)]


def note_year(index: int, count: int) -> int:
    return 1990 + index * 35 // max(count, 1)


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 14))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def render_note(index: int, count: int, rng: random.Random) -> str:
    name = note_name(index)
    year = note_year(index, count)

    def other(lo: int, hi: int) -> int:
        return min(max(rng.randint(index + lo, index + hi), 0), count - 1)

    before = sorted({other(-40, -1) for _ in range(3)} - {index})
    after = sorted({other(1, 40) for _ in range(2)} - {index})
    friend, cousin, far = other(-200, 200), other(-50, 50), rng.randrange(count)
    alias = alias_of(index)
    tags = ["architecture", f"area/{FOLDERS[index % len(FOLDERS)].split('/')[0] or 'general'}"]
    lines = [
        "---",
        f"aliases: [{alias}, {name.upper()}]",
        "tags:",
        *[f"  - {tag}" for tag in tags],
        f"year: {year}",
    ]
    if before:
        lines.append(f'predecessors: ["[[{note_name(before[-1])}]]"]')
    lines += ["---", "#concept #ai #architecture", ""]
    lines.append(
        f"**{name}** — a {year} architecture. It builds on [[{note_name(friend)}]] and "
        f"[[{note_name(cousin)}|its cousin]], see [[{note_name(far)}#Key facts]] and "
        f"[[{alias_of(cousin)}]]. {_paragraph(rng, 2)}")
    lines.append("")
    lines += ["## Key facts", "", "| Metric | Value |", "|--------|-------|",
              f'| Paper | "{name}: a study" ({year}) |',
              f"| Authors | [[Author {index % 97}]] et al. |",
              f"| Depth | {rng.randint(5, 200)} layers |",
              f"| Parameters | {rng.randint(1, 900)}M |",
              f"| Top-5 error | {rng.uniform(2, 30):.1f}% |",
              f"| Year | {year} |", ""]
    lines += ["## How it works", "", _paragraph(rng, 4), "",
              f"Compare with [{note_name(friend)}]({quote(note_name(friend))}.md) and "
              f"[[{note_folder(cousin) + '/' if note_folder(cousin) else ''}{note_name(cousin)}]]. "
              f"The block is `[[not a link]]` in code. ^block-{index}", ""]
    lines += ["```python", f"x = np.array([[{index}, 17]])  # [[Fake {index}]] #not-a-tag",
              "df[['column']]", "```", ""]
    if index % FIGURE_EVERY == 0:
        lines += [f"![[fig-{index // FIGURE_EVERY}.png|300]]", ""]
    lines += ["## Lineage position", "", "| Year | Architecture | Layers | Innovation |",
              "|------|--------------|--------|------------|"]
    for position, neighbour in enumerate([*before, index, *after]):
        label = f"**{note_name(neighbour)}**" if neighbour == index else (
            f"[[{note_name(neighbour)}]]" if position % 2 == 0 else note_name(neighbour))
        lines.append(f"| {note_year(neighbour, count)} | {label} | {rng.randint(5, 200)} | "
                     f"{INNOVATIONS[neighbour % len(INNOVATIONS)]} |")
    lines += ["", "## Discussion", "", _paragraph(rng, 5), "", _paragraph(rng, 3),
              f"Tagged #topic/{index % 11} and #year{year}.", ""]
    lines += ["## Related", ""]
    lines += [f"- [[{note_name(n)}]] — predecessor ({note_year(n, count)})" for n in before[-1:]]
    lines += [f"- [[{note_name(n)}]] — successor ({note_year(n, count)})" for n in after[:1]]
    lines += [f"- [[Missing topic {index % 53}]] — background",
              f"- [[{note_name(friend)}#^block-{friend}]] — quoted", ""]
    lines += ["## Sources", "", f'- "{name}: a study", Proceedings {year}, Table {index % 9 + 1}.',
              "", f"*Created {2000 + index % 26}-01-27*", ""]
    return "\n".join(lines)


def alias_of(index: int) -> str:
    return f"{PREFIXES[index % len(PREFIXES)]} {SUFFIXES[(index // len(PREFIXES)) % len(SUFFIXES)]} {index}"


def generate(count: int, root: Path, seed: int = 0) -> None:
    """Write `count` notes (and their figure files) under `root`."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "attachments").mkdir(exist_ok=True)
    for index in range(count):
        folder = note_folder(index)
        path = root / folder / f"{note_name(index)}.md"
        path.write_text(render_note(index, count, rng), encoding="utf-8")
    for figure in range((count + FIGURE_EVERY - 1) // FIGURE_EVERY):
        # A PNG signature is enough: kb lists files, it never decodes them.
        (root / "attachments" / f"fig-{figure}.png").write_bytes(b"\x89PNG\r\n\x1a\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, metavar="N", help="number of notes")
    parser.add_argument("directory", type=Path, metavar="DIR", help="folder to write (created)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("N must be at least 1")
    generate(args.count, args.directory, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
