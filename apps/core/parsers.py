"""The API's one JSON parser. Its own module: DRF reads DEFAULT_PARSER_CLASSES while its
views are imported, so this must not import them."""

from typing import Any

from rest_framework.parsers import JSONParser

from apps.core.errors import ValidationFailed
from apps.core.json_body import BodyError, decode_json

# A management-API body nests no deeper than this (a policy document is about five levels;
# its own validation stops at 32).
MAX_BODY_DEPTH = 64


class JSONBodyParser(JSONParser):
    """Every API body read one way (apps.core.json_body): what Python could not walk is a
    400 with its own code (malformed_json, too_deep), never a server error. Text is left to
    the fields: a text field's pattern refuses NUL; free JSON is made storable."""

    max_depth = MAX_BODY_DEPTH

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return decode_json(
                stream.read() if stream is not None else b"", max_depth=self.max_depth
            )
        except BodyError as exc:
            raise ValidationFailed(exc.message, code=exc.code) from exc
