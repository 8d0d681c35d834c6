"""Make user text safe to print in a terminal.

Layer, model and file names come from project files and ``.keras`` models, that is from
anyone. Printed raw, an ESC starts a control sequence (colours, cursor moves, an OSC that
sets the window title or a clipboard), a bidi control such as U+202E reverses what
follows, and a newline or carriage return forges a line of output. Keras accepts all of
these in a layer name, so Layerforge keeps the name and escapes it wherever it reaches a
terminal: every command prints user text through :func:`terminal_safe`.
"""

from __future__ import annotations


def terminal_safe(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every character that could drive a terminal written as a Python escape
    (``\\x1b``, ``\\u202e``), the way ``repr`` shows it: what ``str.isprintable`` refuses, i.e.
    controls (C0, DEL, C1), format characters (bidi controls, zero-width joiners), surrogates,
    private-use and unassigned code points, line separators and spaces other than ' '.
    Printable text, accented letters and CJK included, is unchanged. ``keep_newlines`` keeps
    ``\\n`` for messages of several lines that the program itself wrote; a single user string
    should not keep it."""
    text = text if isinstance(text, str) else str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or (ch == "\n" and keep_newlines) else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch == "\t":
        return "\\t"
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


__all__ = ["terminal_safe"]
