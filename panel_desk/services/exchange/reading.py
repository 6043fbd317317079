"""Reading the JSON inside an exchange file, trusting nothing about its shape.

A signed file is still only as good as the program that wrote it: every value is checked
for its type, and anything missing or malformed is a BadInput naming the file and the
place ("submissions[3].documents[0].sha256"), so an import never stops on a KeyError or a
TypeError half-way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from panel_desk.errors import BadInput

SHA256 = re.compile(r"^[0-9a-f]{64}$")
IDENTIFIER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def parse_json(source: str, data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadInput(source, f"its {what} is not valid JSON ({exc})") from None


class Reader:
    """Typed access to parsed JSON; each failure names `source` and the place in it."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> BadInput:
        return BadInput(self.source, problem, where)

    def object(self, node: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(node, Mapping):
            raise self.fail(where, f"must be an object, not {type(node).__name__}")
        return node

    def _value(self, node: Any, key: str, where: str) -> Any:
        if key not in self.object(node, where):
            raise self.fail(where, f"'{key}' is missing")
        return node[key]

    def text(
        self, node: Any, key: str, where: str, *, optional: bool = False, longest: int = 0
    ) -> str:
        value = self._value(node, key, where) if not optional else node.get(key, "")
        if value is None and optional:
            return ""
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"must be text, not {type(value).__name__}")
        if longest and len(value) > longest:
            raise self.fail(f"{where}.{key}", f"is longer than {longest} characters")
        return value

    def required_text(self, node: Any, key: str, where: str, longest: int = 0) -> str:
        value = self.text(node, key, where, longest=longest)
        if not value.strip():
            raise self.fail(f"{where}.{key}", "is empty")
        return value

    def integer(
        self, node: Any, key: str, where: str, *, optional: bool = False, least: int | None = None
    ) -> int | None:
        value = self._value(node, key, where) if not optional else node.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"must be a whole number, not {value!r}")
        if least is not None and value < least:
            raise self.fail(f"{where}.{key}", f"must be at least {least}, not {value}")
        return value

    def flag(self, node: Any, key: str, where: str) -> bool:
        value = self._value(node, key, where)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"must be true or false, not {value!r}")
        return value

    def items(self, node: Any, key: str, where: str) -> list[Any]:
        value = self._value(node, key, where)
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", f"must be a list, not {type(value).__name__}")
        return value

    def texts(self, node: Any, key: str, where: str) -> list[str]:
        values = self.items(node, key, where)
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{where}.{key}[{index}]", "must be text")
        return values

    def mapping(self, node: Any, key: str, where: str) -> dict[str, Any]:
        return dict(self.object(self._value(node, key, where), f"{where}.{key}"))

    def day(self, node: Any, key: str, where: str, *, optional: bool = False) -> date | None:
        text = self.text(node, key, where, optional=optional)
        if not text and optional:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"{text!r} is not a date (YYYY-MM-DD)") from None

    def moment(self, node: Any, key: str, where: str) -> datetime:
        text = self.text(node, key, where)
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"{text!r} is not a date and time") from None
        if value.tzinfo is None:
            raise self.fail(f"{where}.{key}", "has no time zone")
        return value

    def identifier(self, node: Any, key: str, where: str) -> str:
        value = self.text(node, key, where)
        if not IDENTIFIER.match(value):
            raise self.fail(f"{where}.{key}", f"{value!r} is not an identifier this app writes")
        return value

    def digest(self, node: Any, key: str, where: str) -> str:
        value = self.text(node, key, where)
        if not SHA256.match(value):
            raise self.fail(f"{where}.{key}", f"{value!r} is not a SHA-256 digest")
        return value

    def email(self, node: Any, key: str, where: str) -> str:
        value = self.required_text(node, key, where, longest=320).strip().lower()
        if "@" not in value or any(ch.isspace() for ch in value):
            raise self.fail(f"{where}.{key}", f"{value!r} is not an e-mail address")
        return value
