"""Request body parsers: DRF's, made safe against bodies that crash them."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

__all__ = ["JSONParser"]


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with deeply nested bodies refused as a parse error.

    Python's decoder recurses once per nesting level and raises
    ``RecursionError`` (not ``ValueError``) past the interpreter's limit;
    DRF only turns ``ValueError`` into a 400, so ``[[[[...]]]]`` became a 500.
    No image or correction is nested at all, so refusing it costs nothing.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply") from None
