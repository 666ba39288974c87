#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of the Query/Retrieve identifier fuzzer
(corpus/qr_identifier): one request per file, a flags byte then the
identifier as a DIMSE peer sends it (see qr_identifier_harness.hpp for the
flags). The UIDs and IDs are those of two_hospital_catalog.hpp, so that
seeds find something. Run it again after changing a seed here; the
fuzzer's own finds stay in its build folder, never here."""
import os
import struct
import sys

PATIENT_ROOT, RETRIEVE, EXPLICIT, SOUTH, SHARE = 1, 2, 4, 8, 16
SHARED_STUDY = "1.2.826.0.1.3680043.10.543.9.1"
NORTH_STUDY = "1.2.826.0.1.3680043.10.543.9.2"
SOUTH_STUDY = "1.2.826.0.1.3680043.10.543.9.3"

# Keyword: (group, element, VR).
TAGS = {
    "SpecificCharacterSet": (0x0008, 0x0005, "CS"),
    "StudyDate": (0x0008, 0x0020, "DA"),
    "StudyTime": (0x0008, 0x0030, "TM"),
    "AccessionNumber": (0x0008, 0x0050, "SH"),
    "QueryRetrieveLevel": (0x0008, 0x0052, "CS"),
    "RetrieveAETitle": (0x0008, 0x0054, "AE"),
    "InstanceAvailability": (0x0008, 0x0056, "CS"),
    "Modality": (0x0008, 0x0060, "CS"),
    "ModalitiesInStudy": (0x0008, 0x0061, "CS"),
    "ReferringPhysicianName": (0x0008, 0x0090, "PN"),
    "StudyDescription": (0x0008, 0x1030, "LO"),
    "ReferencedStudySequence": (0x0008, 0x1110, "SQ"),
    "SOPClassUID": (0x0008, 0x0016, "UI"),
    "SOPInstanceUID": (0x0008, 0x0018, "UI"),
    "ReferencedSOPClassUID": (0x0008, 0x1150, "UI"),
    "PatientName": (0x0010, 0x0010, "PN"),
    "PatientID": (0x0010, 0x0020, "LO"),
    "IssuerOfPatientID": (0x0010, 0x0021, "LO"),
    "PatientBirthDate": (0x0010, 0x0030, "DA"),
    "PatientSex": (0x0010, 0x0040, "CS"),
    "BodyPartExamined": (0x0018, 0x0015, "CS"),
    "StudyInstanceUID": (0x0020, 0x000D, "UI"),
    "SeriesInstanceUID": (0x0020, 0x000E, "UI"),
    "StudyID": (0x0020, 0x0010, "SH"),
    "SeriesNumber": (0x0020, 0x0011, "IS"),
    "InstanceNumber": (0x0020, 0x0013, "IS"),
    "NumberOfPatientRelatedStudies": (0x0020, 0x1200, "IS"),
    "NumberOfStudyRelatedSeries": (0x0020, 0x1206, "IS"),
    "NumberOfStudyRelatedInstances": (0x0020, 0x1208, "IS"),
    "NumberOfSeriesRelatedInstances": (0x0020, 0x1209, "IS"),
    "Rows": (0x0028, 0x0010, "US"),
    "Columns": (0x0028, 0x0011, "US"),
    "NumberOfFrames": (0x0028, 0x0008, "IS"),
    "PrivateCreator": (0x0009, 0x0010, "LO"),
    "PrivateValue": (0x0009, 0x1001, "LO"),
}
LONG_LENGTH = ("OB", "OW", "SQ", "UN", "UT", "UC", "UR")


def pad(value, vr):
    if len(value) % 2:
        value += b"\0" if vr == "UI" else b" "
    return value


def element(keyword, value, explicit):
    """One element; `value` is bytes, or a list of items (each a list of
    elements) for a sequence, written with undefined lengths."""
    group, elem, vr = TAGS[keyword]
    if isinstance(value, list):
        body = b""
        for item in value:
            body += struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
            body += b"".join(element(k, v, explicit) for k, v in item)
            body += struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
        body += struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
        length = 0xFFFFFFFF
    else:
        body = pad(value if vr != "US" else struct.pack("<H", int(value or b"0")), vr)
        if vr == "US" and not value:
            body = b""
        length = len(body)
    if not explicit:
        return struct.pack("<HHI", group, elem, length) + body
    if vr in LONG_LENGTH:
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, length) + body
    return struct.pack("<HH2sH", group, elem, vr.encode(), length) + body


def identifier(flags, elements):
    explicit = bool(flags & EXPLICIT)
    ordered = sorted(elements, key=lambda kv: TAGS[kv[0]][:2])
    return bytes([flags]) + b"".join(element(k, v, explicit) for k, v in ordered)


def text(s, encoding="ascii"):
    return s.encode(encoding)


SEEDS = {
    "find-study-root-studies-implicit": identifier(0, [
        ("QueryRetrieveLevel", b"STUDY"), ("PatientName", b"*"), ("PatientID", b""),
        ("StudyInstanceUID", b""), ("StudyDate", b"20250101-"), ("StudyTime", b""),
        ("AccessionNumber", b""), ("ModalitiesInStudy", b""), ("StudyDescription", b""),
        ("NumberOfStudyRelatedSeries", b""), ("NumberOfStudyRelatedInstances", b""),
        ("RetrieveAETitle", b""), ("InstanceAvailability", b"")]),
    "find-patient-root-patients-explicit": identifier(PATIENT_ROOT | EXPLICIT, [
        ("QueryRetrieveLevel", b"PATIENT"), ("PatientID", b"P0"), ("PatientName", b""),
        ("IssuerOfPatientID", b""), ("PatientBirthDate", b""), ("PatientSex", b""),
        ("NumberOfPatientRelatedStudies", b"")]),
    "find-series-of-a-study-south": identifier(SOUTH | EXPLICIT, [
        ("QueryRetrieveLevel", b"SERIES"), ("StudyInstanceUID", text(SHARED_STUDY)),
        ("SeriesInstanceUID", b""), ("Modality", b"US\\CT"), ("SeriesNumber", b""),
        ("BodyPartExamined", b""), ("NumberOfSeriesRelatedInstances", b"")]),
    "find-images-by-uid-list": identifier(0, [
        ("QueryRetrieveLevel", b"IMAGE"), ("StudyInstanceUID", text(NORTH_STUDY)),
        ("SeriesInstanceUID", text(NORTH_STUDY + ".1")),
        ("SOPInstanceUID", text(f"{NORTH_STUDY}.1.1\\{NORTH_STUDY}.1.2")),
        ("SOPClassUID", b""), ("InstanceNumber", b""), ("Rows", b""), ("Columns", b""),
        ("NumberOfFrames", b"")]),
    "find-gb18030-name": identifier(SOUTH | EXPLICIT, [
        ("SpecificCharacterSet", b"GB18030"), ("QueryRetrieveLevel", b"STUDY"),
        ("PatientName", text("陈*", "gb18030")), ("StudyDescription", b"")]),
    "find-latin1-referring": identifier(0, [
        ("SpecificCharacterSet", b"ISO_IR 100"), ("QueryRetrieveLevel", b"STUDY"),
        ("ReferringPhysicianName", text("Zh?ng*", "latin-1")),
        ("PatientName", text("Wang*", "latin-1")), ("StudyDescription", b"")]),
    "find-sequence-and-private-keys": identifier(EXPLICIT, [
        ("QueryRetrieveLevel", b"STUDY"), ("StudyInstanceUID", b""),
        ("ReferencedStudySequence", [[("ReferencedSOPClassUID", b"")]]),
        ("PrivateCreator", b"ACME 1.0"), ("PrivateValue", b"x")]),
    "find-share-of-one-study": identifier(SHARE, [
        ("QueryRetrieveLevel", b"STUDY"), ("PatientID", b""), ("StudyInstanceUID", b""),
        ("NumberOfStudyRelatedInstances", b"")]),
    "find-patients-in-a-share": identifier(SHARE | SOUTH | PATIENT_ROOT, [
        ("QueryRetrieveLevel", b"PATIENT"), ("PatientID", b""),
        ("NumberOfPatientRelatedStudies", b"")]),
    "retrieve-study": identifier(RETRIEVE, [
        ("QueryRetrieveLevel", b"STUDY"), ("StudyInstanceUID", text(SHARED_STUDY))]),
    "retrieve-patient-root-patient": identifier(RETRIEVE | PATIENT_ROOT | EXPLICIT, [
        ("QueryRetrieveLevel", b"PATIENT"), ("PatientID", b"P1")]),
    "retrieve-images-south": identifier(RETRIEVE | SOUTH, [
        ("QueryRetrieveLevel", b"IMAGE"), ("StudyInstanceUID", text(SOUTH_STUDY)),
        ("SeriesInstanceUID", text(SOUTH_STUDY + ".2")),
        ("SOPInstanceUID", text(f"{SOUTH_STUDY}.2.1\\{SOUTH_STUDY}.2.2"))]),
    "retrieve-series-in-a-share": identifier(RETRIEVE | SHARE | EXPLICIT, [
        ("QueryRetrieveLevel", b"SERIES"), ("StudyInstanceUID", text(SHARED_STUDY)),
        ("SeriesInstanceUID", text(SHARED_STUDY + ".2"))]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "qr_identifier")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
