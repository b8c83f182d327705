"""Valid lines of every format, taken from the parser tests themselves, so
the fuzz suite mutates the very lines each parser is specified by and grows
with them: every string in a parser's test module (its constants and the
literals in its tests) that the parser reads as an event on its own (after
the module's header row, for formats that need one) is a seed."""

import ast
import functools
import importlib
import inspect

from incidents.parsers import PARSERS, ParsedEvent, Parser

# The header row a format's seed lines are read after, by test module
# attribute: these formats read rows through the columns a header names.
HEADERS = {"generic_csv": "HEADER", "paloalto": "EXPORT_HEADER"}


def spec_module(parser: Parser):
    return importlib.import_module(f"tests.incidents.parsers.test_{parser.name}")


def context(parser: Parser):
    """A fresh ParseContext as the parser's own tests make it (zone, received)."""
    return spec_module(parser).ctx()


def header(parser: Parser) -> list[str]:
    name = HEADERS.get(parser.name)
    return [getattr(spec_module(parser), name)] if name else []


def _strings(module) -> list[str]:
    found = [v for v in vars(module).values() if isinstance(v, str)]
    tree = ast.parse(inspect.getsource(module))
    found += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    lines = []
    for text in found:
        lines += [line for line in text.splitlines() if len(line) >= 20]
    return list(dict.fromkeys(lines))  # ordered and without repeats


@functools.cache
def valid_lines(name: str) -> tuple[str, ...]:
    parser = next(p for p in PARSERS if p.name == name)
    module, head = spec_module(parser), header(parser)
    seeds = []
    for line in _strings(module):
        if line in head:
            continue
        results = list(parser.parse([*head, line], module.ctx()))
        if len(results) == len(head) + 1 and type(results[-1]) is ParsedEvent:
            seeds.append(line)
    return tuple(seeds)
