"""PDF and Word files written out by hand, small enough to read in a test: a trick at a time, or a plain one."""

import io
import zipfile
import zlib


def pdf(*objects: bytes, trailer: bytes = b"") -> bytes:
    """A PDF written out by hand: objects numbered from 1 (the first the catalogue), a cross-reference table and a
    trailer."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, table)
    return bytes(out)


def pdf_with_an_object_stream(*objects: bytes) -> bytes:
    """Objects 1 to n compressed into one object stream (n + 1), found through a cross-reference stream (n + 2):
    none of their bytes can be read in the file as it is."""
    count = len(objects)
    offsets, body = [], b""
    for item in objects:
        offsets.append(len(body))
        body += item + b"\n"
    index = b" ".join(b"%d %d" % (number, offset) for number, offset in enumerate(offsets, start=1)) + b"\n"
    packed = zlib.compress(index + body)
    out = bytearray(b"%PDF-1.7\n")
    stream_at = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        count + 1,
        count,
        len(index),
        len(packed),
    )
    out += packed + b"\nendstream\nendobj\n"
    table_at = len(out)
    rows = [b"\x00" + bytes(4) + b"\xff\xff"]
    rows += [b"\x02" + (count + 1).to_bytes(4) + number.to_bytes(2) for number in range(count)]
    rows += [b"\x01" + stream_at.to_bytes(4) + bytes(2), b"\x01" + table_at.to_bytes(4) + bytes(2)]
    table = b"".join(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        count + 2,
        count + 3,
        len(table),
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % table_at
    return bytes(out)


PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def content_types(main: str = MAIN, extra: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{extra}'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
    )


def relationships(*entries: tuple[str, str, str]) -> str:
    """Relationship parts from (type, target, mode) triples; the type is short for one in the Office namespace."""
    rows = "".join(
        f'<Relationship Id="rId{number}" Type="{kind if "://" in kind else f"{OFFICE}/{kind}"}" Target="{target}"'
        + (f' TargetMode="{mode}"' if mode else "")
        + "/>"
        for number, (kind, target, mode) in enumerate(entries, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}/relationships">{rows}</Relationships>'
    )


DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml'
    '/2006/main" xmlns:r="' + OFFICE + '"><w:body><w:p><w:r><w:t>Notes of the meeting with Jade.</w:t></w:r></w:p>'
    '<w:p><w:hyperlink r:id="rId2"><w:r><w:t>Working Together</w:t></w:r></w:hyperlink></w:p></w:body></w:document>'
)


def docx(parts: dict[str, str | bytes] | None = None) -> bytes:
    """A Word file built in memory: the parts a plain document has, with the ones given added or replaced."""
    files = {
        "[Content_Types].xml": content_types(),
        "_rels/.rels": relationships(("officeDocument", "word/document.xml", "")),
        "word/document.xml": DOCUMENT,
        "word/_rels/document.xml.rels": relationships(
            ("styles", "styles.xml", ""),
            (
                "hyperlink",
                "https://www.gov.uk/government/publications/working-together-to-safeguard-children",
                "External",
            ),
            ("hyperlink", "mailto:dsl@northfield.example", "External"),
        ),
        "word/styles.xml": '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
    }
    files.update(parts or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()
