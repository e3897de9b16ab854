"""Where Debian's Chromium is and how it is started headless on these machines.

Shared by the page tests and `docs/make_screenshot.py`, so both launch the
browser the same way. The background-networking flags keep Chromium from
dialling out of a machine whose network is closed.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
