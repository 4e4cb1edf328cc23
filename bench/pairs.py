#!/usr/bin/python3
"""pairs.py - the labelled face sets of shared/data and the verification pairs built
from them, shared by bench/verify.py and bench/calibrate.py.

    /usr/bin/python3 bench/pairs.py        # prints what each set holds

Sets (paths relative to $FC_SHARED/data, default ../shared/data beside the repo):

  celebs_aligned   celebs_aligned/pairs.tsv as given: 6000 pairs (3000 same, 3000
                   different) of 1536 distinct aligned 112x112 crops of 16 people. Folds
                   for the 10-fold protocol are the file's consecutive blocks of 600 pairs
                   (LFW's pairs.txt layout; 276..328 same pairs per block). `celebs_all`
                   is every crop of the folder (16 x 100), for the calibration statistics.
  face_recognition face_recognition/labels.tsv: images with exactly one named identity
                   (not "unknown", not the multi-face photos); byte-identical files kept
                   once (the first listed). Includes the partial faces and the Obama
                   resolution series (the same photo at 240p..1080p).
  facenet_pytorch  facenet-pytorch/test_images/<person>/1.jpg (full photos) and
                   test_images_aligned/<person>/1.png (160x160 crops of those photos):
                   a same pair is a photo and its own crop (pipeline consistency).
  face_api         face-api.js/examples/images/<name>/<name>N.png, 8 people x 5 crops.
  msceleb          insightface/msceleb_retina_crop/<Name>/*, 2 people (19 + 36 crops).

Pairs of the four small sets (within one set only: identities are namespaced by set):
every same-identity pair, and a sample of as many different-identity pairs (all of them
when there are fewer), drawn without replacement by numpy's default_rng seeded with
SEED + the set's index; a pair is (i, j) with i < j in the set's image order (sorted
paths). Their folds: a seeded permutation of the pairs, fold = position % 10.
"""

import hashlib
import os
import sys
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("FC_SHARED") or os.path.join(ROOT, "..", "shared")
DATA = os.path.abspath(os.path.join(SHARED, "data"))
SEED = 20261124
FOLDS = 10
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


@dataclass
class PairSet:
    name: str
    images: list            # paths relative to DATA
    labels: list            # identity per image
    pairs: np.ndarray       # (n, 2) int indices into images
    same: np.ndarray        # (n,) bool
    folds: np.ndarray       # (n,) int in 0..FOLDS-1
    aligned: bool = False   # images are aligned 112x112 faces (embed directly)
    note: str = ""
    extra: dict = field(default_factory=dict)

    def path(self, i):
        return os.path.join(DATA, self.images[i])


def list_images(folder):
    full = os.path.join(DATA, folder)
    return sorted(f for f in os.listdir(full) if f.lower().endswith(IMAGE_EXT))


# ---- celebs_aligned -----------------------------------------------------------------

def celebs_pairs():
    rows = []
    with open(os.path.join(DATA, "celebs_aligned", "pairs.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                a, b, s = line.split()
                rows.append((a, b, s == "1"))
    images = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {p: i for i, p in enumerate(images)}
    pairs = np.array([(index[a], index[b]) for a, b, _ in rows], np.int64)
    same = np.array([s for _, _, s in rows], bool)
    folds = np.arange(len(rows)) * FOLDS // len(rows)
    return PairSet("celebs_aligned", ["celebs_aligned/" + p for p in images],
                   [p.split("/")[0] for p in images], pairs, same, folds, aligned=True,
                   note="pairs.tsv as given, folds = consecutive blocks of 600")


def celebs_all():
    """Every crop of celebs_aligned with its identity (no pairs)."""
    images, labels = [], []
    for name in sorted(os.listdir(os.path.join(DATA, "celebs_aligned"))):
        if os.path.isdir(os.path.join(DATA, "celebs_aligned", name)):
            for f in list_images(os.path.join("celebs_aligned", name)):
                images.append("celebs_aligned/%s/%s" % (name, f))
                labels.append(name)
    return images, labels


# ---- the small sets -----------------------------------------------------------------

def file_digest(rel):
    with open(os.path.join(DATA, rel), "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def face_recognition_images():
    images, labels, seen = [], [], set()
    with open(os.path.join(DATA, "face_recognition", "labels.tsv")) as f:
        for line in f:
            if line.startswith("#") or line.startswith("path\t"):
                continue
            cols = line.rstrip("\n").split("\t")
            path, ids = cols[0], cols[1]
            if "," in ids or ids == "unknown":
                continue
            rel = "face_recognition/" + path
            digest = file_digest(rel)
            if digest in seen:
                continue
            seen.add(digest)
            images.append(rel)
            labels.append(ids)
    return images, labels


def facenet_images():
    images, labels = [], []
    for sub, name in (("test_images", "1.jpg"), ("test_images_aligned", "1.png")):
        base = os.path.join("facenet-pytorch", sub)
        for person in sorted(os.listdir(os.path.join(DATA, base))):
            rel = os.path.join(base, person, name)
            if os.path.isfile(os.path.join(DATA, rel)):
                images.append(rel)
                labels.append(person)
    return images, labels


def folder_per_identity(base, want_dir=lambda name: True):
    images, labels = [], []
    for name in sorted(os.listdir(os.path.join(DATA, base))):
        if os.path.isdir(os.path.join(DATA, base, name)) and want_dir(name):
            for f in list_images(os.path.join(base, name)):
                images.append(os.path.join(base, name, f))
                labels.append(name)
    return images, labels


def face_api_images():
    return folder_per_identity("face-api.js/examples/images")


def msceleb_images():
    return folder_per_identity("insightface/msceleb_retina_crop")


SMALL_SETS = [
    ("face_recognition", face_recognition_images, "labels.tsv, single named identity, duplicates once"),
    ("facenet_pytorch", facenet_images, "same pair = a photo and its own 160x160 crop"),
    ("face_api", face_api_images, "TV-cast crops, 8 x 5"),
    ("msceleb", msceleb_images, "retina crops, 2 people"),
]


def sample_pairs(labels, seed):
    """All same pairs + an equal-sized seeded sample of different pairs, and folds."""
    labels = np.asarray(labels)
    i, j = np.triu_indices(len(labels), k=1)
    is_same = labels[i] == labels[j]
    same_idx = np.flatnonzero(is_same)
    diff_idx = np.flatnonzero(~is_same)
    rng = np.random.default_rng(seed)
    n_diff = min(len(same_idx), len(diff_idx)) if len(same_idx) else min(len(diff_idx), 100)
    diff_pick = np.sort(rng.choice(diff_idx, size=n_diff, replace=False))
    chosen = np.concatenate([same_idx, diff_pick])
    folds = np.empty(len(chosen), np.int64)
    folds[rng.permutation(len(chosen))] = np.arange(len(chosen)) % FOLDS
    return np.stack([i[chosen], j[chosen]], 1), is_same[chosen], folds


def small_sets():
    out = []
    for k, (name, images_fn, note) in enumerate(SMALL_SETS):
        images, labels = images_fn()
        pairs, same, folds = sample_pairs(labels, SEED + k)
        out.append(PairSet(name, images, labels, pairs, same, folds, note=note))
    return out


def pooled(sets, name="small_sets"):
    """One PairSet holding the pairs of several (image lists concatenated)."""
    images, labels, pairs, same, folds, off = [], [], [], [], [], 0
    for s in sets:
        images += s.images
        labels += ["%s/%s" % (s.name, lab) for lab in s.labels]
        pairs.append(s.pairs + off)
        same.append(s.same)
        folds.append(s.folds)
        off += len(s.images)
    return PairSet(name, images, labels, np.concatenate(pairs), np.concatenate(same),
                   np.concatenate(folds), note="the small sets' pairs together")


# ---- unlabelled photos (throughput, face counts) ------------------------------------

def benchmark_photos():
    """The fixed folder of real photos for pipeline throughput (docs/BENCHMARKS.md):
    ultraface/imgs/*.jpg, insightface/group/t1.jpg, facenet-pytorch/test_images/*/1.jpg,
    face-api.js/examples/images/bbt*.jpg and the repo's samples/*.jpg; absolute paths,
    sorted within each group, the ones that exist."""
    import glob
    groups = [os.path.join(DATA, "ultraface", "imgs", "*.jpg"),
              os.path.join(DATA, "insightface", "group", "t1.jpg"),
              os.path.join(DATA, "facenet-pytorch", "test_images", "*", "1.jpg"),
              os.path.join(DATA, "face-api.js", "examples", "images", "bbt*.jpg"),
              os.path.join(ROOT, "samples", "*.jpg")]
    return [p for g in groups for p in sorted(glob.glob(g))]


def all_sets():
    return [celebs_pairs()] + small_sets()


def main():
    print("data: %s" % DATA)
    for s in all_sets():
        print("%-16s %5d images %3d identities %5d pairs (%d same, %d different)  %s"
              % (s.name, len(s.images), len(set(s.labels)), len(s.pairs), s.same.sum(),
                 (~s.same).sum(), s.note))
    images, labels = celebs_all()
    print("%-16s %5d images %3d identities (calibration: all pairs)" % ("celebs_all", len(images), len(set(labels))))
    print("%-16s %5d photos (throughput)" % ("benchmark_photos", len(benchmark_photos())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
