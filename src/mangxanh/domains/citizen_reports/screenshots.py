"""Screenshots a reporter attaches: decoded, checked and re-encoded before anything keeps them.

An upload is hostile until proven otherwise: its declared type and name mean nothing, it may be
a polyglot (an image that is also HTML or a script), a decompression bomb (a small file that
decodes to gigapixels) or a broken file that crashes a viewer. So Pillow decodes it completely,
within a pixel budget, and only the decoded pixels are kept, written again as a fresh PNG, JPEG
or WebP: no metadata survives (EXIF with the phone's GPS position, comments, trailing bytes).
The orientation EXIF asked for is applied to the pixels first, so the picture looks as it did.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from mangxanh.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_SCREENSHOTS = 5
# A phone screenshot is 3 to 4 megapixels; a long scrolling capture a few times that.
MAX_PIXELS = 40_000_000
MAX_SIDE = 20_000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True, slots=True)
class CleanImage:
    data: bytes
    mime: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _refused(name: str) -> InvalidInput:
    return InvalidInput("The file {name} is not a PNG, JPEG or WebP image that can be opened.", name=name)


def clean_screenshot(data: bytes, *, name: str) -> CleanImage:
    """The screenshot decoded and written again without metadata; anything else is refused with the reason."""
    name = (name or "?")[:80]
    if len(data) > MAX_BYTES:
        raise InvalidInput("The file {name} is larger than {mb} MB.", name=name, mb=MAX_BYTES // (1024 * 1024))
    if not data:
        raise InvalidInput("The file {name} is empty.", name=name)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; here any excess is an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                width, height = probe.size
                kind = probe.format or ""
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise InvalidInput("The image {name} is too large ({w}×{h} pixels).", name=name, w=width,
                                       h=height)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
        except InvalidInput:
            raise
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
                SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise _refused(name) from exc
    if kind not in FORMATS:
        raise _refused(name)
    upright.info.clear()  # ICC profiles, comments, EXIF: Pillow would otherwise carry some of them over
    out = io.BytesIO()
    if kind == "JPEG":
        upright.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif kind == "WEBP":
        upright.save(out, "WEBP", quality=90)
    else:
        pixels = upright if upright.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else upright.convert("RGBA")
        pixels.save(out, "PNG", optimize=False)
    return CleanImage(out.getvalue(), FORMATS[kind], upright.width, upright.height)
