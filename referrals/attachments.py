"""Files added to a concern: checked by what they contain, not by their name; images re-encoded so that no
metadata (a phone's location above all) is kept; stored outside the web root under a random name."""

import hashlib
import io
import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"
PDF = "application/pdf"


class AttachmentRefused(ValueError):
    """A file that cannot be accepted, with the reason in words for the person who sent it."""


@dataclass
class CheckedFile:
    content: bytes
    content_type: str
    name: str


def _safe_name(name: str, extension: str) -> str:
    stem = Path(name or "file").stem
    cleaned = "".join(c for c in stem if c.isalnum() or c in " -_")[:80].strip() or "file"
    return f"{cleaned}.{extension}"


def _strip_image(content: bytes) -> tuple[bytes, str, str]:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            if image_format not in IMAGE_FORMATS:
                raise AttachmentRefused("This kind of image is not accepted: use a JPEG, PNG, GIF or WebP picture.")
            image.load()
            # Turn the picture the way the camera meant, then drop every piece of metadata by drawing it afresh.
            upright = ImageOps.exif_transpose(image)
            clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
            if upright.mode == "P" and upright.getpalette():
                clean.putpalette(upright.getpalette())
            buffer = io.BytesIO()
            save_format = image_format
            if save_format == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            clean.save(buffer, format=save_format)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise AttachmentRefused("This picture could not be read. Try taking it again, or send it as a PDF.") from None
    return buffer.getvalue(), IMAGE_FORMATS[image_format], {"JPEG": "jpg"}.get(image_format, image_format.lower())


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _has_macros(content: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return any(name.lower().endswith("vbaproject.bin") for name in archive.namelist())


# An old Word file is an OLE container with a "WordDocument" stream; the name is stored in UTF-16.
WORD_STREAM = "WordDocument".encode("utf-16-le")
OLE_MACROS = "Macros".encode("utf-16-le")
# PDF features that run code or carry other files: refused, since a DSL will open the file.
PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/OpenAction", b"/AA")


def _pdf_problem(content: bytes) -> str | None:
    if b"%%EOF" not in content[-2048:]:
        return "is not a complete PDF"
    if any(marker in content for marker in PDF_ACTIVE):
        return "is a PDF with scripts, actions or files inside it, which are not accepted"
    return None


def too_large_message(name: str) -> str:
    return f"{_safe_name(name, 'file')[:-5]} is larger than 10 MB."


def attachment_check(*, name: str, content: bytes) -> CheckedFile:
    """Accept an image, a PDF or a Word document of at most 10 MB, judged by its content."""
    if len(content) > MAX_BYTES:
        raise AttachmentRefused(too_large_message(name))
    if not content:
        raise AttachmentRefused("The file is empty.")
    label = _safe_name(name, "file")[:-5]
    if content.startswith(b"%PDF-"):
        if problem := _pdf_problem(content):
            raise AttachmentRefused(f"{label} {problem}.")
        return CheckedFile(content, PDF, _safe_name(name, "pdf"))
    if content.startswith(b"PK\x03\x04") and _is_docx(content):
        if _has_macros(content):
            raise AttachmentRefused(f"{label} contains macros, which are not accepted. Save it as a plain .docx.")
        return CheckedFile(content, DOCX, _safe_name(name, "docx"))
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and WORD_STREAM in content:
        if OLE_MACROS in content:
            raise AttachmentRefused(f"{label} contains macros, which are not accepted. Save it as a plain .docx.")
        return CheckedFile(content, DOC, _safe_name(name, "doc"))
    signatures = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
    if content.startswith(signatures) or (content[:4] == b"RIFF" and content[8:12] == b"WEBP"):
        stripped, content_type, extension = _strip_image(content)
        return CheckedFile(stripped, content_type, _safe_name(name, extension))
    raise AttachmentRefused(
        f"{_safe_name(name, 'file')[:-5]} is not a picture, a PDF or a Word document, whatever its name says."
    )


def attachment_store(checked: CheckedFile) -> tuple[str, str]:
    """Write the file under a random name in ATTACHMENT_ROOT; returns the stored name and its SHA-256."""
    root = Path(settings.ATTACHMENT_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex
    temporary = root / f".{stored_name}.part"
    with open(temporary, "wb") as handle:
        handle.write(checked.content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, root / stored_name)
    return stored_name, hashlib.sha256(checked.content).hexdigest()


def attachment_path(stored_name: str) -> Path:
    return Path(settings.ATTACHMENT_ROOT) / stored_name
