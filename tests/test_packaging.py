"""``pip install mathocr`` is the library and CLI alone; the web service is the ``web`` extra.

Each check runs in a fresh interpreter, because this test process has Django
loaded already (pytest-django). Where the web packages must be absent, an
import hook makes them unimportable, as they are on a machine without the
extra: the library must work, and ``mathocr serve`` must say what to install.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from mathocr.commands.serve import WEB_MODULES

from .web.strokes import render_png

ROOT = Path(__file__).resolve().parent.parent

# Installed before anything else in the child: every web package (and anything
# under it) fails to import with the error pip's absence would give.
BLOCK_WEB = textwrap.dedent(
    f"""
    import sys

    BLOCKED = {WEB_MODULES!r}

    class NoWebExtra:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, NoWebExtra())
    """
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _library_modules() -> list[str]:
    """Every module of the core library; training (PyTorch, the train extra) aside."""
    names = []
    for path in sorted((ROOT / "mathocr").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "training" in parts or parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_library_and_cli_never_import_django(tmp_path):
    image = tmp_path / "sum.png"
    image.write_bytes(render_png("2+3"))
    code = textwrap.dedent(
        """
        import contextlib, importlib, io, json, sys

        modules = json.loads(sys.argv[1])
        for name in modules:
            importlib.import_module(name)
        import mathocr
        from mathocr.cli import main

        result = mathocr.recognize(sys.argv[2])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                main(["--help"])
            except SystemExit as e:
                assert e.code == 0, e.code
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["recognize", sys.argv[2]]) == 0
        web = sorted(
            m for m in sys.modules if m.split(".")[0] in {"django", "rest_framework", "gunicorn"}
        )
        print(json.dumps({"latex": result.latex, "help": out.getvalue(), "web": web}))
        """
    )
    modules = _library_modules()
    assert "mathocr.detect.recognizer" in modules and "mathocr.cli" in modules
    assert "mathocr.commands.serve" in modules
    done = _python(code, json.dumps(modules), str(image))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["web"] == []
    assert report["latex"].replace(" ", "") == "2+3"
    assert "serve" in report["help"] and "recognize" in report["help"]


def test_the_library_works_without_the_web_extra(tmp_path):
    image = tmp_path / "sum.png"
    image.write_bytes(render_png("2+3"))
    code = BLOCK_WEB + textwrap.dedent(
        """
        try:
            import django
        except ImportError:
            pass
        else:
            raise SystemExit("the import hook did not hide django")
        import mathocr
        print(mathocr.recognize(sys.argv[1]).latex)
        """
    )
    done = _python(code, str(image))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().replace(" ", "") == "2+3"


def test_mathocr_help_runs_as_a_command():
    done = subprocess.run(
        [sys.executable, "-m", "mathocr", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout


@pytest.mark.parametrize(
    "argv", [["serve", "--port", "8123"], ["dataset", "export-corrections", "out"]]
)
def test_web_commands_without_the_web_extra_say_what_to_install(argv):
    code = BLOCK_WEB + "from mathocr.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    done = _python(code, *argv)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert "mathocr[web]" in done.stderr
    assert "django" in done.stderr


def test_pyproject_keeps_the_service_in_the_web_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    web = " ".join(project["optional-dependencies"]["web"]).lower()
    for name in (
        "django",
        "djangorestframework",
        "drf-spectacular",
        "dj-database-url",
        "whitenoise",
        "gunicorn",
        "psycopg",
    ):
        assert name not in core, name
        assert name in web, name
    for name in ("numpy", "onnxruntime", "opencv-python-headless", "sympy", "pillow"):
        assert name in core, name
    # The two README commands install what each needs.
    assert "scripts/setup.sh web\n" in (ROOT / "scripts" / "run.sh").read_text()
    assert "scripts/setup.sh web,train,dev\n" in (ROOT / "scripts" / "test.sh").read_text()
