"""The YAML that audit policy files use, read without PyYAML (the server needs only the standard library).

Block mappings and sequences, flow sequences and mappings on one line, quoted and plain scalars, comments
and a leading ``---``. Anchors, tags and multi-line scalars are not supported; such files get an error
naming the line (PyYAML, when installed, reads them instead).
"""

from __future__ import annotations

import json
import re
from typing import List, Tuple

_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")


def loads(text: str):
    lines = _lines(text)
    if not lines:
        return None
    value, i = _node(lines, 0, lines[0][0])
    if i < len(lines):
        raise ValueError(f"line {lines[i][2]}: did not find expected key")
    return value


def _lines(text: str) -> List[Tuple[int, str, int]]:
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if "\t" in raw[:len(raw) - len(raw.lstrip())]:
            raise ValueError(f"line {number}: found character that cannot start any token")
        content = _strip_comment(raw).rstrip()
        stripped = content.lstrip()
        if not stripped or (stripped in ("---", "...") and content == stripped):
            continue
        if stripped.startswith(("&", "*", "!", "|", ">", "%")):
            raise ValueError(f"line {number}: anchors, tags and block scalars are not supported without PyYAML")
        out.append((len(content) - len(stripped), stripped, number))
    return out


def _strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                continue
        elif ch in "\"'" and (i == 0 or line[i - 1] in " \t[{,:-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _node(lines, i: int, indent: int):
    if _is_item(lines[i][1]):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _sequence(lines, i: int, indent: int):
    items = []
    while i < len(lines) and lines[i][0] == indent and _is_item(lines[i][1]):
        _, content, number = lines[i]
        rest = content[1:].lstrip()
        if not rest:
            i += 1
            if i < len(lines) and lines[i][0] > indent:
                value, i = _node(lines, i, lines[i][0])
            else:
                value = None
        elif _is_item(rest) or _split_key(rest) is not None:
            # "- key: value" opens a mapping (or "- - x" a sequence) whose first line starts after the dash
            inner = indent + len(content) - len(rest)
            lines = lines[:i] + [(inner, rest, number)] + lines[i + 1:]
            value, i = _node(lines, i, inner)
        else:
            value, i = _scalar(rest, number), i + 1
        items.append(value)
    if i < len(lines) and lines[i][0] > indent:
        raise ValueError(f"line {lines[i][2]}: bad indentation of a sequence entry")
    return items, i


def _mapping(lines, i: int, indent: int):
    out = {}
    while i < len(lines) and lines[i][0] == indent:
        _, content, number = lines[i]
        split = _split_key(content)
        if split is None:
            raise ValueError(f"line {number}: could not find expected ':'")
        key, rest = split
        if key in out:
            raise ValueError(f'line {number}: mapping key "{key}" already defined')
        i += 1
        if rest:
            out[key] = _scalar(rest, number)
        elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and _is_item(lines[i][1]))):
            out[key], i = _node(lines, i, lines[i][0])
        else:
            out[key] = None
    if i < len(lines) and lines[i][0] > indent:
        raise ValueError(f"line {lines[i][2]}: mapping values are not allowed in this context")
    return out, i


def _split_key(content: str):
    """``(key, rest)`` when the line is ``key: rest`` (colon outside quotes and brackets), else None."""
    if content.startswith(("[", "{")):
        return None
    if content[0] in "\"'":
        end = _quoted_end(content, 0)
        if end < 0:
            return None
        after = content[end + 1:].lstrip()
        if after == ":" or after.startswith(": "):
            return _unquote(content[:end + 1]), after[1:].strip()
        return None
    for i, ch in enumerate(content):
        if ch == ":" and (i + 1 == len(content) or content[i + 1] == " "):
            return content[:i].rstrip(), content[i + 1:].strip()
    return None


def _quoted_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        ch = text[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


def _unquote(token: str) -> str:
    if token[0] == '"':
        try:
            return json.loads(token)
        except ValueError:
            raise ValueError(f"bad double-quoted scalar {token}") from None
    return token[1:-1].replace("''", "'")


def _scalar(text: str, number: int):
    if text[0] in "&*!|>%@`":
        raise ValueError(f"line {number}: anchors, tags and block scalars are not supported without PyYAML")
    if text[0] in "[{":
        value, end = _flow(text, 0, number)
        if text[end:].strip():
            raise ValueError(f"line {number}: did not find expected ',' or ']'")
        return value
    if text[0] in "\"'":
        end = _quoted_end(text, 0)
        if end != len(text) - 1:
            raise ValueError(f"line {number}: did not find expected key")
        return _unquote(text)
    return _plain(text)


def _plain(text: str):
    lowered = text.lower()
    if lowered in ("null", "~"):
        return None
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _flow(text: str, i: int, number: int):
    """A flow collection starting at ``text[i]``; returns (value, index after it)."""
    closing = "]" if text[i] == "[" else "}"
    items: list = []
    mapping: dict = {}
    i += 1
    while True:
        while i < len(text) and text[i] == " ":
            i += 1
        if i >= len(text):
            raise ValueError(f"line {number}: did not find expected ',' or '{closing}'")
        if text[i] == closing:
            return (items if closing == "]" else mapping), i + 1
        key, i = _flow_value(text, i, number, closing)
        if closing == "}":
            while i < len(text) and text[i] == " ":
                i += 1
            if i >= len(text) or text[i] != ":":
                raise ValueError(f"line {number}: did not find expected ':'")
            i += 1
            while i < len(text) and text[i] == " ":
                i += 1
            value, i = _flow_value(text, i, number, closing)
            mapping[key] = value
        else:
            items.append(key)
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
        elif i < len(text) and text[i] != closing:
            raise ValueError(f"line {number}: did not find expected ',' or '{closing}'")


def _flow_value(text: str, i: int, number: int, closing: str):
    if text[i] in "[{":
        return _flow(text, i, number)
    if text[i] in "\"'":
        end = _quoted_end(text, i)
        if end < 0:
            raise ValueError(f"line {number}: found unexpected end of stream")
        return _unquote(text[i:end + 1]), end + 1
    start = i
    while i < len(text) and text[i] not in ",]}" and not (text[i] == ":" and closing == "}" and
                                                           (i + 1 == len(text) or text[i + 1] == " ")):
        i += 1
    token = text[start:i].strip()
    return (_plain(token) if token else None), i
