"""The checkout's ``.env``: development settings for every command run by hand.

``make run`` writes one (``python -m config.dotenv .env``) so that ``manage.py`` commands
typed after it see the same ``DEBUG`` and ``SECRET_KEY`` as the processes it started;
``config/settings.py`` reads it. The environment always wins over the file.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import environ

TEMPLATE = """\
# Written once by `make run` for local development; never read by the test suite.
# Variables set in the environment win over these. Not for production.
DEBUG=true
SECRET_KEY={secret_key}
"""


def read(path: Path) -> None:
    """Add the variables of ``path`` to the environment, when the file exists; a variable
    the environment already has keeps its value."""
    if path.is_file():
        environ.Env.read_env(path, overwrite=False)


def create(path: Path) -> bool:
    """Write a development ``.env`` at ``path`` unless a file is there; True when written."""
    try:
        # "x": fails if the file exists, so a developer's own .env is never replaced.
        with path.open("x") as file:
            path.chmod(0o600)
            file.write(TEMPLATE.format(secret_key=secrets.token_urlsafe(50)))
    except FileExistsError:
        return False
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if create(target):
        print(f"Wrote {target} (DEBUG=true and a new SECRET_KEY).")
