"""Swift source read with tree-sitter-swift: syntax errors, imports, string literals, and the JSON keys
of ``Decodable`` structs, so that the iOS code is checked on a machine without a Swift compiler."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import tree_sitter_swift
from tree_sitter import Language, Node, Parser


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_swift.language()))


def parse(source: bytes) -> Node:
    return _parser().parse(source).root_node


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def syntax_errors(source: bytes) -> list[str]:
    """One ``line:column: ...`` line per ERROR or MISSING node (empty for a file that parses)."""
    problems = []
    for node in _walk(parse(source)):
        if node.is_error or node.is_missing:
            line, column = node.start_point
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            problems.append(f"{line + 1}:{column + 1}: {what} near {source[node.start_byte : node.end_byte][:40]!r}")
    return problems


def imports(source: bytes) -> set[str]:
    """Modules named by ``import`` declarations."""
    return {node.text.decode().split()[-1] for node in _walk(parse(source)) if node.type == "import_declaration"}


def string_literals(source: bytes) -> set[str]:
    """The text of every single-line string literal without interpolation."""
    literals = set()
    for node in _walk(parse(source)):
        if node.type == "line_string_literal":
            parts = [child for child in node.named_children]
            if all(part.type == "line_str_text" for part in parts):
                literals.add("".join(part.text.decode() for part in parts))
    return literals


@dataclass(frozen=True)
class JSONField:
    """A stored property of a Decodable struct: its JSON key, innermost type, array depth and optionality."""

    property: str
    key: str
    type_name: str
    array_depth: int
    optional: bool


def _type_of(annotation: Node) -> tuple[str, int, bool]:
    node = annotation.named_children[0]
    optional = node.type == "optional_type"
    if optional:
        node = node.named_children[0]
    depth = 0
    while node.type == "array_type":
        depth += 1
        node = node.named_children[0]
    return node.named_children[-1].text.decode(), depth, optional


def _coding_keys(body: Node) -> dict[str, str] | None:
    """CodingKeys case -> raw value (the case name when none), one name per case."""
    for node in body.named_children:
        if node.type == "class_declaration" and node.child_by_field_name("name").text == b"CodingKeys":
            keys = {}
            for entry in node.named_children[-1].named_children:
                if entry.type != "enum_entry":
                    continue
                names = [child for child in entry.named_children if child.type == "simple_identifier"]
                if len(names) != 1:
                    raise ValueError(f"write one CodingKeys case per line: {entry.text.decode()!r}")
                raw = [child for child in entry.named_children if child.type == "line_string_literal"]
                keys[names[0].text.decode()] = raw[0].text.decode().strip('"') if raw else names[0].text.decode()
            return keys
    return None


def decodable_structs(source: bytes) -> dict[str, list[JSONField]]:
    """Every struct with a CodingKeys enum -> its stored properties as JSON fields.

    Raises ValueError when the stored properties and the CodingKeys cases differ (the Swift compiler
    would refuse the synthesised Decodable conformance).
    """
    structs = {}
    for node in _walk(parse(source)):
        if node.type != "class_declaration" or not any(child.type == "struct" for child in node.children):
            continue
        body = node.child_by_field_name("body")
        keys = _coding_keys(body)
        if keys is None:
            continue
        name = node.child_by_field_name("name").text.decode()
        fields = []
        for prop in body.named_children:
            if prop.type != "property_declaration" or any(c.type == "computed_property" for c in prop.named_children):
                continue
            property_name = prop.child_by_field_name("name").text.decode()
            annotation = next(c for c in prop.named_children if c.type == "type_annotation")
            type_name, depth, optional = _type_of(annotation)
            if property_name not in keys:
                raise ValueError(f"{name}.{property_name} has no CodingKeys case")
            fields.append(JSONField(property_name, keys[property_name], type_name, depth, optional))
        extra = set(keys) - {field.property for field in fields}
        if extra:
            raise ValueError(f"{name}.CodingKeys names no stored property: {sorted(extra)}")
        structs[name] = fields
    return structs


def multiline_string(source: bytes, name: str) -> str:
    """The text of the top-level ``let NAME = \"\"\" ... \"\"\"`` (Swift drops the newlines after and before the quotes)."""
    for node in parse(source).named_children:
        if node.type == "property_declaration" and node.child_by_field_name("name").text.decode() == name:
            literal = node.named_children[-1]
            if literal.type == "multi_line_string_literal":
                return literal.text.decode()[3:-3].removeprefix("\n").removesuffix("\n")
    raise KeyError(f"no top-level multi-line string {name!r}")
