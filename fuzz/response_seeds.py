#!/usr/bin/python3
"""Writes small valid inputs of every kind fuzz_responses reads, each prefixed with
its selector byte (and variant byte) as fuzz/fuzz_responses.c decodes them: S3
ListObjectsV2 pages and <Error> documents, Qdrant responses (the recorded ones of
tests/fixtures/qdrant and hand-written points), .npy files of each dtype, format
version and rank, and MongoDB documents of each record type (BSON encoded here: no
pymongo needed). Standard library only.
Usage: fuzz/response_seeds.py OUTDIR"""
import os
import struct
import sys

S3_LIST, S3_ERROR, QDRANT, NPY, MONGO = range(5)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FACE = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"
FACE2 = "0f8e8f9a-3b1c-4d2e-9f00-aa11bb22cc33"
RUN = "66d3e1f4a1b2c3d4e5000001"


# ---- S3 ----------------------------------------------------------------------

def s3_seeds():
    ns = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    yield "s3_list_complete", bytes([S3_LIST]), (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult%s>\n'
        "<Name>bucket</Name><Prefix/><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
        "<IsTruncated>false</IsTruncated>\n"
        "<Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
        "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>\n"
        "<Contents><Key>photos/a &amp; b.jpg</Key><Size>9</Size></Contents>\n"
        "</ListBucketResult>\n" % ns)
    yield "s3_list_truncated", bytes([S3_LIST]), (
        "<ListBucketResult%s><Name>bucket</Name><Prefix>day1/</Prefix>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
        "<KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
        "<Contents><Key>day1/happyface.jpg</Key></Contents>"
        "<Contents><Key><![CDATA[day1/x<y>.jpg]]></Key></Contents>"
        "<Contents><Key>day1/&#233;t&#xe9;.png</Key></Contents>"
        "</ListBucketResult>" % ns)
    yield "s3_list_entities", bytes([S3_LIST]), (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "ab"><!ENTITY f "&e;&e;">]>'
        "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<s3:Contents><s3:Key>x&f;.jpg</s3:Key></s3:Contents><IsTruncated>false</IsTruncated>"
        "<!-- comment --><?pi x?></s3:ListBucketResult>")
    yield "s3_list_empty", bytes([S3_LIST]), "<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>"
    yield "s3_error", bytes([S3_ERROR, 0xff]), (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
        "<Message>The specified key does not exist.</Message><Key>a.jpg</Key>"
        "<RequestId>4442587FB7D0A2F9</RequestId></Error>")
    yield "s3_error_small", bytes([S3_ERROR, 0x21]), (
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
        "does not match the signature you provided.</Message></Error>")
    yield "s3_error_utf16", bytes([S3_ERROR, 0x88]), (
        '<?xml version="1.0" encoding="UTF-16"?><Error><Code>X</Code></Error>'.encode("utf-16"))


# ---- Qdrant ------------------------------------------------------------------

def qdrant(kind, status_index=0):
    return bytes([QDRANT, kind | status_index << 3])


def qdrant_seeds():
    fixtures = {
        "collection_info.json": [(1, 0), (7, 0)],
        "collection_not_found.json": [(1, 2)],
        "bad_request.json": [(0, 3)],
        "count.json": [(2, 0)],
        "search.json": [(3, 0), (7, 0)],
        "scroll_page.json": [(4, 0), (7, 1)],
        "scroll_int_ids.json": [(4, 0)],
        "upsert_ok.json": [(0, 0)],
    }
    for name, variants in fixtures.items():
        path = os.path.join(ROOT, "tests", "fixtures", "qdrant", name)
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            continue
        for kind, status in variants:
            yield "qdrant_%s_%d_%d" % (name[:-5], kind, status), qdrant(kind, status), body
    point = ('{"id":"%s","version":3,"score":0.25,"payload":{"face_id":"%s",'
             '"image_path":"a/b.jpg","person_id":"person_1","is_owner_face":"True",'
             '"clustering_id":"%s","bucket_name":"wedding","sub_bucket":"day1",'
             '"bbox":[1,2.5,3,4,5],"confidence":0.5,"quality_score":1e-3,'
             '"cluster_confidence":null},"vector":[0.5,-1,2e10,0]}' % (FACE, FACE, RUN))
    bare = '{"id":"%s","payload":null,"vector":null}' % FACE2
    yield "qdrant_search_vectors", qdrant(3), '{"result":[%s,%s],"status":"ok","time":0.1}' % (point, bare)
    yield "qdrant_scroll_int_offset", qdrant(4), (
        '{"result":{"points":[%s],"next_page_offset":12345},"status":"ok"}' % point)
    yield "qdrant_scroll_last", qdrant(4, 1), '{"result":{"points":[],"next_page_offset":null},"status":"ok"}'
    yield "qdrant_dim_euclid", qdrant(1), (
        '{"result":{"status":"green","config":{"params":{"vectors":{"size":3,'
        '"distance":"Euclid"}}}},"status":"ok"}')
    yield "qdrant_count_zero", qdrant(2), '{"result":{"count":0},"status":"ok","time":1}'
    yield "qdrant_error_status", qdrant(0, 4), '{"status":{"error":"Service internal error: x"},"time":0}'
    yield "qdrant_gateway", qdrant(0, 5), "<html><body>502 Bad Gateway</body></html>"


# ---- .npy ----------------------------------------------------------------------

def npy(descr, shape, data, version=1, fortran=False, dims=None):
    """A .npy file as numpy writes it (dims: the shape's text, to write it otherwise)."""
    if dims is None:
        dims = "%d," % shape[0] if len(shape) == 1 else ", ".join(map(str, shape))
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", dims)
    lead = 10 if version == 1 else 12
    pad = (64 - (lead + len(header) + 1) % 64) % 64
    header = (header + " " * pad + "\n").encode("latin-1")
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header + data


def npy_seeds():
    yield "npy_f4_1d", bytes([NPY]), npy("<f4", [3], struct.pack("<3f", 1.5, -2, 0.25))
    yield "npy_f4_4d", bytes([NPY]), npy("<f4", [1, 2, 2, 1], struct.pack("<4f", 0, 1, 2, 3))
    yield "npy_f8_2d", bytes([NPY]), npy("<f8", [2, 2], struct.pack("<4d", 1e300, -1e-300, 3, 4))
    yield "npy_i8_scalar", bytes([NPY]), npy("<i8", [], struct.pack("<q", -7))
    yield "npy_i4_3d", bytes([NPY]), npy("<i4", [2, 1, 2], struct.pack("<4i", 1, -2, 2**31 - 1, -2**31))
    yield "npy_v2_empty", bytes([NPY]), npy("<f4", [0, 5], b"", version=2)
    yield "npy_v3_long", bytes([NPY]), npy("<i8", [2], struct.pack("<2q", 1, 2), version=3, dims="2L,")
    yield "npy_fortran", bytes([NPY]), npy("<f4", [2, 1], struct.pack("<2f", 1, 2), fortran=True)
    yield "npy_big_endian", bytes([NPY]), npy(">f4", [1], struct.pack(">f", 1))
    yield "npy_truncated", bytes([NPY]), npy("<f8", [4], struct.pack("<2d", 1, 2))


# ---- BSON (MongoDB) ------------------------------------------------------------

class Date(int):
    """A BSON UTC datetime: milliseconds since the epoch."""


class Oid(bytes):
    """A BSON ObjectId: 12 bytes."""


def cstring(s):
    return s.encode() + b"\0"


def element(key, v):
    k = cstring(key)
    if isinstance(v, Date):
        return b"\x09" + k + struct.pack("<q", v)
    if isinstance(v, Oid):
        return b"\x07" + k + bytes(v)
    if isinstance(v, bool):
        return b"\x08" + k + (b"\x01" if v else b"\x00")
    if isinstance(v, int):
        if -2**31 <= v < 2**31:
            return b"\x10" + k + struct.pack("<i", v)
        return b"\x12" + k + struct.pack("<q", v)
    if isinstance(v, float):
        return b"\x01" + k + struct.pack("<d", v)
    if isinstance(v, str):
        s = v.encode()
        return b"\x02" + k + struct.pack("<i", len(s) + 1) + s + b"\0"
    if v is None:
        return b"\x0a" + k
    if isinstance(v, dict):
        return b"\x03" + k + bson(v)
    if isinstance(v, (list, tuple)):
        return b"\x04" + k + bson({str(i): x for i, x in enumerate(v)})
    raise TypeError(type(v))


def bson(doc):
    body = b"".join(element(k, v) for k, v in doc.items())
    return struct.pack("<i", len(body) + 5) + body + b"\0"


PROFILE, RUN_DOC, IMAGE, PERSON, FACE_DOC, ASSIGNMENT = range(6)
NOW = Date(1756698132123)


def mongo(kind):
    return bytes([MONGO, kind])


def mongo_seeds():
    yield "mongo_profile", mongo(PROFILE), bson({
        "_id": Oid(bytes(range(12))), "user_id": "alice", "embedding": [0.5, -0.25, 1],
        "embedding_model": "arcface", "confidence": 0.5, "quality_score": 1,
        "bbox": [1, 2, 3, 4], "created_at": NOW, "updated_at": "2025-09-01T03:42:12.5"})
    yield "mongo_run", mongo(RUN_DOC), bson({
        "_id": Oid(bytes.fromhex(RUN)), "bucket_path": "Wedding/day1", "bucket_name": "Wedding",
        "sub_bucket": "day1", "person_clusters": [], "total_images": 2**40, "total_faces": 3,
        "total_persons": 1.0, "unassigned_faces": 0, "unassigned_face_ids": [],
        "image_overlap_stats": {"a": [1, {"b": None}]}, "processing_stats": None,
        "status": "done", "timestamp": NOW, "finished_at": Date(-62135596800000),
        "params": {"min_face_size": 40, "threshold": 0.5}, "owner": "h:1:2:3",
        "error": "disk full"})
    yield "mongo_run_original", mongo(RUN_DOC), bson({
        "_id": Oid(bytes.fromhex(RUN)), "bucket_path": "Wedding/day/1", "status": "completed",
        "timestamp": "2024-02-29T23:59:59.999999"})
    yield "mongo_image", mongo(IMAGE), bson({
        "image_path": "day1/IMG_0001.jpg", "ok": False, "n_faces": 0, "reason": "not an image"})
    yield "mongo_person", mongo(PERSON), bson({
        "person_id": "person_0", "cluster_id": "person_0", "owner_face_id": FACE,
        "owner_embedding": [0.5, 0.5], "centroid": [0.25, 1], "image_paths": ["a.jpg"],
        "face_ids": [FACE], "confidence_scores": [0.9], "quality_scores": [0.8], "size": 1,
        "avg_confidence": 0.9, "best_quality_score": 0.8})
    yield "mongo_face", mongo(FACE_DOC), bson({
        "face_id": FACE, "image_path": "day1/IMG_0001.jpg", "person_id": None,
        "is_owner_face": True, "bbox": [10, 20, 30.5, 40], "landmarks": [float(i) for i in range(10)],
        "confidence": 0.99, "quality_score": 0.5, "cluster_confidence": 0, "clustering_id": RUN,
        "timestamp": NOW, "embedding": [0.1, 0.2, 0.3], "member_ord": None})
    yield "mongo_assignment", mongo(ASSIGNMENT), bson({
        "clustering_id": RUN, "cluster_id": "person_0", "bucket_path": "Wedding/day1",
        "user_id": "alice", "similarity": 0.75, "strategy": "centroid", "face_count": 2,
        "image_paths": ["a.jpg", 7], "face_ids": [FACE, FACE2], "created_at": NOW,
        "updated_at": NOW})


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for group in (s3_seeds, qdrant_seeds, npy_seeds, mongo_seeds):
        for name, prefix, body in group():
            if isinstance(body, str):
                body = body.encode()
            with open(os.path.join(out, "seed_" + name), "wb") as f:
                f.write(prefix + body)


if __name__ == "__main__":
    main()
