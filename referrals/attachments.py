"""Files added to a concern: checked by what they contain, not by their name; images re-encoded so that no
metadata (a phone's location above all) is kept; stored under a random name, never in the web root."""

import hashlib
import io
import struct
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)

from safeguarding.core.files import file_delete, file_open, file_read, file_save

# Attachments are stored under this kind (safeguarding/core/files.py).
ATTACHMENTS = "attachments"
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Start-of-frame markers, which state a JPEG's size: C0 to CF but for C4, C8 and CC.
JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
UNREADABLE_PICTURE = "This picture could not be read. Try taking it again, or send it as a PDF."
# A JPEG can be decoded at a half, a quarter or an eighth of its size without ever being decoded whole (libjpeg
# scales as it decodes), so a phone's 48- or 200-megapixel photo is kept, smaller, rather than refused.
JPEG_SCALES = (1, 2, 4, 8)
# Pillow's own guard, behind the checks on the header and on the size Pillow reads (both before any decoding): it
# must let through the JPEGs that are decoded at an eighth of their size.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS * JPEG_SCALES[-1] ** 2

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
# A Word file of at most 10 MB with more parts, or more unpacked bytes, than these is not a plain document.
DOCX_MAX_PARTS = 1_000
DOCX_MAX_UNPACKED = 100 * 1024 * 1024
DOCX_MAX_XML_PART = 2 * 1024 * 1024  # [Content_Types].xml and the .rels parts: a few KB in any real document
# Relationship types (the end of the type's address) that embed another file, a control or imported content.
DOCX_EMBEDDING_RELATIONSHIPS = frozenset(
    {"oleobject", "package", "activex", "activexcontrolbinary", "control", "subdocument", "afchunk"}
)
# Checking a PDF takes about 50 µs an object: a long report has a few thousand, a file built to tie up the server
# millions (object streams pack them tightly).
PDF_MAX_OBJECTS = 50_000
# PDF names, as a reader decodes them, for features that run code, act on their own or carry other files:
# refused wherever they appear, since a DSL will open the file.
PDF_REFUSED_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/AA",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/FileAttachment",
        "/RichMedia",
        "/Rendition",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
    }
)


class AttachmentRefused(ValueError):
    """A file that cannot be accepted, with the reason in words for the person who sent it."""


class _Unreadable(Exception):
    """A part of a Word file that is not the plain XML Word writes."""


@dataclass
class CheckedFile:
    content: bytes
    content_type: str
    name: str


def _safe_name(name: str, extension: str) -> str:
    stem = Path(name or "file").stem
    cleaned = "".join(c for c in stem if c.isalnum() or c in " -_")[:80].strip() or "file"
    return f"{cleaned}.{extension}"


def _scaled(size: tuple[int, int], scale: int) -> tuple[int, int]:
    return -(-size[0] // scale), -(-size[1] // scale)


def _jpeg_scale(size: tuple[int, int] | None) -> int:
    """How much smaller a JPEG of this size is decoded so that it fits MAX_PIXELS: 1, 2, 4 or 8 (the most, and
    the picture is then still refused if it does not fit)."""
    if size is None:
        return 1
    return next((scale for scale in JPEG_SCALES if _pixels(_scaled(size, scale)) <= MAX_PIXELS), JPEG_SCALES[-1])


def _pixels(size: tuple[int, int]) -> int:
    return size[0] * size[1]


def _refuse_too_large_a_picture(size: tuple[int, int] | None, label: str, *, scale: int = 1) -> None:
    if size is None:
        raise AttachmentRefused(UNREADABLE_PICTURE)
    width, height = size
    if _pixels(_scaled(size, scale)) > MAX_PIXELS:
        raise AttachmentRefused(
            f"{label} is too large a picture to take ({width:,} by {height:,} pixels; the most is "
            f"{MAX_PIXELS // 1_000_000} million). Send a smaller copy: most phones can share a photo at a smaller "
            "size, or take a screenshot of it."
        )


def _png_size(content: bytes) -> tuple[int, int] | None:
    if content[12:16] != b"IHDR":  # the header chunk must come first
        return None
    return struct.unpack_from(">II", content, 16)


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    """The largest frame size any SOF segment states, up to the start of the picture data (Pillow takes the
    last one it meets, libjpeg the first)."""
    sizes = []
    position = 2
    while position + 1 < len(content):
        if content[position] != 0xFF or content[position + 1] == 0xFF:
            position += 1  # stray bytes and fill bytes between segments, skipped as Pillow skips them
            continue
        marker = content[position + 1]
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of the file, or the start of the picture data
            break
        if marker in JPEG_FRAME_MARKERS:
            height, width = struct.unpack_from(">HH", content, position + 5)
            sizes.append((width, height))
        position += 2 + int.from_bytes(content[position + 2 : position + 4])
    return max(sizes, key=lambda size: size[0] * size[1], default=None)


def _gif_size(content: bytes) -> tuple[int, int]:
    """The logical screen, widened to take in the first frame as Pillow widens it; only the first frame is kept,
    so only it is ever decoded, whatever the number of frames."""
    width, height, flags = struct.unpack_from("<HHB", content, 6)
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # after the global colour table
    while position < len(content) and content[position] == 0x21:  # extension blocks before the first frame
        position += 2
        while content[position]:
            position += content[position] + 1
        position += 1
    if position < len(content) and content[position] == 0x2C:
        left, top, frame_width, frame_height = struct.unpack_from("<4H", content, position + 1)
        width, height = max(width, left + frame_width), max(height, top + frame_height)
    return width, height


def _webp_size(content: bytes) -> tuple[int, int] | None:
    """The canvas (VP8X, animated or not) or the single frame's size (VP8, VP8L); libwebp allocates the canvas
    as soon as Pillow opens the file, so this is read first."""
    chunk, data = content[12:16], content[20:30]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[4:7], "little"), 1 + int.from_bytes(data[7:10], "little")
    if chunk == b"VP8L":
        bits = int.from_bytes(data[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + (bits >> 14 & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack_from("<HH", data, 6)
        return width & 0x3FFF, height & 0x3FFF
    return None


def _picture_size(content: bytes) -> tuple[int, int] | None:
    """Width and height as the file's header states them, read without decoding a single pixel."""
    reader = {b"\xff\xd8": _jpeg_size, b"\x89P": _png_size, b"GI": _gif_size, b"RI": _webp_size}.get(content[:2])
    try:
        return reader(content) if reader else None
    except (struct.error, IndexError):
        return None


def _redrawn(image: Image.Image, image_format: str) -> Image.Image:
    """The picture turned the way the camera meant and drawn afresh, so that none of its metadata is kept. The
    decoded original is released before this returns: a picture is held at most twice over, and only while it
    is copied."""
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette():
        clean.putpalette(image.getpalette())
    image.close()
    if image_format == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    return clean


def _strip_image(content: bytes, label: str) -> tuple[bytes, str, str]:
    """The picture re-encoded without its metadata. Its size is judged from the header before Pillow decodes
    anything, and again as Pillow reads it, so that no picture larger than MAX_PIXELS is ever decoded (Pillow's
    own guard refuses only at twice its limit)."""
    size = _picture_size(content)
    scale = _jpeg_scale(size) if content.startswith(b"\xff\xd8") else 1
    _refuse_too_large_a_picture(size, label, scale=scale)
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            if image_format not in IMAGE_FORMATS:
                raise AttachmentRefused("This kind of image is not accepted: use a JPEG, PNG, GIF or WebP picture.")
            if image_format == "JPEG" and scale > 1:
                image.draft(image.mode, _scaled(image.size, scale))
            _refuse_too_large_a_picture(image.size, label)
            clean = _redrawn(image, image_format)
        buffer = io.BytesIO()
        clean.save(buffer, format=image_format)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise AttachmentRefused(UNREADABLE_PICTURE) from None
    return buffer.getvalue(), IMAGE_FORMATS[image_format], {"JPEG": "jpg"}.get(image_format, image_format.lower())


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _pdf_objects(reader: PdfReader):
    """The trailer and every object the cross-reference tables list, those inside object streams too, as pypdf
    resolves them (names decoded, streams decompressed within pypdf's limits)."""
    yield reader.trailer
    for generation, numbers in list(reader.xref.items()):
        for number in list(numbers):
            yield reader.get_object(IndirectObject(number, generation, reader))
    for number in list(reader.xref_objStm):
        yield reader.get_object(IndirectObject(number, 0, reader))


def _pdf_opens_plainly(action) -> bool:
    """An /OpenAction that only shows a page: a destination, or a go-to action with nothing chained after it."""
    action = action.get_object()
    if isinstance(action, DictionaryObject):
        return action.get("/S") == "/GoTo" and "/Next" not in action
    return isinstance(action, (ArrayObject, NameObject, TextStringObject, ByteStringObject))


def _pdf_is_active(top) -> bool:
    """Whether the object, or anything written inside it, names a refused feature or opens with an action."""
    stack = [top]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):  # streams too: their dictionary, not their data
            if "/OpenAction" in item and not _pdf_opens_plainly(item["/OpenAction"]):
                return True
            for key, value in dict.items(item):  # as written: references are objects of their own, walked apart
                stack += (key, value)
        elif isinstance(item, ArrayObject):
            stack += list.__iter__(item)
        elif isinstance(item, NameObject) and item in PDF_REFUSED_NAMES:
            return True
    return False


def _pdf_problem(content: bytes) -> str | None:
    if b"%%EOF" not in content[-2048:]:
        return "is not a complete PDF"
    try:
        reader = PdfReader(io.BytesIO(content), strict=False, xref_stream_maximum_entries=PDF_MAX_OBJECTS)
        if len(reader.xref_objStm) + sum(len(numbers) for numbers in reader.xref.values()) > PDF_MAX_OBJECTS:
            return f"has too many parts to be checked (more than {PDF_MAX_OBJECTS:,}). Print it to a new PDF"
        if reader.is_encrypted:
            return (
                "is encrypted (protected with a password, or against copying), so it cannot be checked. "
                "Print it to a new PDF and send that"
            )
        active = any(_pdf_is_active(item) for item in _pdf_objects(reader))
    except Exception:  # pypdf raises errors of many kinds on a damaged file; each one means the file is refused
        return "could not be read as a PDF. Open it and save it (or print it) as a new PDF, then try again"
    if active:
        return "is a PDF with scripts, actions or files inside it, which are not accepted. Print it to a new PDF"
    return None


def _xml_elements(data: bytes) -> list[tuple[str, dict]]:
    """Each element of an XML part as its local name and attributes. Expat, told to refuse any DOCTYPE, so that
    no entity can be declared (let alone expanded) and nothing outside the file is fetched; an Office part never
    has one."""
    elements = []

    def refuse(*_):
        raise _Unreadable

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = lambda name, attributes: elements.append((name.rpartition(" ")[2], attributes))
    parser.Parse(data, True)
    return elements


def _docx_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> list[tuple[str, dict]]:
    if part.file_size > DOCX_MAX_XML_PART:  # zipfile stops at the size declared, so no more is ever unpacked
        raise _Unreadable
    with archive.open(part) as handle:
        return _xml_elements(handle.read())


@dataclass
class _Package:
    """What a Word file holds, as Word finds it: part names (in lower case), content types, relationships."""

    names: list[str]
    content_types: list[str]
    relationships: list[dict]

    @property
    def kinds(self) -> set[str]:
        return {relationship.get("Type", "").rpartition("/")[2].lower() for relationship in self.relationships}

    def has_macros(self) -> bool:
        return any(word in name for name in self.names for word in ("vbaproject", "vbadata")) or any(
            word in kind for kind in self.content_types + list(self.kinds) for word in ("macroenabled", "vba")
        )

    def embeds(self) -> bool:
        return bool(
            self.kinds & DOCX_EMBEDDING_RELATIONSHIPS
            or any(folder in f"/{name}" for name in self.names for folder in ("/embeddings/", "/activex/"))
            or any(word in kind for kind in self.content_types for word in ("oleobject", "activex"))
        )

    def fetches(self) -> bool:
        return any(_docx_fetches(relationship) for relationship in self.relationships)


# What zipfile and expat raise on a damaged or disguised file.
DOCX_READ_ERRORS = (
    zipfile.BadZipFile,
    _Unreadable,
    expat.ExpatError,
    RuntimeError,  # a member protected with a password
    NotImplementedError,  # a compression method zipfile does not know
    EOFError,
    OSError,
    ValueError,
    struct.error,
    zlib.error,
)


def _docx_read(content: bytes) -> _Package | None:
    """The parts, content types and relationships of a Word file, or None when it unpacks to too much."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = archive.infolist()
        if len(parts) > DOCX_MAX_PARTS or sum(part.file_size for part in parts) > DOCX_MAX_UNPACKED:
            return None
        names = [part.filename.replace("\\", "/").lower() for part in parts]
        package = _Package(names=names, content_types=[], relationships=[])
        for part, name in zip(parts, names, strict=True):
            if name == "[content_types].xml":
                package.content_types += [a.get("ContentType", "").lower() for _, a in _docx_part(archive, part)]
            elif name.endswith(".rels"):
                package.relationships += [a for tag, a in _docx_part(archive, part) if tag == "Relationship"]
    return package


def _docx_fetches(relationship: dict) -> bool:
    """Whether Word would reach outside the file for this relationship. A hyperlink on the web or to an email
    address is followed only when clicked, so it is kept; any other outside target (a remote template, a linked
    picture, a frame) is fetched as the document opens."""
    if relationship.get("TargetMode", "").lower() != "external":
        return False
    target = relationship.get("Target", "").strip().lower()
    hyperlink = relationship.get("Type", "").endswith("/hyperlink")
    return not (hyperlink and target.startswith(("https://", "http://", "mailto:")))


def _docx_problem(content: bytes) -> str | None:
    try:
        package = _docx_read(content)
    except DOCX_READ_ERRORS:
        return "could not be read as a Word document. Open it in Word and save it again, or send it as a PDF"
    if package is None:
        return "unpacks to more than a Word document of 10 MB could hold, so it is not accepted"
    if package.has_macros():
        return "contains macros, which are not accepted. Save it as a plain .docx"
    if package.embeds():
        return "has other files or controls embedded in it, which are not accepted. Send it as a PDF instead"
    if package.fetches():
        return (
            "fetches content kept elsewhere (a template, a picture or a file on another computer), which is not "
            "accepted. Send it as a PDF instead"
        )
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
        if problem := _docx_problem(content):
            raise AttachmentRefused(f"{label} {problem}.")
        return CheckedFile(content, DOCX, _safe_name(name, "docx"))
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and "WordDocument".encode("utf-16-le") in content:
        # An old Word (.doc) file cannot be read here part by part, as a .docx is, to see what it would run or
        # fetch when opened; a byte search is easily fooled. Word saves either format in two clicks.
        raise AttachmentRefused(
            f"{label} is an older Word (.doc) file, which cannot be checked for hidden content. In Word choose "
            "File, Save As, Word Document (.docx) or PDF, and attach that."
        )
    signatures = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
    if content.startswith(signatures) or (content[:4] == b"RIFF" and content[8:12] == b"WEBP"):
        stripped, content_type, extension = _strip_image(content, label)
        return CheckedFile(stripped, content_type, _safe_name(name, extension))
    raise AttachmentRefused(
        f"{_safe_name(name, 'file')[:-5]} is not a picture, a PDF or a Word document, whatever its name says."
    )


def attachment_store(checked: CheckedFile) -> tuple[str, str]:
    """Store the file under a random name, in the storage every host shares; returns the name and its SHA-256."""
    stored_name = uuid.uuid4().hex
    file_save(ATTACHMENTS, stored_name, checked.content)
    return stored_name, hashlib.sha256(checked.content).hexdigest()


def attachment_open(stored_name: str):
    """The stored file open for reading, a chunk at a time; FileNotFoundError when it is missing."""
    return file_open(ATTACHMENTS, stored_name)


def attachment_read(stored_name: str) -> bytes | None:
    """The whole stored file (at most 10 MB), or None when it is missing."""
    try:
        return file_read(ATTACHMENTS, stored_name)
    except FileNotFoundError:
        return None


def attachment_delete(stored_name: str) -> None:
    """Delete the stored file with the transaction deleting its record."""
    file_delete(ATTACHMENTS, stored_name)
