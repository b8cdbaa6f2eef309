"""The fast reader of plain frontmatter gives exactly what yaml.safe_load gives, or defers."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.parse.frontmatter import _scan_keys, _simple_yaml, closing_line

VAULT = Path(__file__).resolve().parent.parent / "notes"

_scalars = st.one_of(
    st.sampled_from(["ResNet", "Residual Network", "ResNet-50", "Résumé", "Nöte with 'quotes'", "A (film)", "a.b/c+d",
                     "x&y", "yes", "No", "ON", "off", "null", "Null", "~", "y", "n", "true", "FALSE", "0", "12", "012",
                     "1_000", "0x1F", "1.5", ".inf", "2015-12-10", "1:30", "-1", "+1", "a: b", "a #b", "a#b", "#c",
                     "-", "- a", "?", "!tag", "&anchor", "*alias", "%d", "@x", "`x`", "|", ">", "=", "<<", "²",
                     "a, b", "[[AlexNet]]", "", " ", "x ", "é", "٣", "\u00a0x", "\ufeffx"]),
    st.text(alphabet=st.sampled_from(list("aZé 1-_,.:#'\"[]{}()&*!|>%@`\\\t")), min_size=1, max_size=8),
)
_quoted = _scalars.flatmap(lambda s: st.sampled_from([s, f'"{s}"', f"'{s}'"]))
_values = st.one_of(
    _quoted.map(lambda v: " " + v),
    st.lists(_quoted, max_size=4).flatmap(lambda items: st.sampled_from([
        " [" + ", ".join(items) + "]", " [" + ",".join(items) + "]", " [" + ", ".join(items) + ",]",
        "\n" + "\n".join("  - " + i for i in items), "\n" + "\n".join("- " + i for i in items),
        "\n" + "\n".join(("  - " if k % 2 else "    - ") + i for k, i in enumerate(items))])),
    st.just(""), st.just(" # comment"), st.just("\n  nested: map"),
)
_keys = st.sampled_from(["aliases", "tags", "tag", "year", "up", "a-b", "_x", "on", "Yes", "k1", "aliases", "2x", "a b"])
_lines = st.one_of(st.tuples(_keys, _values).map(lambda kv: kv[0] + ":" + kv[1]),
                   st.sampled_from(["", "# a comment", "  # indented comment", "plain line", "- item", "key:value"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_lines, min_size=1, max_size=6))
def test_fast_reader_equals_yaml_or_defers(lines: list[str]) -> None:
    text = "\n".join(lines)
    source = text.split("\n")
    read = _simple_yaml(source, text)
    if read is None:
        return
    fast, key_lines = read
    expected = yaml.safe_load(text)
    assert fast == (expected if expected is not None else {})
    assert [type(v) for v in fast.values()] == [type(v) for v in (expected or {}).values()]
    # the key lines are the ones the fallback's key scan finds
    assert key_lines == _scan_keys(source)[0]


def test_fast_reader_takes_the_vault_frontmatter() -> None:
    read = 0
    for path in sorted(VAULT.rglob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        close = closing_line(lines)
        if close:
            source = lines[1:close]
            fast = _simple_yaml(source, "\n".join(source))
            if fast is not None:
                assert fast[0] == yaml.safe_load("\n".join(source))
                read += 1
    assert read >= 1


def test_fast_reader_defers_on_what_it_does_not_know() -> None:
    for text in ["a: yes", "a: 012", "a: 2015-12-10", "a: [a, [b]]", "a: |\n  block", "a: \"esc\\\"aped\"",
                 "a:\n  - x\n    - y", "a: b\na: c", "a: x # comment", "a:\tb", "a: &x 1", "? complex"]:
        assert _simple_yaml(text.split("\n"), text) is None, text
