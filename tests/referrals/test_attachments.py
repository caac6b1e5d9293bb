"""Files added to a concern: pictures too large to decode safely, and PDF or Word files that would run code, act
on their own or fetch something when a DSL opens them. Every file here is written out by hand, a trick at a time."""

import gc
import io
import struct
import weakref
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from referrals.attachments import DOCX, PDF, AttachmentRefused, attachment_check
from referrals.models import Attachment
from referrals.services.concerns import draft_attachments_add, draft_for
from tests.documents import DOCUMENT, content_types, docx, pdf, pdf_with_an_object_stream, relationships
from tests.personas import signed_in_client

# --- Pictures ------------------------------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header states the size given, with a few bytes of picture data: nothing here is large."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def gif_claiming(screen: tuple[int, int], frame: tuple[int, int]) -> bytes:
    screen_part = struct.pack("<HHBBB", *screen, 0, 0, 0)
    frame_part = b"\x2c" + struct.pack("<HHHHB", 0, 0, *frame, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen_part + b"\x21\xf9\x04\x00\x00\x00\x00\x00" + frame_part + b"\x3b"


def jpeg_claiming(width: int, height: int) -> bytes:
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + frame + b"\xff\xda\x00\x08"


def webp_claiming(width: int, height: int) -> bytes:
    canvas = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + 18) + b"WEBPVP8X" + struct.pack("<I", 10) + canvas


def png_bytes(mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (30, 20)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def decoding_forbidden(monkeypatch):
    """Any attempt to decode a picture, or even to hand it to Pillow, fails the test."""

    def decoded(*args, **kwargs):
        raise AssertionError("the picture was handed to Pillow to decode")

    monkeypatch.setattr(Image.Image, "load", decoded)
    monkeypatch.setattr(ImageFile.ImageFile, "load", decoded)
    monkeypatch.setattr(Image, "open", decoded)


@pytest.mark.parametrize(
    "content",
    [
        png_claiming(8000, 9000),
        gif_claiming((8000, 9000), (1, 1)),
        gif_claiming((1, 1), (8000, 9000)),  # Pillow widens the canvas to take in the first frame
        jpeg_claiming(60000, 60000),  # too large even decoded at an eighth of its size
        webp_claiming(8000, 9000),  # libwebp would allocate this canvas as soon as Pillow opened the file
    ],
    ids=["png", "gif-screen", "gif-frame", "jpeg", "webp"],
)
def test_a_teacher_logging_a_concern_is_not_left_waiting_by_a_picture_that_would_exhaust_memory(
    world, decoding_forbidden, content
):
    client = signed_in_client(world.teacher)
    page = client.get("/concerns/new/").content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]

    response = client.post(
        "/concerns/new/",
        {"school": str(world.northfield.uuid), "submission_key": key, "attachments": upload("bruise", content)},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "bruise is too large a picture to take (" in page and "pixels; the most is 40 million)" in page
    assert "Send a smaller copy" in page
    assert not Attachment.objects.exists()


def test_a_teacher_sending_ten_photos_at_once_has_each_one_released_before_the_next_is_decoded(world, monkeypatch):
    opened = []
    alive_at_each_open = []
    real_open = Image.open

    def tracked_open(*args, **kwargs):
        alive_at_each_open.append(sum(1 for image in opened if image() is not None))
        image = real_open(*args, **kwargs)
        opened.append(weakref.ref(image))
        return image

    monkeypatch.setattr(Image, "open", tracked_open)
    photos = [SimpleUploadedFile(f"photo{number}.png", png_bytes(), "image/png") for number in range(10)]
    gc.disable()  # what is released must be released at once, not when the collector comes round
    try:
        refused = draft_attachments_add(
            author=world.teacher, draft=draft_for(author=world.teacher, school=world.northfield), files=photos
        )
    finally:
        gc.enable()

    assert refused == []
    assert Attachment.objects.count() == 10
    assert alive_at_each_open == [0] * 10


@pytest.mark.parametrize(
    ("mode", "image_format"),
    [
        ("RGB", "JPEG"),
        ("L", "JPEG"),
        ("CMYK", "JPEG"),
        ("RGBA", "PNG"),
        ("I;16", "PNG"),
        ("P", "GIF"),
        ("RGB", "WEBP"),
        ("RGBA", "WEBP"),
    ],
)
def test_a_teacher_s_ordinary_photos_are_still_accepted_and_drawn_afresh(mode, image_format):
    picture = Image.new(mode, (30, 20))
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    picture.save(buffer, format=image_format, exif=exif)

    checked = attachment_check(name="photo", content=buffer.getvalue())

    with Image.open(io.BytesIO(checked.content)) as kept:
        assert kept.format == image_format and kept.size == (30, 20)
        assert not kept.getexif()


# --- PDF -----------------------------------------------------------------------------------------------------------


PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


def catalogue(extra: bytes) -> bytes:
    return b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>"


def link(action: bytes) -> bytes:
    return b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 20] /A " + action + b" >>"


PDF_TRICKS = {
    "open-action-written-with-escapes": pdf(
        catalogue(b"/Open#41ction << /S /Java#53cript /J#53 (app.alert(1)) >>"), PAGES
    ),
    "open-action-to-a-web-page": pdf(catalogue(b"/Open#41ction << /S /URI /URI (https://example.test/t) >>"), PAGES),
    "go-to-with-a-script-chained": pdf(
        catalogue(b"/Open#41ction << /S /GoTo /D [0 /Fit] /Next 3 0 R >>"),
        PAGES,
        b"<< /S /URI /URI (https://example.test/t) >>",
    ),
    "launch-written-with-escapes": pdf(catalogue(b""), PAGES, link(b"<< /S /L#61unch /F (cmd.exe) >>")),
    "javascript-in-an-object-stream": pdf_with_an_object_stream(
        catalogue(b"/Names << /Java#53cript 3 0 R >>"),
        PAGES,
        b"<< /Names [(run) 4 0 R] >>",
        b"<< /S /Java#53cript /J#53 (app.launchURL('https://example.test')) >>",
    ),
    "additional-actions-on-a-page": pdf(
        catalogue(b""),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] /A#41 << /O << /S /URI /URI (https://example.test) >> >> >>",
    ),
    "embedded-file": pdf(
        catalogue(b"/Names << /Embedded#46iles << /Names [(a.exe) 3 0 R] >> >>"),
        PAGES,
        b"<< /Type /Filespec /F (a.exe) /E#46 << /F 4 0 R >> >>",
        b"<< /Length 2 >>\nstream\nMZ\nendstream",
    ),
    "xfa-form": pdf(
        catalogue(b"/AcroForm << /Fields [] /XFA 3 0 R >>"), PAGES, b"<< /Length 0 >>\nstream\n\nendstream"
    ),
    "rich-media": pdf(catalogue(b""), PAGES, b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>"),
    "submit-form": pdf(
        catalogue(b""), PAGES, link(b"<< /S /SubmitForm /F << /FS /URL /F (https://example.test) >> >>")
    ),
    "import-data": pdf(catalogue(b""), PAGES, link(b"<< /S /ImportData /F (answers.fdf) >>")),
    "remote-go-to": pdf(
        catalogue(b""), PAGES, link(b"<< /S /GoToR /F (\\\\\\\\server\\\\share\\\\a.pdf) /D [0 /Fit] >>")
    ),
    "embedded-go-to": pdf(catalogue(b""), PAGES, link(b"<< /S /GoToE /T << /R /C /N (a.pdf) >> /D [0 /Fit] >>")),
}


@pytest.mark.parametrize("content", PDF_TRICKS.values(), ids=PDF_TRICKS.keys())
def test_a_dsl_opening_an_attached_pdf_is_not_exposed_to_scripts_actions_or_files_inside_it(content):
    with pytest.raises(AttachmentRefused) as refused:
        attachment_check(name="minutes.pdf", content=content)

    assert str(refused.value) == (
        "minutes is a PDF with scripts, actions or files inside it, which are not accepted. Print it to a new PDF."
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            pdf(
                catalogue(b""),
                PAGES,
                trailer=b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"00" * 32, b"00" * 32),
            ),
            "minutes is encrypted (protected with a password, or against copying), so it cannot be checked",
        ),
        (b"%PDF-1.7\n1 0 obj\n%%EOF\n", "minutes could not be read as a PDF"),
        (b"%PDF-1.7\n1 0 obj << /Kids [" + b"[" * 5000 + b"\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "read"),
        (pdf(catalogue(b""), PAGES, *[b"[0]"] * 50_000), "minutes has too many parts to be checked (more than 50,000)"),
    ],
    ids=["encrypted", "no-objects", "nested-too-deep", "too-many-objects"],
)
def test_a_dsl_is_not_sent_a_pdf_that_could_not_be_checked(content, message):
    with pytest.raises(AttachmentRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        attachment_check(name="minutes.pdf", content=content)


def test_a_teacher_s_plain_pdf_with_a_link_and_an_opening_page_is_still_accepted():
    text = b"BT /F1 12 Tf 72 770 Td (Jade said she was scared to go home.) Tj ET"
    content = pdf(
        catalogue(b"/OpenAction [3 0 R /Fit]"),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R] >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        link(b"<< /S /URI /URI (https://www.gov.uk/government/publications/working-together-to-safeguard-children) >>"),
    )

    assert attachment_check(name="minutes.pdf", content=content).content_type == PDF


def test_a_teacher_s_pdf_with_its_objects_compressed_is_still_accepted():
    content = pdf_with_an_object_stream(catalogue(b"/OpenAction << /S /GoTo /D [0 /Fit] >>"), PAGES)

    assert attachment_check(name="minutes.pdf", content=content).content_type == PDF


# --- Word ----------------------------------------------------------------------------------------------------------


def document_relationships(*extra: tuple[str, str, str]) -> str:
    return relationships(("styles", "styles.xml", ""), *extra)


FETCHES = "fetches content kept elsewhere"
EMBEDS = "has other files or controls embedded in it"
MACROS = "contains macros"
UNREADABLE = "could not be read as a Word document"
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Relationships>&c;</Relationships>'
)

DOCX_TRICKS = {
    "remote-template": (
        docx(
            {
                "word/settings.xml": "<w:settings/>",
                "word/_rels/settings.xml.rels": relationships(
                    ("attachedTemplate", "https://example.test/letter.dotm", "External")
                ),
            }
        ),
        FETCHES,
    ),
    "picture-linked-from-a-share": (
        docx({"word/_rels/document.xml.rels": document_relationships(("image", "\\\\server\\p.png", "External"))}),
        FETCHES,
    ),
    "hyperlink-to-a-file-share": (
        docx({"word/_rels/document.xml.rels": document_relationships(("hyperlink", "file://server/a", "External"))}),
        FETCHES,
    ),
    "ole-object": (
        docx(
            {
                "word/_rels/document.xml.rels": document_relationships(("oleObject", "embeddings/oleObject1.bin", "")),
                "word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0",
            }
        ),
        EMBEDS,
    ),
    "embedded-package-without-a-relationship": (
        docx({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": b"PK\x03\x04"}),
        EMBEDS,
    ),
    "activex-control": (
        docx({"word/_rels/document.xml.rels": document_relationships(("control", "activeX/activeX1.xml", ""))}),
        EMBEDS,
    ),
    "imported-chunk": (
        docx({"word/_rels/document.xml.rels": document_relationships(("aFChunk", "page.mht", ""))}),
        EMBEDS,
    ),
    "macro-enabled-content-type": (
        docx({"[Content_Types].xml": content_types(main="application/vnd.ms-word.document.macroEnabled.main+xml")}),
        MACROS,
    ),
    "macro-project-under-another-name": (
        docx(
            {
                "word/_rels/document.xml.rels": document_relationships(
                    ("http://schemas.microsoft.com/office/2006/relationships/vbaProject", "notes.dat", "")
                ),
                "word/notes.dat": b"\xd0\xcf\x11\xe0",
            }
        ),
        MACROS,
    ),
    "entity-expansion": (docx({"_rels/.rels": LAUGHS}), UNREADABLE),
    "malformed-relationships": (docx({"_rels/.rels": "<Relationships><Relationship"}), UNREADABLE),
    "too-many-parts": (docx({f"word/media/image{number}.png": b"" for number in range(1000)}), "unpacks to more"),
}


@pytest.mark.parametrize(("content", "message"), DOCX_TRICKS.values(), ids=DOCX_TRICKS.keys())
def test_a_dsl_opening_an_attached_word_document_is_not_exposed_to_what_it_would_run_or_fetch(content, message):
    with pytest.raises(AttachmentRefused, match=f"^letter {message}"):
        attachment_check(name="letter.docx", content=content)


def test_a_dsl_opening_an_attached_word_document_is_not_hit_by_a_zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", content_types())
        archive.writestr("word/document.xml", DOCUMENT)
        with archive.open("word/media/image1.png", "w") as padding:
            for _ in range(101):
                padding.write(bytes(1024 * 1024))

    with pytest.raises(AttachmentRefused, match=r"^letter unpacks to more than"):
        attachment_check(name="letter.docx", content=buffer.getvalue())


def test_a_teacher_s_plain_word_document_with_web_and_email_links_is_still_accepted():
    assert attachment_check(name="letter.docx", content=docx()).content_type == DOCX


def upload(name: str, content: bytes) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


def jpeg_photo(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 90)).save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()


def test_a_teachers_full_size_phone_photo_is_kept_smaller_rather_than_refused(monkeypatch):
    """A phone's 48-megapixel photo is over the limit; a JPEG is decoded at a fraction of its size instead, so it is
    kept without ever being decoded whole (the limit is lowered here so the test's own photo stays small)."""
    monkeypatch.setattr("referrals.attachments.MAX_PIXELS", 1_000_000)

    checked = attachment_check(name="bruise.jpg", content=jpeg_photo(2000, 1500))  # 3 million pixels

    with Image.open(io.BytesIO(checked.content)) as kept:
        assert kept.size == (1000, 750)  # half each way: the largest that fits a million
    assert checked.content_type == "image/jpeg"


def test_a_jpeg_too_large_even_at_an_eighth_of_its_size_is_refused_before_decoding(decoding_forbidden):
    with pytest.raises(AttachmentRefused, match="too large a picture to take"):
        attachment_check(name="huge.jpg", content=jpeg_claiming(60000, 60000))


def test_a_dsl_is_not_sent_an_old_word_file_that_could_not_be_checked():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 64

    with pytest.raises(AttachmentRefused, match=r"older Word \(\.doc\) file"):
        attachment_check(name="letter.doc", content=ole)
