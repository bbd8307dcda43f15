"""The network diagram upload: PNG or JPEG only, bounded, and re-encoded so no uploaded byte is ever kept or served.

Re-encoding drops every ancillary chunk and metadata segment (EXIF with GPS positions, XMP, ICC profiles, text
chunks, trailing data after the image) and anything a crafted file hides in them.

Decoding happens only in a render process (``cmmc_site.render_guard.run_limited``: time and memory limits, one of
the worker's render slots), never in the web worker: a small compressed file can decode to hundreds of megabytes,
and a few such uploads at once would take the app server down with them.
"""

import io
import logging
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from cmmc_site import render_guard

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Decoded size, refused before decoding. Stored images are scaled down to MAX_SIDE (9 megapixels) anyway, so more
# pixels only cost memory: 16 MP decode to 64 MB as RGBA, while a 40 MP file cost a worker about 450 MB. 16 MP hold a
# 5K screenshot (14.7 MP) or a letter/A4 page at 300 dpi (8.4 MP): any real network diagram.
MAX_PIXELS = 16_000_000
MAX_SIDE = 3000  # stored images are scaled down to this on their longer side (about 10 inches at 300 dpi)
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MESSAGES = {
    "too_large": f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.",
    "too_many_pixels": f"The image has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels).",
    "not_an_image": "Upload a PNG or JPEG image.",
    "damaged_image": "The image file is damaged or incomplete.",
    "too_costly": "The image could not be processed within the server's limits. Save it with fewer pixels and "
                  "upload it again.",
    "busy": "The server is busy with other documents. Try again in a few seconds.",
}
# What the render process sends back: b"P"/b"J", width and height, then the new file; or b"!" and a MESSAGES code.
_HEADER = struct.Struct(">cII")
_KINDS = {b"P": "PNG", b"J": "JPEG"}

logger = logging.getLogger(__name__)


class ImageRejected(ValueError):
    """The upload is not an image we keep; ``code`` says why (for the form error)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    content_type: str
    width: int
    height: int


def reencode(raw: bytes) -> Reencoded:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise _rejected("too_large")
    try:
        with render_guard.render_slot():
            result = render_guard.run_limited(reencode_here, raw)
    except render_guard.RenderBusy:
        raise _rejected("busy") from None
    except render_guard.RenderError as exc:  # over its time or memory, or killed: nothing of the file is kept
        logger.warning("diagram refused: %s", type(exc).__name__, extra={
            "event": "image_refused", "error": type(exc).__name__, "error_type": getattr(exc, "error_type", "")})
        raise _rejected("too_costly") from None
    if result.startswith(b"!"):
        raise _rejected(result[1:].decode())
    tag, width, height = _HEADER.unpack_from(result)
    return Reencoded(result[_HEADER.size:], FORMATS[_KINDS[tag]], width, height)


def _rejected(code: str) -> ImageRejected:
    return ImageRejected(MESSAGES[code], code)


def reencode_here(raw: bytes) -> bytes:
    """The decoding and re-encoding, in this process: called by ``reencode`` in a render process."""
    try:
        kind, clean = _decode(raw)
    except ImageRejected as exc:
        return b"!" + exc.code.encode()
    out = io.BytesIO()
    if kind == "JPEG":
        clean.save(out, format="JPEG", quality=85, optimize=True)
    else:
        clean.save(out, format="PNG", optimize=True)
    return _HEADER.pack(kind[0].encode(), clean.width, clean.height) + out.getvalue()


def _decode(raw: bytes) -> tuple[str, Image.Image]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # verify() reads the whole file and checks it; it is needed because WeasyPrint, once imported, sets
            # PIL's LOAD_TRUNCATED_IMAGES for the whole process and load() would then pad a truncated file.
            with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise _rejected("too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as image:
                kind = image.format
                image.seek(0)  # an animated PNG keeps its first frame
                image.load()
                picture = ImageOps.exif_transpose(image)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _rejected("too_many_pixels") from None
        except UnidentifiedImageError:
            raise _rejected("not_an_image") from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise _rejected("damaged_image") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    transparent = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    mode = "RGBA" if kind == "PNG" and transparent else "RGB"
    # A fresh image: nothing of the upload's info dictionary (text chunks, ICC profile, EXIF, XMP) is carried over.
    clean = Image.new(mode, picture.size)
    clean.paste(picture.convert(mode))
    return kind, clean
