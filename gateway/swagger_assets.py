"""Swagger UI's files, from the pinned `swagger-ui-py` package, fit for a CSP of 'self'.

Its stylesheet draws a few icons from `data:` URLs, which `img-src 'self'` blocks. Rather
than open the policy, the stylesheet is served with each of those images moved to a URL
of the gateway's own (`img/<hash>.<ext>`, relative to the stylesheet), read once from the
package's file.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
import urllib.parse
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# The files of Swagger UI a page needs, and their media types: nothing else is served.
FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
EXTENSIONS = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}
# `url("data:…")` with CSS escapes inside the quotes, or `url(data:…)` bare.
DATA_URL = re.compile(r'url\("(data:(?:[^"\\]|\\.)*)"\)|url\((data:[^)"\']*)\)')


@dataclass(frozen=True, slots=True)
class Image:
    media_type: str
    content: bytes


def package_dir() -> Path:
    """The package's static files, found without importing it (its import pulls in web
    framework adapters we do not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _decode(data_url: str) -> Image:
    header, _, payload = data_url.removeprefix("data:").partition(",")
    media_type, *params = header.split(";")
    if "base64" in params:
        return Image(media_type, base64.b64decode(payload))
    return Image(media_type, urllib.parse.unquote(payload).encode())


@cache
def stylesheet() -> tuple[str, dict[str, Image]]:
    """The stylesheet with its `data:` images moved out, and those images by name."""
    css = (package_dir() / "swagger-ui.css").read_text(encoding="utf-8")
    images: dict[str, Image] = {}

    def moved(match: re.Match[str]) -> str:
        quoted, bare = match.groups()
        # Inside a CSS string, a backslash escapes the character after it.
        data_url = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        image = _decode(data_url)
        extension = EXTENSIONS.get(image.media_type, "bin")
        name = f"{hashlib.sha256(image.content).hexdigest()[:16]}.{extension}"
        images[name] = image
        return f'url("img/{name}")'

    return DATA_URL.sub(moved, css), images
