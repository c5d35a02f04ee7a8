"""Reading the source folder: nothing outside it is read, and nothing odd inside it hangs the build."""
from __future__ import annotations

import os
from pathlib import Path

from pipeline.source import list_sources, read_inside


def test_read_inside_reads_files_and_links_that_stay_inside(tmp_path: Path) -> None:
    src, outside = tmp_path / "src", tmp_path / "secret.md"
    src.mkdir()
    outside.write_text("secret")
    (src / "Page.md").write_text("# Page")
    (src / "Alias.md").symlink_to(src / "Page.md")
    (src / "Leak.md").symlink_to(outside)
    (src / "Up.md").symlink_to("../secret.md")
    (src / "Folder.md").mkdir()
    (src / "sub").mkdir()
    (src / "sub" / "deep.md").write_text("deep")
    os.mkfifo(src / "Pipe.md")  # opening it for reading would wait for a writer forever
    assert read_inside(src, "Page.md") == b"# Page"
    assert read_inside(src, "Alias.md") == b"# Page"
    assert read_inside(src, "sub/deep.md") == b"deep"
    for name in ("Leak.md", "Up.md", "Folder.md", "Pipe.md", "Missing.md", "../secret.md"):
        assert read_inside(src, name) is None, name
    assert "Pipe.md" in list_sources(src) and "Folder.md" not in list_sources(src)
