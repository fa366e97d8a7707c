"""The Content-Security-Policy allows scripts from the site only (settings.CONTENT_SECURITY_POLICY):
a script written inline in a template would silently not run in the browser (the import progress
page once stopped updating that way). Every template loads its scripts from files."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def test_no_template_carries_an_inline_script_or_event_handler():
    offending = []
    for template in sorted([*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER):
            offending += [
                f"{template.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
                for match in pattern.finditer(text)
            ]
    assert not offending, "scripts the CSP blocks:\n" + "\n".join(offending)
