"""Parse one Obsidian-style note into a `ParsedNote`.

The stages, one module each: `frontmatter` (YAML block), `scan` (block
structure: code, headings, tables, and the lines that carry inline text, with
code spans blanked out), then per line of text `links`, `tags` and `fields`;
`anchors` gives headings the ids MkDocs will give them; `assemble` runs them
and builds the `ParsedNote`. Every item carries its 1-based line in the file,
frontmatter lines included. Those modules are compiled with mypyc where kb is
installed with a C compiler (see setup.py and `kb.native`), so their
annotations are checked as they run: they must say what the values are.

Only lines that can hold something are looked at twice: a line with none of
`[ # :: ^` is skipped after the block scan. Nothing here raises on bad
input: broken YAML, bad bytes or a link split by a table's `|` become
diagnostics on the note.
"""

from kb.parse.anchors import find_heading, heading_matches
from kb.parse.assemble import parse_note, read_note
from kb.parse.note import Cell, Field, Heading, Link, ParsedNote, Table, Tag

__all__ = [
    "Cell", "Field", "Heading", "Link", "ParsedNote", "Table", "Tag",
    "find_heading", "heading_matches", "parse_note", "read_note",
]
