"""What a predict request carries: the image bytes and the JSON options, from either of two forms.

- multipart/form-data: a file field ``image`` and an optional text field ``options``;
- a raw body (``image/jpeg``, ``image/png`` or ``application/octet-stream``) with the options in the
  ``options`` query parameter or the ``X-Sapiens2-Options`` header.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from .errors import RequestError

RAW_TYPES = ("image/jpeg", "image/png", "application/octet-stream")
OPTIONS_HEADER = "x-sapiens2-options"


async def read_upload(request: Request) -> tuple[bytes, str | None]:
    """(image bytes, options JSON or None); 415 for another content type, 400 for a malformed form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return await _read_form(request)
    if content_type and content_type not in RAW_TYPES:
        raise RequestError(
            415, f"content type {content_type!r} is not accepted: send multipart/form-data or the raw JPEG/PNG bytes"
        )
    options = request.query_params.get("options") or request.headers.get(OPTIONS_HEADER)
    return await request.body(), options


async def _read_form(request: Request) -> tuple[bytes, str | None]:
    try:
        form = await request.form(max_files=1, max_fields=4)
    except RequestError:
        raise
    except Exception as error:  # the multipart parser's errors all mean a malformed form
        raise RequestError(400, f"malformed multipart form: {error}") from error
    image = form.get("image")
    if not isinstance(image, UploadFile):
        raise RequestError(400, "the multipart form has no file field named 'image'")
    options = form.get("options")
    if options is not None and not isinstance(options, str):
        raise RequestError(422, "the form field 'options' must be text (a JSON object), not a file")
    return await image.read(), options
