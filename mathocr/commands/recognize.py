"""``mathocr recognize``: Recognize handwritten expressions in image files or folders.

One line per image, in the order given (folders are walked, their images
sorted). A page of several lines of working gets a heading line and then one
line per line of working, indented, with its verdict: ``✓`` when it follows
from the lines above, ``✗`` at a wrong step with what was expected there.
A file that cannot be read gets its error on its line and the run goes on;
the exit code is 1 only when every file failed (unreadable, or blank: no
handwriting found). When the reader of the output goes away (``| head``),
the run stops quietly with exit code 141, as a tool killed by SIGPIPE would.

    $ mathocr recognize sum.png photos/ working.png
    sum.png: 2 + 3 -> 5
    photos/eq.jpg: (155 + 132 - 68) \\div 61 = 3.59 -> true (219/61 = 359/100)
    working.png: 3 lines, line 3 is wrong
      1. 3 + 4 -> 7
      2. = 7  ✓
      3. = 4  ✗ expected 7
    $ mathocr recognize --json sum.png
    {"file": "sum.png", "latex": "2 + 3", "text": "2+3", "value": "5", ...,
     "lines": [{"latex": "2 + 3", ..., "step": "start", ...}], "first_wrong": null}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: File name endings walked in folders (files named explicitly are always tried).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})
#: Show a progress bar on stderr from this many files on.
PROGRESS_FROM = 5
#: The exit code when the output is closed early: 128 + SIGPIPE, as the shell reports
#: a tool the signal ended, so that a pipeline can tell a cut-off run from a full one.
OUTPUT_CLOSED = 141


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "recognize",
        help="Recognize handwritten expressions in image files or folders",
        description="Recognize handwritten expressions in image files or folders.",
    )
    parser.add_argument(
        "images", nargs="+", metavar="IMAGE", help="image files or folders (walked recursively)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per line: file, latex, text, value, error, symbols, ms, "
        "solution_latex, lines (each line of working with its step), first_wrong",
    )
    parser.add_argument(
        "--debug",
        metavar="DIR",
        type=Path,
        help="write the intermediate images (gray, binary, thinned, boxes) of each file to DIR",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="never show the progress bar on stderr"
    )
    parser.set_defaults(func=run)


def expand(paths: Sequence[str]) -> Iterator[str]:
    """The files to read: named files as given, folders walked for images."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
            for p in found:
                yield str(p)
        else:
            yield given


def _line(record: dict[str, Any], holds: bool | None = None) -> str:
    """The human-readable line for one file."""
    head = f"{record['file']}: "
    if not record["latex"]:
        return head + f"error: {record['error']}"
    out = head + record["latex"]
    if holds is not None:
        out += f" -> {'true' if holds else 'false'} ({record['value']})"
    elif record["value"] is not None:
        out += f" -> {record['value']}"
    if record["error"]:
        out += f" (error: {record['error']})"
    return out


#: What each step verdict prints after its line: (UTF-8 mark, plain-ASCII fallback).
_MARKS = {"ok": ("✓", "ok"), "wrong": ("✗", "wrong"), "unreadable": ("?", "?")}


def _marks_fit(stream: Any) -> bool:
    """Whether *stream* can print the check marks (not on a Latin-1 or ASCII console)."""
    try:
        "✓✗".encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _page(record: dict[str, Any], unicode: bool = True) -> list[str]:
    """The output lines for a page of several lines of working: a heading, then one
    line per line of working with its verdict, so a teacher can scan for the ✗."""
    lines = record["lines"]
    first_wrong = record["first_wrong"]
    unreadable = [k for k, line in enumerate(lines) if line["step"] == "unreadable"]
    head = f"{record['file']}: {len(lines)} lines"
    if first_wrong is not None:
        head += f", line {first_wrong + 1} is wrong"
    elif unreadable:
        head += f", line {unreadable[0] + 1} could not be read"
    elif any(line["step"] == "ok" for line in lines):
        head += ", every step follows"
    out = [head]
    for k, line in enumerate(lines):
        text = f"  {k + 1}. {line['latex'] or '(nothing read)'}"
        step = line["step"]
        if step == "start":
            if line["value"] is not None:
                text += f" -> {line['value']}"
        else:
            mark = _MARKS.get(step, (step, step))[0 if unicode else 1]
            text += f"  {mark}"
            if step == "wrong" and line.get("expected") is not None:
                text += f" expected {line['expected']}"
            if step == "unreadable" and line["error"]:
                text += f" {line['error']}"
        out.append(text)
    return out


def _silence_stdout() -> None:
    """Point the process's stdout at the null device (nothing to do if it has no file)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # replaced by an in-memory stream (tests, embedding)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _debug_name(target: Path, file: str, used: set[str]) -> str:
    stem = Path(file).stem or "image"
    name, n = stem, 2
    while name in used:
        name, n = f"{stem}-{n}", n + 1
    used.add(name)
    return name


def _write_debug(target: Path, name: str, debug: Any) -> None:
    import cv2

    target.mkdir(parents=True, exist_ok=True)
    for step, image in debug.as_dict().items():
        cv2.imwrite(str(target / f"{name}.{step}.png"), image)


def run(args: argparse.Namespace) -> int:
    from ..detect.recognizer import default_recognizer
    from ..errors import ImageError

    files = list(expand(args.images))
    if not files:
        print("mathocr recognize: no image files found", file=sys.stderr)
        return 2
    recognizer = default_recognizer()  # load the model before any timing
    bar = None
    if len(files) >= PROGRESS_FROM and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=len(files), file=sys.stderr, unit="image", leave=False)
    failures = 0
    used: set[str] = set()
    marks_fit = _marks_fit(sys.stdout)
    try:
        for file in files:
            start = time.perf_counter()
            holds = None
            try:
                result = recognizer.recognize(file, debug=args.debug is not None)
            except ImageError as e:
                failures += 1
                record: dict[str, Any] = {
                    "file": file,
                    "latex": "",
                    "text": "",
                    "value": None,
                    "error": str(e),
                    "symbols": [],
                    "ms": round((time.perf_counter() - start) * 1000.0, 3),
                    "solution_latex": None,
                    "lines": [],
                    "first_wrong": None,
                }
            else:
                record = {
                    "file": file,
                    "latex": result.latex,
                    "text": result.text,
                    "value": result.value,
                    "error": result.error,
                    "symbols": [
                        {
                            "label": s.label,
                            "confidence": round(float(s.confidence), 4),
                            "box": [int(v) for v in s.box],
                        }
                        for s in result.symbols
                    ],
                    "ms": round(result.ms, 3),
                    "solution_latex": result.solution_latex,
                    "lines": [line.to_dict() for line in result.lines],
                    "first_wrong": result.first_wrong,
                }
                holds = result.holds
                if not result.symbols:  # a blank page: nothing was read from it
                    failures += 1
                if args.debug is not None and result.debug is not None:
                    _write_debug(args.debug, _debug_name(args.debug, file, used), result.debug)
            if args.json:
                text = json.dumps(record, ensure_ascii=False)
            elif len(record["lines"]) > 1:
                text = "\n".join(_page(record, marks_fit))
            else:
                text = _line(record, holds)
            if bar is not None:
                bar.write(text, file=sys.stdout)
                bar.update(1)
            else:
                print(text)
            sys.stdout.flush()  # each image as it is read, even into a pipe
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop without a traceback. Python would
        # flush stdout again at exit and fail once more, so stdout is pointed at
        # the null device first (the recipe in the signal module's documentation).
        _silence_stdout()
        return OUTPUT_CLOSED
    finally:
        if bar is not None:
            bar.close()
    return 1 if failures == len(files) else 0
