"""The README and docs/ send readers only to files in this repository (a link to ../shared/ or to a
file that was moved is a dead end for everyone who cloned it), and their #anchors exist."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*\b(?:href|src)=["']([^"']+)["']""")
# A path written as code that names a document, e.g. `docs/rules.md` or `../shared/DOMAIN.md`.
CODE_PATH = re.compile(r"`(\.{0,2}/?[\w./-]+\.md)(?:#[^`]*)?`")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    return {_slug(match) for match in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE)}


def _targets(document: Path) -> list[str]:
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    found = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text) + HTML_LINK.findall(text)
    return found + CODE_PATH.findall(text)


def _relative(target: str) -> bool:
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("/")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_inside_the_repository(document):
    problems = []
    for target in filter(_relative, _targets(document)):
        path_part, _, anchor = unquote(target).partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            problems.append(f"{target}: no heading with this anchor in {resolved.name}")
    assert not problems, f"{document.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def test_the_readme_leads_to_the_rules():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/rules.md)" in readme
    assert "DOMAIN.md" not in readme and "../shared" not in readme
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for heading in (
        "credit codes",
        "publication",
        "counting days",
        "objections",
        "lists",
        "never shown",
        "annual",
    ):
        assert any(heading in line.lower() for line in rules.splitlines() if line.startswith("## ")), heading


def test_the_api_documentation_cites_the_rules_in_the_repository():
    """Docstrings become the API's published descriptions: they cite docs/rules.md, not a file the
    reader does not have."""
    schema = (ROOT / "openapi" / "schema.yml").read_text(encoding="utf-8")
    assert "DOMAIN.md" not in schema
    assert "docs/rules.md §2" in schema and "docs/rules.md §6" in schema
