import os
import subprocess
import sys

import pytest

from config import dotenv
from tests.support import project_env


@pytest.fixture
def clean_environ(monkeypatch):
    """``dotenv.read`` writes to os.environ: these names are unset, then restored."""
    for name in ("VIGIL_DOTENV_A", "VIGIL_DOTENV_B"):
        monkeypatch.setenv(name, "")  # recorded, so that monkeypatch undoes what read() sets
        monkeypatch.delenv(name)
    return monkeypatch


def make_dotenv(directory):
    """The command the Makefile's bootstrap runs, in ``directory``."""
    return subprocess.run(
        [sys.executable, "-m", "config.dotenv", ".env"],
        cwd=directory,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_read_fills_in_what_the_environment_leaves_unset(tmp_path, clean_environ):
    clean_environ.setenv("VIGIL_DOTENV_A", "from-the-environment")
    path = tmp_path / ".env"
    path.write_text("# a comment\nVIGIL_DOTENV_A=from-the-file\nVIGIL_DOTENV_B=from-the-file\n")

    dotenv.read(path)

    assert os.environ["VIGIL_DOTENV_A"] == "from-the-environment"
    assert os.environ["VIGIL_DOTENV_B"] == "from-the-file"


def test_read_without_a_file_changes_nothing(tmp_path, clean_environ):
    before = dict(os.environ)

    dotenv.read(tmp_path / ".env")

    assert dict(os.environ) == before


def values_of(path):
    return dict(
        line.split("=", 1) for line in path.read_text().splitlines() if not line.startswith("#")
    )


def test_the_bootstrap_step_writes_debug_and_a_new_secret_key(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()

    result = make_dotenv(first)
    make_dotenv(second)

    assert "Wrote .env" in result.stdout
    values = values_of(first / ".env")
    assert set(values) == {"DEBUG", "SECRET_KEY"}
    assert values["DEBUG"] == "true"
    assert len(values["SECRET_KEY"]) >= 50
    assert values["SECRET_KEY"] != values_of(second / ".env")["SECRET_KEY"]
    assert (first / ".env").stat().st_mode & 0o777 == 0o600


def test_the_bootstrap_step_leaves_an_existing_file_alone(tmp_path):
    path = tmp_path / ".env"
    path.write_text("DEBUG=false\n")

    result = make_dotenv(tmp_path)

    assert result.stdout == ""
    assert path.read_text() == "DEBUG=false\n"
    assert list(tmp_path.iterdir()) == [path]
