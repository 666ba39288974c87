#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of the HTTP request fuzzer (corpus/http_request):
one raw HTTP/1.1 request per file, for every kind of route and every header
the server reads. The token and UIDs are those of http_request_harness.hpp.
Run it again after changing a seed here; the fuzzer's own finds stay in its
build folder, never here."""
import json
import os
import struct
import sys

TOKEN = "fuzz-bootstrap-token-0123456789abcdef"
STUDY = "1.2.826.0.1.3680043.10.543.1"
SERIES = STUDY + ".1"
IMAGE = SERIES + ".1"
IMAGE2 = SERIES + ".2"
AUTH = "Authorization: Bearer " + TOKEN
WADO = f"/dicom-web/studies/{STUDY}/series/{SERIES}/instances/{IMAGE}"


def request(method, target, headers=(), body=b"", version="1.1"):
    lines = [f"{method} {target} HTTP/{version}", "Host: cloudfilm.test"] + list(headers)
    if body and not any(h.lower().startswith("transfer-encoding") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def element(group, elem, vr, value):
    if len(value) % 2:
        value += b"\0" if vr == "UI" else b" "
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value


def tiny_dicom(sop):
    """A Secondary Capture object with 2x2 16-bit pixels, explicit VR LE."""
    sc = b"1.2.840.10008.5.1.4.1.1.7"
    meta = (element(0x0002, 0x0001, "OB", b"\0\1")
            + element(0x0002, 0x0002, "UI", sc)
            + element(0x0002, 0x0003, "UI", sop.encode())
            + element(0x0002, 0x0010, "UI", b"1.2.840.10008.1.2.1"))
    meta = element(0x0002, 0x0000, "UL", struct.pack("<I", len(meta))) + meta
    data = (element(0x0008, 0x0016, "UI", sc)
            + element(0x0008, 0x0018, "UI", sop.encode())
            + element(0x0008, 0x0060, "CS", b"OT")
            + element(0x0010, 0x0010, "PN", b"Fuzz^Patient")
            + element(0x0010, 0x0020, "LO", b"FUZZ-1")
            + element(0x0020, 0x000D, "UI", STUDY.encode())
            + element(0x0020, 0x000E, "UI", SERIES.encode())
            + element(0x0028, 0x0002, "US", struct.pack("<H", 1))
            + element(0x0028, 0x0004, "CS", b"MONOCHROME2")
            + element(0x0028, 0x0010, "US", struct.pack("<H", 2))
            + element(0x0028, 0x0011, "US", struct.pack("<H", 2))
            + element(0x0028, 0x0100, "US", struct.pack("<H", 16))
            + element(0x0028, 0x0101, "US", struct.pack("<H", 12))
            + element(0x0028, 0x0102, "US", struct.pack("<H", 11))
            + element(0x0028, 0x0103, "US", struct.pack("<H", 0))
            + element(0x7FE0, 0x0010, "OW", struct.pack("<4H", 1, 2, 3, 4)))
    return b"\0" * 128 + b"DICM" + meta + data


def multipart(boundary, parts):
    out = b""
    for content_type, body in parts:
        out += f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode() + body + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def chunked(body):
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


def seeds():
    json_type = "Content-Type: application/json"
    stow_type = 'Content-Type: multipart/related; type="application/dicom"; boundary=seedboundary'
    stow_body = multipart("seedboundary", [("application/dicom", tiny_dicom(SERIES + ".9"))])
    yield "healthz", request("GET", "/healthz")
    yield "anonymous-studies", request("GET", "/dicom-web/studies")
    yield "qido-studies", request("GET", "/dicom-web/studies?PatientName=Fuzz*&limit=5&offset=0"
                                  "&includefield=all&fuzzymatching=true&StudyDate=20200101-",
                                  [AUTH, "Accept: application/dicom+json"])
    yield "qido-series", request("GET", f"/dicom-web/studies/{STUDY}/series?Modality=OT"
                                 "&00400275.00401001=x", [AUTH])
    yield "qido-instances", request("GET", f"/dicom-web/instances?SOPInstanceUID={IMAGE}", [AUTH])
    yield "api-studies", request("GET", "/api/studies?date=20200101-20241231&modality=CT"
                                 "&name=F%2Auzz&limit=1000&offset=0", [AUTH])
    yield "api-patients", request("GET", "/api/patients?patient_id=FUZZ-1&name=Fuzz%5EPatient",
                                  [AUTH])
    yield "api-study", request("GET", f"/api/studies/{STUDY}", [AUTH])
    yield "api-instance", request("GET", f"/api/instances/{IMAGE}", [AUTH])
    yield "api-file", request("GET", f"/api/instances/{IMAGE}/file?version=1"
                              "&transfer-syntax=1.2.840.10008.1.2.4.80",
                              [AUTH, 'If-None-Match: "abc", W/"def"'])
    yield "api-system", request("GET", "/api/system", [AUTH])
    yield "api-audit", request("GET", f"/api/audit?study={STUDY}&action=view&outcome=success"
                               "&from=20200101&to=20301231&limit=10", [AUTH])
    yield "wado-study", request("GET", f"/dicom-web/studies/{STUDY}", [
        AUTH, 'Accept: multipart/related; type="application/dicom"; transfer-syntax=*, '
        'application/dicom;q=0.5'])
    yield "wado-instance", request("GET", WADO, [
        AUTH, 'Accept: multipart/related; type="application/dicom"; '
        'transfer-syntax=1.2.840.10008.1.2.4.201'])
    yield "wado-metadata", request("GET", f"/dicom-web/studies/{STUDY}/metadata",
                                   [AUTH, "Accept: application/dicom+json",
                                    "Accept-Encoding: gzip;q=1.0, identity;q=0.5"])
    yield "wado-frames", request("GET", WADO + "/frames/1", [
        AUTH, 'Accept: multipart/related; type="application/octet-stream"; transfer-syntax=*'])
    yield "wado-frames-jls", request("GET", WADO + "/frames/1", [
        AUTH, 'Accept: multipart/related; type="image/jls"; q=0.9, image/*'])
    yield "wado-bulkdata", request("GET", WADO + "/bulkdata/7FE00010",
                                   [AUTH, "Range: bytes=2-5",
                                    'Accept: multipart/related; type="application/octet-stream"'])
    yield "wado-bulkdata-suffix", request("GET", WADO + "/bulkdata/7fe00010",
                                          [AUTH, "Range: bytes=-3"])
    yield "rendered", request("GET", WADO + "/rendered?quality=80&window=100,200,linear"
                              "&viewport=64,32,0,0,2,2", [AUTH, "Accept: image/png"])
    yield "rendered-frame", request("GET", WADO + "/frames/1/rendered?window=0,1,sigmoid",
                                    [AUTH, "Accept: image/jpeg"])
    yield "thumbnail", request("GET", f"/dicom-web/studies/{STUDY}/series/{SERIES}/thumbnail",
                               [AUTH, "Accept: */*"])
    yield "wado-uri", request("GET", f"/wado?requestType=WADO&studyUID={STUDY}"
                              f"&seriesUID={SERIES}&objectUID={IMAGE2}"
                              "&contentType=application%2Fdicom&transferSyntax=*", [AUTH])
    yield "wado-uri-jpeg", request("GET", f"/wado?requestType=WADO&studyUID={STUDY}"
                                   f"&seriesUID={SERIES}&objectUID={IMAGE}"
                                   "&contentType=image/jpeg&rows=16&columns=16"
                                   "&windowCenter=5&windowWidth=10&frameNumber=1", [AUTH])
    yield "stow", request("POST", "/dicom-web/studies", [AUTH, stow_type,
                                                         "Accept: application/dicom+json"],
                          stow_body)
    yield "stow-study", request("POST", f"/dicom-web/studies/{STUDY}",
                                [AUTH, 'Content-Type: multipart/related; type="application/dicom"; '
                                 'boundary="quoted boundary"'],
                                multipart("quoted boundary",
                                          [("application/dicom", tiny_dicom(SERIES + ".8")),
                                           ("application/dicom", tiny_dicom("1..2"))]))
    yield "stow-chunked", request("POST", "/dicom-web/studies",
                                  [AUTH, stow_type, "Transfer-Encoding: chunked"],
                                  chunked(stow_body))
    yield "login", request("POST", "/api/auth/login", [json_type, "User-Agent: seed"],
                           json.dumps({"login": "dr.seed", "password": "seed password 1234"})
                           .encode())
    yield "session-me", request("GET", "/api/auth/me", [
        "Cookie: theme=dark; cf_session=cfs_0123456789abcdef_" + "A" * 43 + "; cf_csrf=x"])
    yield "session-post", request("POST", "/api/tokens", [
        "Cookie: cf_session=cfs_0123456789abcdef_" + "B" * 43,
        "X-CSRF-Token: cfc_" + "C" * 43, json_type], b'{"label":"x"}')
    yield "tokens-issue", request("POST", "/api/tokens", [AUTH, json_type], json.dumps(
        {"login": "dr.seed", "label": "seed", "scopes": ["read-images"],
         "expires_in_days": 1}).encode())
    yield "tokens-list", request("GET", "/api/tokens", [AUTH])
    yield "tokens-revoke", request("DELETE", "/api/tokens/0123456789abcdef", [AUTH])
    yield "accounts-create", request("POST", "/api/accounts", [AUTH, json_type], json.dumps(
        {"login": "dr.seed", "role": "doctor", "tenant": "default",
         "password": "seed password 1234"}).encode())
    yield "accounts-list", request("GET", "/api/accounts?tenant=default", [AUTH])
    yield "break-glass", request("POST", "/api/auth/break-glass", [AUTH, json_type], json.dumps(
        {"tenant": "h2", "reason": "emergency in the ward", "minutes": 15}).encode())
    yield "logout", request("POST", "/api/auth/logout", [AUTH])
    yield "head", request("HEAD", f"/api/instances/{IMAGE}/file", [AUTH])
    yield "options", request("OPTIONS", "/dicom-web/studies", [
        "Origin: https://viewer.test", "Access-Control-Request-Method: GET",
        "Access-Control-Request-Headers: authorization, accept"])
    yield "method-not-allowed", request("PUT", "/dicom-web/studies", [AUTH], b"x")
    yield "http10", request("GET", f"/dicom-web/studies/{STUDY}/series/{SERIES}", [AUTH],
                            version="1.0")
    yield "escapes", request("GET", f"/dicom-web/studies/{STUDY.replace('.', '%2E')}/series"
                             "?PatientName=%E5%BC%A0%E4%B8%89&Modality=C%54", [AUTH])
    yield "traversal", request("GET", "/api/instances/..%2F..%2F..%2Fetc%2Fpasswd/file", [AUTH])
    yield "traversal-dots", request("GET", "/dicom-web/../../etc/passwd", [AUTH])
    yield "header-injection", request("GET", "/api/instances/1.2%0D%0ASet-Cookie:%20x=1/file"
                                      "?transfer-syntax=1%0D%0AX:%20y", [AUTH])
    pdf64 = __import__("base64").b64encode(b"%PDF-1.4\n%%EOF\n").decode()
    yield "report-1-preliminary", request("POST", "/api/reports", [AUTH, json_type], json.dumps(
        {"accession": "ACC-1", "kind": "radiology", "status": "preliminary",
         "conclusion": "\u521d\u6b65"}).encode())
    yield "report-2-final", request("POST", "/api/reports", [AUTH, json_type], json.dumps(
        {"study_uid": STUDY, "accession": "ACC-1", "kind": "radiology", "status": "final",
         "sections": [{"title": "Findings", "text": "8 mm nodule"}], "conclusion": "follow up",
         "signer": "Dr Li", "signed_at": "2026-11-29T09:30:00.250+08:00",
         "key_images": [IMAGE], "pdf": pdf64}).encode())
    yield "report-3-amend", request("POST", "/api/reports/1/versions", [AUTH, json_type],
                                  json.dumps({"status": "amended", "conclusion": "9 mm",
                                              "signer": "Dr Li",
                                              "signed_at": "2026-11-29T10:00:00Z"}).encode())
    yield "report-list", request("GET", f"/api/reports?study={STUDY}&accession=ACC-1", [AUTH])
    yield "report-get", request("GET", "/api/reports/1", [AUTH])
    yield "report-pdf", request("GET", "/api/reports/1/versions/2/pdf", [AUTH])
    yield "fhir-report", request("POST", "/fhir/DiagnosticReport",
                                 [AUTH, "Content-Type: application/fhir+json"], json.dumps({
        "resourceType": "DiagnosticReport", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                  "code": "RUS"}]}],
        "code": {"text": "Abdominal ultrasound"},
        "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:" + STUDY},
                       {"type": {"coding": [{"system":
                                             "http://terminology.hl7.org/CodeSystem/v2-0203",
                                             "code": "ACSN"}]}, "value": "ACC-1"}],
        "issued": "2026-11-29T11:00:00+08:00", "resultsInterpreter": [{"display": "Dr Wang"}],
        "conclusion": "normal",
        "presentedForm": [{"contentType": "text/plain; charset=utf-8", "title": "Findings",
                           "data": __import__("base64").b64encode(b"liver normal").decode()},
                          {"contentType": "application/pdf", "data": pdf64}]}).encode())
    yield "film-issue", request("POST", "/api/films", [AUTH, json_type],
                                json.dumps({"study_uid": STUDY}).encode())
    yield "film-list", request("GET", f"/api/films?study={STUDY}", [AUTH])
    yield "film-get", request("GET", "/api/films/0123456789abcdef", [AUTH])
    yield "film-verify", request("GET", "/verify/films/0123456789abcdef")
    session = "Cookie: cf_session=cfs_0123456789abcdef_" + "D" * 43
    csrf = "X-CSRF-Token: cfc_" + "E" * 43
    yield "totp-enroll", request("POST", "/api/auth/totp/enroll", [session, csrf, json_type],
                                 b"{}")
    yield "totp-confirm", request("POST", "/api/auth/totp/confirm", [session, csrf, json_type],
                                  b'{"code":"123456"}')
    yield "totp-disable", request("POST", "/api/auth/totp/disable", [session, csrf, json_type],
                                  b'{"password":"seed password 1234"}')
    yield "login-totp", request("POST", "/api/auth/login", [json_type], json.dumps(
        {"login": "dr.seed", "password": "seed password 1234", "totp": "000000"}).encode())
    yield "bad-escape", request("GET", "/api/studies?name=%zz&limit=%00", [AUTH])


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "http_request")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
