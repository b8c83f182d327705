"""Hypothesis strategies for bad input: arbitrary text lines and valid lines
mutated the ways real logs go wrong (cut short, bytes flipped, fields
swapped, numbers out of range, other scripts)."""

import re

from hypothesis import strategies as st

# One line as LineReader hands it over: no line end inside (it splits on
# \r, \n and \r\n), surrogates impossible (it decodes with replacement).
LINE_ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
any_line = st.text(LINE_ALPHABET, max_size=200)

# Characters that break naive parsing: separators, quotes, NUL, BOM,
# replacement character, other digits and scripts, wide and combining ones.
NASTY = [
    "\x00", "\t", " ", ",", ";", "=", '"', "'", "\\", "[", "]", "{", "}", "(", ")", ":", "/", ".", "-", "%",
    "\ufeff", "\ufffd", "\u00a0", "\u2028", "\x85", "\x1c", "\u0663", "\u00b2", "\u3007", "\u00e9",
    "\u03a9", "\u20ac", "\U0001f600", "\u0301",
]  # fmt: skip
nasty_char = st.one_of(st.sampled_from(NASTY), LINE_ALPHABET)
NUMBERS = [
    "-1", "65536", "99999", "4294967296", "9" * 30, "9" * 5000, "1e309", "0x1F", "00022", "\u0663\u0663",
    "\u00b2", "+5", "3.5", "NaN", "",
]  # fmt: skip
_NUMBER = re.compile(r"\d+")
_FIELD = re.compile(r"[^\s,;\t]+")


@st.composite
def mutated(draw, line: str) -> str:
    """``line`` with one to four mutations applied."""
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "swap", "number", "repeat"]))
        size = len(line)
        if kind == "truncate":
            line = line[: draw(st.integers(0, size))]
        elif kind == "flip" and size:
            at = draw(st.integers(0, size - 1))
            line = line[:at] + draw(nasty_char) + line[at + 1 :]
        elif kind == "insert":
            at = draw(st.integers(0, size))
            line = line[:at] + draw(st.text(nasty_char, min_size=1, max_size=20)) + line[at:]
        elif kind == "delete" and size:
            start = draw(st.integers(0, size - 1))
            line = line[:start] + line[start + draw(st.integers(1, 20)) :]
        elif kind == "swap":
            fields = list(_FIELD.finditer(line))
            if len(fields) >= 2:
                a, b = sorted(draw(st.lists(st.sampled_from(fields), min_size=2, max_size=2, unique_by=id)), key=_start)
                line = line[: a.start()] + b.group() + line[a.end() : b.start()] + a.group() + line[b.end() :]
        elif kind == "number":
            numbers = list(_NUMBER.finditer(line))
            if numbers:
                n = draw(st.sampled_from(numbers))
                line = line[: n.start()] + draw(st.sampled_from(NUMBERS)) + line[n.end() :]
        elif kind == "repeat" and size:
            start = draw(st.integers(0, size - 1))
            piece = line[start : start + draw(st.integers(1, 40))]
            line = line[:start] + piece * draw(st.integers(2, 50)) + line[start:]
    return line


def _start(match: re.Match) -> int:
    return match.start()


def bad_lines(seeds: tuple[str, ...]):
    """Lines for one format: arbitrary text, or one of its valid lines mutated."""
    if not seeds:
        return any_line
    return st.one_of(any_line, st.sampled_from(seeds).flatmap(mutated))
