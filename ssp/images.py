"""The network diagram upload: PNG or JPEG only, bounded, and re-encoded so no uploaded byte is ever kept or served.

Re-encoding drops every ancillary chunk and metadata segment (EXIF with GPS positions, XMP, ICC profiles, text
chunks, trailing data after the image) and anything a crafted file hides in them.
"""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # decoded size; refused before decoding (about 160 MB as RGBA)
MAX_SIDE = 3000  # stored images are scaled down to this on their longer side (about 10 inches at 300 dpi)
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


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
        raise ImageRejected(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.", "too_large")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # verify() reads the whole file and checks it; it is needed because WeasyPrint, once imported, sets
            # PIL's LOAD_TRUNCATED_IMAGES for the whole process and load() would then pad a truncated file.
            with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected("The image has too many pixels (at most 40 megapixels).", "too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as image:
                kind = image.format
                image.seek(0)  # an animated PNG keeps its first frame
                image.load()
                picture = ImageOps.exif_transpose(image)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("The image has too many pixels (at most 40 megapixels).", "too_many_pixels") from None
        except UnidentifiedImageError:
            raise ImageRejected("Upload a PNG or JPEG image.", "not_an_image") from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ImageRejected("The image file is damaged or incomplete.", "damaged_image") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    transparent = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    mode = "RGBA" if kind == "PNG" and transparent else "RGB"
    # A fresh image: nothing of the upload's info dictionary (text chunks, ICC profile, EXIF, XMP) is carried over.
    clean = Image.new(mode, picture.size)
    clean.paste(picture.convert(mode))
    out = io.BytesIO()
    if kind == "JPEG":
        clean.save(out, format="JPEG", quality=85, optimize=True)
    else:
        clean.save(out, format="PNG", optimize=True)
    return Reencoded(out.getvalue(), FORMATS[kind], clean.width, clean.height)
