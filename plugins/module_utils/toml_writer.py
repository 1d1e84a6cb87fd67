# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small, strict TOML serializer for configuration files.

Writes what settings.toml needs: tables (nested dicts), strings, integers,
floats, booleans and arrays of those. Scalars of a table come before its
sub-tables, as TOML requires; keys keep the order they were given in. Strings
are TOML basic strings with every character escaped that the TOML 1.0 grammar
does not allow verbatim. Anything else (None, dates, mixed nesting) raises
TypeError instead of writing a file the server might read differently.

Self-contained so the collection needs no TOML package on the controller (it
runs air-gapped); the unit tests check every output with Python's tomllib.
"""

from __future__ import absolute_import, division, print_function

import math
import re

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def quote_string(value):
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u%04X" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def format_key(key):
    if not isinstance(key, str):
        raise TypeError("TOML keys are strings, not %r" % (key,))
    return key if _BARE_KEY.fullmatch(key) else quote_string(key)


def format_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    raise TypeError("cannot write %s (%r) to TOML" % (type(value).__name__, value))


def _is_table(value):
    return isinstance(value, dict)


def dumps(data, header_comment=None):
    """Serialise a dict to TOML text."""
    if not _is_table(data):
        raise TypeError("the top level of a TOML document is a table")
    lines = []
    if header_comment:
        lines.extend("# " + line if line else "#" for line in header_comment.splitlines())
        lines.append("")

    def table(path, value):
        scalars = [(k, v) for k, v in value.items() if not _is_table(v)]
        tables = [(k, v) for k, v in value.items() if _is_table(v)]
        if path and (scalars or not tables):
            if lines and lines[-1] != "":
                lines.append("")
            lines.append("[" + ".".join(format_key(p) for p in path) + "]")
        for key, val in scalars:
            if isinstance(val, (list, tuple)) and any(_is_table(v) for v in val):
                raise TypeError("arrays of tables are not supported (key %r)" % key)
            lines.append("%s = %s" % (format_key(key), format_value(val)))
        for key, val in tables:
            table(path + [key], val)

    table([], data)
    return "\n".join(lines).strip("\n") + "\n"
