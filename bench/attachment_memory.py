"""Peak memory of a web process checking pictures attached to a concern: each case in a fresh Python process, which
reports its resident set before the check and at its peak (ru_maxrss). Reports only: nothing here fails.

    .venv/bin/python bench/attachment_memory.py [--source DIR]

--source measures the referrals/attachments.py of another tree, to compare with an earlier commit:

    mkdir /tmp/before && git archive COMMIT referrals | tar -x -C /tmp/before
    .venv/bin/python bench/attachment_memory.py --source /tmp/before

On 2 cores, before the header check (a793a24) and after it:
    8000x9000 PNG (205 KB), 1 or 10 in one request: peak 1,058 MB from 27 MB, kept   -> 35 MB from 35 MB, refused
    6000x6000 PNG (102 KB), 1 or 10 in one request: peak 543 MB from 27 MB, kept     -> 311 MB from 35 MB, kept
A phone's 8000x6000 JPEG (752 KB), decoded at half its size since: peak 205 MB from 36 MB, kept at 4000x3000.
"""

import argparse
import io
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from referrals.attachments import AttachmentRefused, attachment_check
content = open(sys.argv[2], "rb").read()
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before = rss_mb()
outcomes = []
for number in range(int(sys.argv[3])):
    try:
        attachment_check(name=f"photo{number}.png", content=content)
        outcomes.append("kept")
    except AttachmentRefused:
        outcomes.append("refused")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"before_mb": round(before), "peak_mb": round(peak), "outcomes": sorted(set(outcomes))}))
"""


def png_of_zeros(width: int, height: int) -> bytes:
    """A real, decodable RGB PNG of black pixels, compressed a row at a time so that building it takes no memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = bytes(1 + 3 * width)  # filter byte, then the pixels
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def measure(source: Path, picture: Path, times: int) -> dict:
    command = [sys.executable, "-c", CHILD, str(source), str(picture), str(times)]
    finished = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603 - our own code
    return json.loads(finished.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="the tree whose attachments.py is measured")
    source = parser.parse_args().source.resolve()
    with tempfile.TemporaryDirectory() as folder:
        for width, height in ((8000, 9000), (6000, 6000)):
            picture = Path(folder) / f"{width}x{height}.png"
            picture.write_bytes(png_of_zeros(width, height))
            size_kb = picture.stat().st_size // 1024
            for times in (1, 10):
                result = measure(source, picture, times)
                print(
                    f"{width}x{height} PNG ({size_kb} KB), {times:>2} in one request: "
                    f"{result['before_mb']} MB before, peak {result['peak_mb']} MB, {'/'.join(result['outcomes'])}"
                )
        # A phone's full-size 48-megapixel photo: kept, decoded at half its size.
        picture = Path(folder) / "8000x6000.jpg"
        picture.write_bytes(phone_photo(8000, 6000))
        size_kb = picture.stat().st_size // 1024
        result = measure(source, picture, 1)
        print(
            f"8000x6000 JPEG ({size_kb} KB), one photo: "
            f"{result['before_mb']} MB before, peak {result['peak_mb']} MB, {'/'.join(result['outcomes'])}"
        )


def phone_photo(width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (120, 160, 90))
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, width // 2, height // 2), fill=(200, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
