"""The plain-text part of an email is our own text rendering of the digest, not a conversion of its HTML.

Apprise's email plugin builds the text/plain alternative by converting the HTML body (tables flattened, links
lost in the markup); we render a text version of every digest anyway, written for reading as text. While a
thread sends an email, the plugin's converter hands back that text for that HTML; anything else it converts
as before.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from apprise import NotifyFormat
from apprise.plugins.email import base as email_base

_local = threading.local()
_convert = email_base.convert_between


def _convert_between(from_format, to_format, content, *args, **kwargs):
    html, text = getattr(_local, "parts", (None, None))
    if text is not None and from_format == NotifyFormat.HTML and to_format == NotifyFormat.TEXT and content == html:
        return text
    return _convert(from_format, to_format, content, *args, **kwargs)


@contextmanager
def plain_part(html: str, text: str | None):
    """While inside, an email of `html` goes with `text` as its plain-text part (when there is one)."""
    _local.parts = (html, text)
    try:
        yield
    finally:
        _local.parts = (None, None)


def install() -> None:
    """Put the converter in Apprise's email plugin module (idempotent)."""
    email_base.convert_between = _convert_between
