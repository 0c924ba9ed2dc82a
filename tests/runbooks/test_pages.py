"""Rendering one runbook: titles, descriptions, heading ids and the sanitiser."""

import os

import pytest

from runbooks import pages


@pytest.fixture
def folder(settings, tmp_path):
    settings.RUNBOOKS_DIR = tmp_path
    return tmp_path


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("database", "database"),
        ("Disk full", "disk-full"),
        ("Is `beat` running?", "is-beat-running"),
        ("Back up PostgreSQL", "back-up-postgresql"),
        ("A task keeps failing or timing out", "a-task-keeps-failing-or-timing-out"),
    ],
)
def test_a_heading_id_is_its_text_slugified(folder, heading, anchor):
    (folder / "one.md").write_text(f"# One\n\nAbout one.\n\n## {heading}\n\nText.\n")

    runbook = pages.runbook_get("one")

    assert f'<h2 id="{anchor}">' in runbook.html
    assert [section.id for section in runbook.sections] == [anchor]
    assert pages.heading_id(heading.replace("`", "")) == anchor


def test_title_description_and_contents_come_from_the_file(folder):
    (folder / "disk.md").write_text(
        "# Disk full\n\nOpen this when `df` says\nso.\n\n"
        "## Check\n\n### Under var\n\nText.\n\n## Fix & clean\n\nMore.\n"
    )

    runbook = pages.runbook_get("disk")

    assert runbook.name == "disk"
    assert runbook.title == "Disk full"
    assert runbook.description == "Open this when <code>df</code> says so."
    assert runbook.sections == (
        pages.Section("check", "Check", (pages.Section("under-var", "Under var"),)),
        pages.Section("fix-clean", "Fix & clean"),
    )
    assert "<h1" not in runbook.html  # the title is the page's own heading


def test_tables_and_fenced_code_render(folder):
    (folder / "t.md").write_text(
        "# T\n\nD.\n\n| a | b |\n| :-- | --: |\n| 1 | 2 |\n\n```sh\necho <hi>\n```\n"
    )

    html = pages.runbook_get("t").html

    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert "<pre><code>echo &lt;hi&gt;\n</code></pre>" in html


def test_scripts_handlers_and_unsafe_links_are_removed(folder):
    (folder / "evil.md").write_text(
        "# Evil\n\nHi <script>alert(1)</script> [x](javascript:alert(2)).\n\n"
        "## Steps\n\n<script>alert(3)</script>\n\n"
        "[a](javascript:alert(4)) [b](data:text/html,x) [c](https://example.com/c) "
        "[d](/runbooks/evil/#steps) [e](#steps)\n\n"
        '<a href="javascript:alert(5)" onclick="alert(6)">raw</a> '
        "<img src=x onerror=alert(7)> <iframe src=https://example.com></iframe>\n"
        '<h2 style="color:red" class="x">Styled</h2>\n'
    )

    runbook = pages.runbook_get("evil")

    for html in (runbook.html, runbook.description):
        assert "alert(" not in html
        assert "javascript:" not in html
        assert "data:" not in html
        assert "<script" not in html
        assert "onclick" not in html
        assert "onerror" not in html
        assert "<img" not in html
        assert "<iframe" not in html
        assert "style=" not in html
        assert "class=" not in html
    assert 'href="https://example.com/c"' in runbook.html
    assert 'href="/runbooks/evil/#steps"' in runbook.html
    assert 'href="#steps"' in runbook.html


@pytest.mark.parametrize(
    "name",
    ["../config/settings", "..", "README", "readiness.md", "Readiness", "a/b", "", "a b", "é"],
)
def test_a_name_outside_the_pattern_is_no_runbook(folder, name):
    (folder / "README.md").write_text("# Readme\n")
    (folder / "b.md").write_text("# B\n")

    assert pages.runbook_get(name) is None


def test_only_lower_case_names_are_listed(folder):
    (folder / "README.md").write_text("# Readme\n")
    (folder / "notes.txt").write_text("# Notes\n")
    (folder / "b-2.md").write_text("# Bee\n")
    (folder / "a.md").write_text("# Ay\n")

    assert [runbook.name for runbook in pages.runbook_list()] == ["a", "b-2"]


def test_an_edited_file_is_rendered_again(folder):
    path = folder / "r.md"
    path.write_text("# Before\n")
    assert pages.runbook_get("r").title == "Before"

    path.write_text("# After the edit\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))

    assert pages.runbook_get("r").title == "After the edit"
