"""Benchmark: the secure upload page, in-process through the Chalice app, against moto's server on loopback.

Measures, in one run:
- what a phone downloads to open the page (HTML and script, raw and gzip-compressed, and how many requests);
- AWS calls per page open, per announced upload and per confirmation, counted with botocore ``before-send`` hooks;
- p50/p99 of a confirmation of a 1 MB PDF (read back, sniff, checksum, store, checklist, audit), interleaved with
  the bare S3 GET + PUT of the same bytes that it cannot do without, for the ratio;
- removing location metadata from a 5 MB photo, against hashing the same bytes (both are one pass over them).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

from bench.measure import CallCounter, timing

if TYPE_CHECKING:
    from bench.environment import LocalAws

ITERATIONS = 40
WARMUP = 5
PDF_BYTES = 1024 * 1024


def _pdf() -> bytes:
    """A real one-page PDF of about 1 MB (the upload is parsed, so magic bytes alone would be refused): the page's
    content stream carries the bulk, as a scan's image would."""
    content = b"q Q\n" * ((PDF_BYTES - 600) // 4)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _photo() -> bytes:
    """A 5 MB JPEG-shaped file with an EXIF segment carrying a GPS IFD (the scan data is filler)."""
    exif = b"Exif\x00\x00II*\x00\x08\x00\x00\x00"  # TIFF header, IFD0 at 8
    exif += b"\x01\x00\x25\x88\x04\x00\x01\x00\x00\x00\x1a\x00\x00\x00\x00\x00\x00\x00"  # GPS IFD pointer
    exif += b"\x01\x00\x01\x00\x02\x00\x02\x00\x00\x00N\x00\x00\x00\x00\x00"  # GPSLatitudeRef N
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app1 + sos + b"\x55" * (5 * 1024 * 1024) + b"\xff\xd9"


def _new_case(c: Any, serial: int) -> tuple[str, str]:
    """A case with its first item requested, and a fresh link to it."""
    from chalicelib.catalogue import load_catalogue
    from chalicelib.domain.cases import Case, CaseApplicant, CaseStatus
    from chalicelib.domain.catalogue import Procedure
    from chalicelib.domain.checklist import Checklist
    from chalicelib.domain.upload_links import LinkPurpose
    from chalicelib.services.uploads.page import issue_link

    now = int(time.time() * 1000)
    spec = load_catalogue().procedure("studio", Procedure.RINNOVO)
    applicant = CaseApplicant(f"+39333{serial:07d}", f"39333{serial:07d}", None, "Bench", "en")
    checklist = Checklist.for_procedure(spec)
    code = checklist.missing_codes()[0]
    case = Case(
        f"AN-B{serial:07d}", "AN", Procedure.RINNOVO, "studio", applicant,
        checklist.request([code], now), CaseStatus.AWAITING_DOCUMENTS, now, now, now,
    )  # fmt: skip
    stored = c.cases.add(case, [])
    return code, issue_link(c.upload_deps, stored, LinkPurpose.CHAT).token


def _strip_figures() -> dict[str, Any]:
    from chalicelib.domain.photo_metadata import strip_location

    photo = _photo()
    strip: list[float] = []
    hashing: list[float] = []
    for _ in range(20):
        start = time.perf_counter()
        strip_location(photo, "image/jpeg")
        strip.append(time.perf_counter() - start)
        start = time.perf_counter()
        hashlib.sha256(photo).hexdigest()
        hashing.append(time.perf_counter() - start)
    return {"strip": timing(strip), "sha256": timing(hashing), "photo_mb": len(photo) / 1024 / 1024}


class Journey:
    """The page's three calls through the app, and the browser's upload as the bare S3 put it is."""

    def __init__(self, client: Any, s3: Any, bucket: str, pdf: bytes) -> None:
        self.client, self.s3, self.bucket, self.pdf = client, s3, bucket, pdf
        self.digest = hashlib.sha256(pdf).hexdigest()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body))

    def announce(self, token: str, code: str) -> dict[str, Any]:
        body = {"item": code, "content_type": "application/pdf", "size": len(self.pdf)}
        response = self._post(f"/u/{token}/uploads", body)
        assert response.status_code == 201, response.body
        ticket: dict[str, Any] = json.loads(response.body)
        self.s3.put_object(Bucket=self.bucket, Key=ticket["form"]["fields"]["key"], Body=self.pdf)  # the browser's
        return ticket

    def confirm(self, token: str, upload_id: str) -> float:
        start = time.perf_counter()
        response = self._post(f"/u/{token}/uploads/{upload_id}", {"sha256": self.digest})
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.body
        return elapsed

    def bare(self, i: int) -> float:
        start = time.perf_counter()
        self.s3.put_object(Bucket=self.bucket, Key=f"bench/{i}", Body=self.pdf)
        self.s3.get_object(Bucket=self.bucket, Key=f"bench/{i}")["Body"].read()
        return time.perf_counter() - start


def run(local: LocalAws) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    from chalice.test import Client

    from app import app
    from chalicelib.adapters.dynamo.models import ALL_MODELS
    from chalicelib.bootstrap import container

    c = container()
    counter = CallCounter()
    for model in ALL_MODELS:
        model._get_connection().connection.client.meta.events.register("before-send", counter)
    c.client("s3").meta.events.register("before-send", counter)
    serial = iter(range(10**9))
    s3 = local.session.client("s3", region_name=local.region)
    with Client(app, stage_name="dev", project_dir=str(local.root)) as client:
        journey = Journey(client, s3, c.settings.media_bucket, _pdf())
        _, token = _new_case(c, next(serial))
        page, script = client.http.get(f"/u/{token}").body, client.http.get("/assets/upload.js").body
        weight = {"html": len(page), "html_gz": len(gzip.compress(page))}
        weight |= {"js": len(script), "js_gz": len(gzip.compress(script))}
        calls: dict[str, int] = {}
        timed: list[float] = []
        bare_timed: list[float] = []
        for i in range(WARMUP + ITERATIONS):
            code, token = _new_case(c, next(serial))
            counter.calls = 0
            client.http.get(f"/u/{token}")
            calls["page"] = counter.calls
            counter.calls = 0
            ticket = journey.announce(token, code)
            calls["announce"] = counter.calls  # the browser's put goes through another client: not counted
            counter.calls = 0
            elapsed = journey.confirm(token, ticket["upload_id"])
            calls["confirm"] = counter.calls
            bare_elapsed = journey.bare(i)
            if i >= WARMUP:
                timed.append(elapsed)
                bare_timed.append(bare_elapsed)
    figures = {"weight": weight, "calls": calls, "confirm": timing(timed), "bare": timing(bare_timed)}
    return figures | _strip_figures()


def report(figures: dict[str, Any], emit: Any = print) -> None:
    """The figures as Markdown."""
    w = figures["weight"]
    emit("| what the phone downloads | bytes | gzip |\n|---|---|---|")
    emit(f"| page (HTML, inline style) | {w['html']} | {w['html_gz']} |")
    emit(f"| script (`/assets/upload.js`) | {w['js']} | {w['js_gz']} |")
    emit(f"| **total, 2 requests** | {w['html'] + w['js']} | {w['html_gz'] + w['js_gz']} |\n")
    calls = figures["calls"]
    emit(
        f"- AWS calls: page open **{calls['page']}**, announcing an upload **{calls['announce']}**, "
        f"confirming one **{calls['confirm']}**."
    )
    confirm, bare = figures["confirm"], figures["bare"]
    emit("\n| measure | p50 (ms) | p99 (ms) | n |\n|---|---|---|---|")
    emit(f"| bare S3 PUT + GET of 1 MB (boto3 → moto server) | {bare.p50:.2f} | {bare.p99:.2f} | {bare.n} |")
    emit(f"| confirm a 1 MB PDF (`POST /u/{{token}}/uploads/{{id}}`) | {confirm.p50:.2f} | {confirm.p99:.2f} | "
         f"{confirm.n} |")  # fmt: skip
    emit(f"| strip location from a {figures['photo_mb']:.0f} MB photo | {figures['strip'].p50:.2f} | "
         f"{figures['strip'].p99:.2f} | {figures['strip'].n} |")  # fmt: skip
    emit(f"| SHA-256 of the same photo | {figures['sha256'].p50:.2f} | {figures['sha256'].p99:.2f} | "
         f"{figures['sha256'].n} |\n")  # fmt: skip
    emit(
        f"- confirm p50 / bare PUT+GET p50 = **{confirm.p50 / bare.p50:.2f}**; p99 ratio {confirm.p99 / bare.p99:.2f}."
    )
    emit(f"- strip / SHA-256 at p50 = **{figures['strip'].p50 / figures['sha256'].p50:.2f}**.")
