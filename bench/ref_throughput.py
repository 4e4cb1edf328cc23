#!/usr/bin/python3
"""ref_throughput.py - images/s and faces/s of the reference pipeline (bench/ref_pipeline.py,
OpenCV DNN) on a fixed folder of real photos: the peer for facecluster's pipeline
throughput (docs/BENCHMARKS.md, "Pipeline throughput").

    /usr/bin/python3 bench/ref_throughput.py [--runs R] [PHOTO...]

Photos: pairs.benchmark_photos() (ultraface/imgs/*.jpg, insightface/group/t1.jpg,
facenet-pytorch/test_images/*/1.jpg, face-api.js/examples/images/bbt*.jpg,
samples/*.jpg) unless given. Timed per image: read the file, decode (EXIF applied),
detect, landmarks, align, embed every face (the default pipeline, padded retry on).
Models are loaded before timing.

Three ways to use 1 or 2 cores:
  1 worker,  cv2.setNumThreads(1)
  1 worker,  cv2.setNumThreads(2)   OpenCV's own threads inside each layer
  2 workers, cv2.setNumThreads(1)   a multiprocessing pool (spawn) of 2 processes, each
                                    with its own nets, images handed out one at a time
Each: one untimed pass over all photos (warm-up), then R timed passes (default 3);
the table gives the median pass. Prints a markdown table on stdout; the face count
must be the same in every row (the pipeline is deterministic). Peak RSS is
ru_maxrss of this process and of the pool's workers (the largest one).
"""

import os
import resource
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairs as P            # noqa: E402
import ref_pipeline as rp    # noqa: E402

MODES = [(1, 1), (1, 2), (2, 1)]   # (workers, cv2 threads per worker)

_pipeline = None                   # one per worker process


def init_worker(threads):
    global _pipeline
    _pipeline = rp.Pipeline(rp.Config(threads=threads))


def run_one(path):
    """Faces found in one photo, the whole path from the file on."""
    with open(path, "rb") as f:
        img = rp.decode(f.read())
    return len(_pipeline.process(img)) if img is not None else 0


def worker_rss(_):
    time.sleep(0.2)  # keep this worker busy so the other one takes the other call
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def one_pass(pool, photos):
    t0 = time.perf_counter()
    if pool is None:
        faces = sum(run_one(p) for p in photos)
    else:
        faces = sum(pool.imap_unordered(run_one, photos, chunksize=1))
    return time.perf_counter() - t0, faces


def measure(photos, workers, threads, runs):
    """(median seconds per pass, faces per pass, peak RSS kB)."""
    import multiprocessing as mp
    pool = None
    if workers == 1:
        init_worker(threads)
    else:
        pool = mp.get_context("spawn").Pool(workers, initializer=init_worker, initargs=(threads,))
    try:
        one_pass(pool, photos)  # warm-up
        times, counts = [], set()
        for _ in range(runs):
            t, faces = one_pass(pool, photos)
            times.append(t)
            counts.add(faces)
        rss = max(pool.map(worker_rss, range(workers))) if pool else \
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    if len(counts) != 1:
        raise SystemExit("ref_throughput.py: face counts differ between passes: %s" % sorted(counts))
    return statistics.median(times), counts.pop(), rss


def parse_args(argv):
    runs, photos = 3, []
    it = iter(argv)
    for a in it:
        if a == "--runs":
            runs = int(next(it, "0"))
            if runs < 1:
                raise SystemExit(__doc__)
        elif a.startswith("-"):
            raise SystemExit(__doc__)
        else:
            photos.append(a)
    return runs, photos or P.benchmark_photos()


def megapixels(photos):
    total = 0
    for p in photos:
        img = rp.read_image(p)
        total += img.shape[0] * img.shape[1] if img is not None else 0
    return total / 1e6


def main(argv):
    import cv2
    runs, photos = parse_args(argv[1:])
    load = open("/proc/loadavg").read().split()[:3]
    print("## Reference pipeline throughput (OpenCV %s DNN, bench/ref_throughput.py)\n" % cv2.__version__)
    print("%d photos, %.1f megapixels in all; read + decode + detect + landmarks + align + embed; "
          "median of %d passes after one warm-up pass.\n" % (len(photos), megapixels(photos), runs))
    print("| workers | cv2 threads | images/s | faces/s | ms/image | faces | peak RSS MB (per process) |")
    print("|---|---|---|---|---|---|---|")
    for workers, threads in MODES:
        sec, faces, rss = measure(photos, workers, threads, runs)
        print("| %d | %d | %.2f | %.1f | %.1f | %d | %.0f |" % (
            workers, threads, len(photos) / sec, faces / sec, 1e3 * sec / len(photos), faces, rss / 1024),
            flush=True)
    print("\nload average (1, 5, 15 min): %s before, %s after (%d cores)"
          % (" ".join(load), " ".join(open("/proc/loadavg").read().split()[:3]), os.cpu_count()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
