#!/usr/bin/python3
"""bench/cluster_quality.py - clustering and assignment quality of `facecluster` on the
labelled photo sets of ../shared/data (see docs/jobs.md).

For each set the labelled images are copied into a temporary bucket (file name
"<label>__<n>_<name>"), `facecluster cluster --bucket B --sub S` runs at the default
settings (and with --method original), `facecluster persons latest --json` is read
back, and every face gets its image's label. face_recognition's photos of several
people (labels.tsv) are clustered too, as group photos, but their faces are not
scored (which face is whom is not labelled); its byte-identical copies are left out.
Reported: BCubed P/R/F and pairwise P/R (unassigned faces are singletons), faces found
/ images.
Assignment: one image of each identity is enrolled (the first, sorted, or with --enrol
best the one facecluster rates highest), the rest clustered (--min-faces N, default 1)
and assigned with --one-to-one --margin M. Per cluster: right when its user is the
majority label of its faces, wrong when it is another user (every cluster counts, so
an identity split in two has one cluster that one-to-one must leave unassigned). Per
identity: right when the identity's largest cluster gets its user. The clusters left
without a user are counted by the reason assign gives (below_threshold, ambiguous,
taken), with their similarity to the closest user.

With --strangers, every run of every set also gets the unlabelled group and street
photos of STRANGER_PHOTOS (hundreds of faces of people in none of the sets), as an
event's photos have people nobody enrolled. Their faces are not scored among
themselves (the same people may be in two of those photos), but a stranger's face in a
person with labelled faces is an error: it counts in "strangers in a labelled person"
and in the pairwise precision (pairs of a labelled face and a stranger's face in one
person), and a person of strangers only that gets a user is a wrong assignment.

With --check (tests/run runs it with --strangers), the original method is left out
and each set is a test: pairwise precision >= 0.99, BCubed F >= CHECK_F, and no person
given a wrong user, strangers' persons included. The output ends with "N passed,
N failed, N skipped"; without ../shared/data it is one skip.

usage: bench/cluster_quality.py [--per-id N] [--margin M] [--min-faces N]
                               [--enrol first|best] [--strangers] [--check]
                               [--fc build/facecluster]
"""
import argparse, collections, json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")


def sets(per_id):
    """{set: {label: [paths]}} of the labelled folders that exist."""
    out = {}
    def folder_set(name, base, pattern_ok=lambda f: True):
        if not os.path.isdir(base):
            return
        d = {}
        for label in sorted(os.listdir(base)):
            p = os.path.join(base, label)
            if not os.path.isdir(p) or label.startswith("."):
                continue
            files = sorted(f for f in os.listdir(p)
                           if f.lower().endswith((".png", ".jpg", ".jpeg")) and pattern_ok(f))
            if files:
                d[label] = [os.path.join(p, f) for f in files[:per_id]]
        if d:
            out[name] = d
    folder_set("celebs_aligned", os.path.join(DATA, "celebs_aligned"))
    folder_set("faceapi", os.path.join(DATA, "face-api.js", "examples", "images"))
    folder_set("msceleb", os.path.join(DATA, "insightface", "msceleb_retina_crop"))
    folder_set("facenet", os.path.join(DATA, "facenet-pytorch", "test_images"))
    fr = face_recognition_set(per_id)
    if fr:
        out["face_recognition"] = fr
    return out


def face_recognition_set(per_id):
    """{label: [paths]} from face_recognition/labels.tsv: one identity per photo, named
    people only, without byte-identical copies; photos of several people under
    GROUP_LABEL."""
    tsv = os.path.join(DATA, "face_recognition", "labels.tsv")
    if not os.path.isfile(tsv):
        return {}
    d = {}
    with open(tsv) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if line.startswith("#") or cols[0] == "path" or len(cols) < 2:
                continue
            path, ids, note = cols[0], cols[1], cols[2] if len(cols) > 2 else ""
            if ids == "unknown" or note.startswith("same bytes"):
                continue
            label = GROUP_LABEL if "," in ids else ids
            d.setdefault(label, []).append(os.path.join(DATA, "face_recognition", path))
    return {k: sorted(v)[:per_id] for k, v in sorted(d.items())}


# --check's floor for BCubed F: below issue 5's 0.95, which msceleb misses (0.949: two
# faces the embedder cannot place, docs/clustering.md); a drop below it is a regression
CHECK_F = 0.94
CHECK_PAIR_P = 0.99

GROUP_LABEL = "_group"  # faces of photos of several people: clustered, not scored
STRANGER_LABEL = "_stranger"  # faces of people in none of the sets (--strangers)
# group and street photos of people in none of the labelled sets (checked by eye:
# misc_group and insightface's t1.jpg show the same TV cast, dlib's bald_guys.jpg one
# actor several times; none of them is in a set)
STRANGER_PHOTOS = ("ultraface/imgs", "dlib_faces", "misc_group", "insightface/group")


def strangers():
    """[(STRANGER_LABEL, path)] of the STRANGER_PHOTOS that exist."""
    out = []
    for d in STRANGER_PHOTOS:
        base = os.path.join(DATA, d)
        if os.path.isdir(base):
            out += [(STRANGER_LABEL, os.path.join(base, f)) for f in sorted(os.listdir(base))
                    if f.lower().endswith((".png", ".jpg", ".jpeg"))]
    return out


def run(fc, env, *args):
    r = subprocess.run([fc, *args], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s %s: %s" % (fc, " ".join(args), r.stderr[-2000:]))
    return r.stdout


def persons(fc, env):
    faces = []  # (image_path, cluster)
    for line in run(fc, env, "persons", "latest", "--json").splitlines():
        o = json.loads(line)
        if "person_id" in o:
            faces += [(f["image_path"], o["person_id"]) for f in o["faces"]]
        else:
            faces += [(f["image_path"], "u:" + f["face_id"]) for f in o["unassigned"]]
    return faces


def enrolment_photo(a, env, paths):
    """The photo to enroll: the first (sorted), or with --enrol best the one whose
    largest face facecluster rates highest (quality_score, ties: the first), as a user
    would pick a clear portrait of themselves; no label is looked at."""
    if a.enrol == "first":
        return paths[0]
    best, best_q = paths[0], -1.0
    for line in run(a.fc, env, "detect", *paths).splitlines():
        o = json.loads(line)
        faces = o.get("faces") or []
        if not faces:
            continue
        q = max(faces, key=lambda f: f["bbox"][2] * f["bbox"][3])["quality_score"]
        if q > best_q:
            best, best_q = o["image"], q
    return best


def label_of(path):
    return os.path.basename(path).split("__")[0]


def scores(faces):
    """BCubed and pairwise figures over the labelled faces; a stranger's face adds the
    pairs it forms with labelled faces of its person to the pairwise precision, and
    counts in "intruders" when its person has a labelled face."""
    labelled = [(p, c) for p, c in faces if label_of(p) not in (GROUP_LABEL, STRANGER_LABEL)]
    lab = [label_of(p) for p, _ in labelled]
    cl = [c for _, c in labelled]
    n = len(labelled)
    by_c, by_l, by_cl = collections.Counter(cl), collections.Counter(lab), collections.Counter(zip(cl, lab))
    bp = sum(by_cl[(c, l)] / by_c[c] for c, l in zip(cl, lab)) / n
    br = sum(by_cl[(c, l)] / by_l[l] for c, l in zip(cl, lab)) / n
    pairs = lambda k: k * (k - 1) / 2
    same_both = sum(pairs(k) for k in by_cl.values())
    same_c = sum(pairs(k) for k in by_c.values())
    same_l = sum(pairs(k) for k in by_l.values())
    stranger_c = collections.Counter(c for p, c in faces if label_of(p) == STRANGER_LABEL)
    intruders = sum(k for c, k in stranger_c.items() if by_c[c])
    same_c += sum(k * by_c[c] for c, k in stranger_c.items())
    return {"bcubed_p": bp, "bcubed_r": br, "bcubed_f": 2 * bp * br / (bp + br) if bp + br else 0,
            "pair_p": same_both / same_c if same_c else 1.0, "pair_r": same_both / same_l if same_l else 1.0,
            "strangers": sum(stranger_c.values()), "intruders": intruders}


def populate(root, sub, files):
    d = os.path.join(root, "bench", sub)
    os.makedirs(d, exist_ok=True)
    for i, (label, path) in enumerate(files):
        shutil.copyfile(path, os.path.join(d, "%s__%d_%s" % (label, i, os.path.basename(path))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-id", type=int, default=20)
    ap.add_argument("--margin", type=float, default=0.05)
    ap.add_argument("--fc", default=os.path.join(ROOT, os.environ.get("FC_BUILD", "build"), "facecluster"))
    ap.add_argument("--threads", default="2")
    ap.add_argument("--min-faces", type=int, default=1, help="for the assignment run")
    ap.add_argument("--enrol", choices=("first", "best"), default="first",
                    help="which photo of an identity to enroll (see enrolment_photo)")
    ap.add_argument("--strangers", action="store_true",
                    help="add the photos of STRANGER_PHOTOS to every run (see above)")
    ap.add_argument("--check", action="store_true", help="pass/fail per set (see above)")
    a = ap.parse_args()
    if not os.path.isdir(DATA):
        print("skipped: ../shared/data not present")
        if a.check:
            print("0 passed, 0 failed, 1 skipped")
        return 0
    checks = {"pass": 0, "fail": 0}
    def check(ok, what):
        if a.check:
            print("%s %s" % ("ok  " if ok else "FAIL", what))
            checks["pass" if ok else "fail"] += 1
    tmp = tempfile.mkdtemp(prefix="fc-quality.")
    env = dict(os.environ, FC_DATA_DIR=os.path.join(tmp, "data"))
    worst = {"bcubed_f": 1, "pair_p": 1, "intruders": 0}
    try:
        extra = strangers() if a.strangers else []
        print("%-15s %-8s %6s %6s  %6s %6s %6s  %6s %6s%s" % ("set", "method", "images", "faces",
              "B3-P", "B3-R", "B3-F", "pairP", "pairR", "  strangers in a labelled person" if extra else ""))
        for name, ids in sets(a.per_id).items():
            files = [(l, p) for l, ps in ids.items() for p in ps] + extra
            populate(tmp, name, files)
            for method in ("graph",) if a.check else ("graph", "original"):
                run(a.fc, env, "cluster", tmp, "--bucket", "bench", "--sub", name, "--threads",
                    a.threads, "--method", method, "--quiet")
                f = persons(a.fc, env)
                s = scores(f)
                print("%-15s %-8s %6d %6d  %6.3f %6.3f %6.3f  %6.3f %6.3f%s" % (name, method, len(files),
                      len(f), s["bcubed_p"], s["bcubed_r"], s["bcubed_f"], s["pair_p"], s["pair_r"],
                      "  %d of %d" % (s["intruders"], s["strangers"]) if extra else ""))
                if method == "graph":
                    worst["bcubed_f"] = min(worst["bcubed_f"], s["bcubed_f"])
                    worst["pair_p"] = min(worst["pair_p"], s["pair_p"])
                    worst["intruders"] = max(worst["intruders"], s["intruders"])
                    check(s["pair_p"] >= CHECK_PAIR_P and s["bcubed_f"] >= CHECK_F,
                          "%s: pairwise precision %.3f (needs >= %.2f), BCubed F %.3f (needs >= %.2f)%s"
                          % (name, s["pair_p"], CHECK_PAIR_P, s["bcubed_f"], CHECK_F,
                             " (%d strangers' faces beside them)" % s["strangers"] if extra else ""))
            # assignment: enroll one image of each identity, cluster the rest, assign
            sub = name + "-rest"
            enrolled, picked = set(), {}
            for label, ps in ids.items():
                if len(ps) < 2 or label == GROUP_LABEL:
                    continue
                picked[label] = enrolment_photo(a, env, ps)
                r = subprocess.run([a.fc, "enroll", label, picked[label]], env=env,
                                   capture_output=True, text=True)
                if r.returncode == 0:
                    enrolled.add(label)
                else:
                    print("%-15s enroll   %s (%s): %s" % (name, label, os.path.basename(picked[label]),
                          r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"))
            rest = [(l, p) for l, ps in ids.items() if l in enrolled for p in ps if p != picked[l]]
            if not rest:
                print("%-15s assign   skipped: no identity with 2+ images" % name)
                continue
            populate(tmp, sub, rest + extra)
            run(a.fc, env, "cluster", tmp, "--bucket", "bench", "--sub", sub, "--threads", a.threads,
                "--min-faces", str(a.min_faces), "--quiet")
            f = persons(a.fc, env)
            out = json.loads(run(a.fc, env, "assign", "--run", "latest", "--one-to-one", "--quiet",
                                 "--margin", str(a.margin), "--overwrite"))
            members = collections.defaultdict(list)
            stranger_only = set()
            for p, c in f:
                if not c.startswith("u:") and label_of(p) == STRANGER_LABEL:
                    stranger_only.add(c)
                if not c.startswith("u:") and label_of(p) not in (GROUP_LABEL, STRANGER_LABEL):
                    members[c].append(label_of(p))
            stranger_only -= set(members)
            stranger_users = sum(out["assignments"].get(c, {}).get("user_id") is not None
                                 for c in stranger_only)
            right = wrong = 0
            for c, labels in members.items():
                maj = collections.Counter(labels).most_common(1)[0][0]
                got = out["assignments"].get(c, {}).get("user_id")
                right += got == maj
                wrong += got is not None and got != maj
            n = max(1, len(members))
            largest = {}  # identity -> (size, cluster) of its largest cluster (of those tied
            for c, labels in members.items():  # for largest, the one that got its user)
                for l, k in collections.Counter(labels).items():
                    got = out["assignments"].get(c, {}).get("user_id") == l
                    if (k, got) > (largest.get(l, (0, ""))[0], False):
                        largest[l] = (k, c)
            id_right = sum(out["assignments"].get(c, {}).get("user_id") == l
                           for l, (_, c) in largest.items() if l in enrolled)
            print("%-15s assign   enrolled %d, clusters %d: right %.1f%%, wrong %.1f%%, unassigned %.1f%% "
                  "(threshold %.2f, margin %.2f, one_to_one); identities whose largest cluster "
                  "got their user: %d of %d" % (name, len(enrolled), len(members),
                  100 * right / n, 100 * wrong / n, 100 * (n - right - wrong) / n, out["threshold"],
                  a.margin, id_right, len([l for l in largest if l in enrolled])))
            why = collections.defaultdict(list)  # reason -> similarities to the closest user
            for c, d in out.get("unassigned_details", {}).items():
                if c in members:
                    why[d["reason"]].append(d["similarity"])
            if extra:
                print("%-15s assign   persons of strangers only: %d, given a user: %d"
                      % (name, len(stranger_only), stranger_users))
            check(wrong == 0 and stranger_users == 0,
                  "%s: assignment gives no person a wrong user (%d of %d right%s)"
                  % (name, right, len(members), ", %d persons of strangers only" % len(stranger_only)
                     if extra else ""))
            if why:
                print("%-15s unassigned, as assign explains it: %s" % (name, "; ".join(
                    "%s %d (closest user at %s)" % (r, len(sims), ", ".join(
                        "%.2f" % x for x in sorted(x for x in sims if x is not None)))
                    for r, sims in sorted(why.items()))))
            shutil.rmtree(os.path.join(env["FC_DATA_DIR"]), ignore_errors=True)
        print("worst graph set: BCubed F %.3f (target 0.95), pairwise precision %.3f (target 0.99)%s"
              % (worst["bcubed_f"], worst["pair_p"], ", strangers in a labelled person: at most %d"
                 % worst["intruders"] if extra else ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.check:
        print("%d passed, %d failed, 0 skipped" % (checks["pass"], checks["fail"]))
        return 1 if checks["fail"] else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
