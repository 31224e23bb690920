"""The documentation site works offline and from the file system.

The diagrams are committed SVG files drawn from their source (``docs/diagrams/render.py``), not
Mermaid code that a script from a CDN would draw in the browser (offline it showed as raw
source); and the built site links to ``page.html`` files, so that opening ``site/index.html``
works without a server.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from docs.diagrams import render
from tests.support.server import ROOT

DOCS = ROOT / "docs"


@pytest.mark.parametrize("name", sorted(render.DIAGRAMS))
def test_each_diagram_is_drawn_from_its_current_source(name: str) -> None:
    committed = (render.HERE / name).read_text(encoding="utf-8")
    assert committed == render.DIAGRAMS[name](), (
        f"docs/diagrams/{name} differs from its source: run `python -m docs.diagrams.render` "
        f"and commit the result"
    )
    root = ElementTree.fromstring(committed)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title") is not None  # for screen readers


def test_every_diagram_is_shown_by_a_page() -> None:
    pages = "".join(path.read_text(encoding="utf-8") for path in DOCS.rglob("*.md"))
    for name in render.DIAGRAMS:
        assert re.search(rf"\]\((\.\./)?diagrams/{re.escape(name)}\)", pages), name


def test_no_page_draws_a_diagram_with_a_script() -> None:
    for path in DOCS.rglob("*.md"):
        assert "```mermaid" not in path.read_text(encoding="utf-8"), path
    assert "mermaid" not in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_the_built_site_links_to_files_not_directories() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^use_directory_urls: false$", config, re.M)
