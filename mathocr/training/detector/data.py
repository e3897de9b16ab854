"""The detector's training data: splits by writer, scenes from InkML, shards on disk.

Images of different sizes are stored flat in one ``.npz`` per shard (pixels
concatenated, with each image's shape and offset), so a shard of thousands of
expressions loads in one read. Shards are built in parallel and each is seeded
by its own index: the same shards on every run for a seed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ...data.inkml import read_inkml
from ...detect.classes import detector_class
from ...detect.prepare import PREPARATION_VERSION
from ...errors import InkMLError
from .scenes import Sample, Scene, make_sample

__all__ = [
    "ink_scene",
    "load_shards",
    "save_shard",
    "build_real_shards",
    "build_synthetic_shards",
]


def ink_scene(path: str | Path) -> Scene | None:
    """The InkML file as a scene (every symbol, ours or ``other``); ``None`` if unreadable."""
    try:
        ink = read_inkml(path)
    except InkMLError:
        return None
    if not ink.symbols:
        return None
    ids = list(ink.traces)
    index = {t: i for i, t in enumerate(ids)}
    symbols = tuple(
        (detector_class(s.label), tuple(index[t] for t in s.trace_ids)) for s in ink.symbols
    )
    return Scene(tuple(ink.traces[t] for t in ids), symbols)


def save_shard(samples: Sequence[Sample], path: str | Path) -> Path:
    """Write *samples* to one ``.npz`` (atomically: a reader never sees half a shard)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shapes = np.array([s.image.shape for s in samples], np.int32).reshape(-1, 2)
    counts = np.array([len(s.labels) for s in samples], np.int32)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        pixels=np.concatenate([s.image.ravel() for s in samples])
        if samples
        else np.zeros(0, np.uint8),
        shapes=shapes,
        counts=counts,
        boxes=np.concatenate([s.boxes for s in samples])
        if samples
        else np.zeros((0, 4), np.float32),
        labels=np.concatenate([s.labels for s in samples]) if samples else np.zeros(0, np.int16),
    )
    tmp.replace(path)
    return path


def _read_shard(path: Path) -> Iterator[Sample]:
    with np.load(path) as z:
        pixels, shapes, counts = z["pixels"], z["shapes"], z["counts"]
        boxes, labels = z["boxes"], z["labels"]
    p = b = 0
    for (h, w), n in zip(shapes, counts, strict=True):
        yield Sample(pixels[p : p + h * w].reshape(h, w), boxes[b : b + n], labels[b : b + n])
        p += int(h * w)
        b += int(n)


def load_shards(paths: Sequence[str | Path]) -> list[Sample]:
    """Every sample of the shards, in order."""
    out: list[Sample] = []
    for path in sorted(Path(p) for p in paths):
        out.extend(_read_shard(path))
    return out


def build_real_shard(files: Sequence[Path], seed: int, kinds: Sequence[str]) -> list[Sample]:
    """Each file drawn once per kind, with a generator seeded by *seed*."""
    rng = np.random.default_rng(seed)
    out = []
    for path in files:
        scene = ink_scene(path)
        if scene is None:
            continue
        for kind in kinds:
            sample = make_sample(scene, rng, kind)
            if sample is not None and len(sample.labels):
                out.append(sample)
    return out


def _real_job(job: tuple[list[Path], int, tuple[str, ...], Path]) -> str:
    files, seed, kinds, out = job
    if not out.exists():
        save_shard(build_real_shard(files, seed, kinds), out)
    return str(out)


def build_real_shards(
    files: Sequence[Path],
    out_dir: str | Path,
    *,
    seed: int,
    kinds: Sequence[str] = ("canvas", "photo"),
    per_shard: int = 250,
    jobs: int = 2,
    tag: str = "real",
) -> list[Path]:
    """Shards of *files* drawn once per kind under *out_dir*; shards already there are kept."""
    import multiprocessing

    out_dir = Path(out_dir)
    work = []
    for i in range(0, len(files), per_shard):
        k = i // per_shard
        shard_seed = zlib.crc32(f"{tag}:{seed}:{k}".encode())
        work.append(
            (
                list(files[i : i + per_shard]),
                shard_seed,
                tuple(kinds),
                out_dir / f"{tag}-p{PREPARATION_VERSION}-s{seed}-{k:03d}.npz",
            )
        )
    if jobs <= 1:
        return [Path(_real_job(w)) for w in work]
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        return [Path(p) for p in pool.imap(_real_job, work)]


def drawn_split(
    files: Sequence[Path], tag: str, cache: Path | None, *, seed: int, jobs: int = 1
) -> list[Sample]:
    """A held-out split (``dev``, ``valid``) drawn as training draws it, as samples.

    Training, its export and the int8 copy must score the very same frames, so
    they all come through here: the shards under ``<cache>/<tag>`` for this
    seed are read and missing ones drawn there; without a cache they are drawn
    into a temporary folder and dropped after reading.
    """
    if cache is not None:
        return load_shards(build_real_shards(files, cache / tag, seed=seed, tag=tag, jobs=jobs))
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"mathocr-{tag}-") as tmp:
        return load_shards(build_real_shards(files, tmp, seed=seed, tag=tag, jobs=jobs))


_BANK = None


def _init_bank(files: list[Path], seed: int) -> None:
    global _BANK
    from .compose import SymbolBank

    _BANK = SymbolBank.from_inkml(files, seed=seed)


def _synth_job(job: tuple[int, int, tuple[str, ...], Path]) -> str:
    from .compose import compose_scene

    count, seed, kinds, out = job
    if not out.exists():
        assert _BANK is not None
        rng = np.random.default_rng(seed)
        samples = []
        for _ in range(count):
            scene = compose_scene(_BANK, rng)
            for kind in kinds:
                sample = make_sample(scene, rng, kind)
                if sample is not None and len(sample.labels):
                    samples.append(sample)
        save_shard(samples, out)
    return str(out)


def build_synthetic_shards(
    files: Sequence[Path],
    out_dir: str | Path,
    *,
    count: int,
    seed: int,
    kinds: Sequence[str] = ("canvas", "photo"),
    per_shard: int = 250,
    jobs: int = 2,
) -> list[Path]:
    """*count* composed expressions from the symbols of *files*, drawn once per kind."""
    import multiprocessing

    from .compose import COMPOSE_VERSION

    out_dir = Path(out_dir)
    work = []
    for k, i in enumerate(range(0, count, per_shard)):
        shard_seed = zlib.crc32(f"synth:{seed}:{k}".encode())
        n = min(per_shard, count - i)
        work.append(
            (
                n,
                shard_seed,
                tuple(kinds),
                out_dir / f"synth-c{COMPOSE_VERSION}-p{PREPARATION_VERSION}-s{seed}-{k:03d}.npz",
            )
        )
    todo = [w for w in work if not w[3].exists()]
    if todo:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(max(1, jobs), initializer=_init_bank, initargs=(list(files), seed)) as pool:
            list(pool.imap(_synth_job, todo))
    return [w[3] for w in work]
