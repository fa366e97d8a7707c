"""Every tab of the subject page (and every main menu link) is on screen, on a 1366x768 laptop and
on a phone, in real Chromium.

A tab row that scrolls sideways inside a clipped box hides the last categories (the serious
dishonesty list among them) from a citizen who never guesses that it scrolls: the row wraps
instead. Screenshots go to test-artifacts/subject-tabs/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.choices import RecordCategory
from tests.disclosure.conftest import recent

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "subject-tabs"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# For each tab: is it inside the viewport and the tab row horizontally, and is it what a click at
# its centre reaches (nothing clips or covers it)? Only the window scrolls, vertically.
VISIBILITY = """([rowSelector, itemSelector]) => {
  const row = document.querySelector(rowSelector);
  const rowBox = row.getBoundingClientRect();
  return [...row.querySelectorAll(itemSelector)].map((tab) => {
    const before = tab.getBoundingClientRect();
    window.scrollTo(0, window.scrollY + before.top - window.innerHeight / 2);
    const box = tab.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {
      tab: tab.dataset.tab || tab.textContent.trim(),
      left: box.left, right: box.right, rowLeft: rowBox.left, rowRight: rowBox.right,
      inViewport: box.left >= 0 && box.right <= window.innerWidth,
      inRow: box.left >= rowBox.left - 0.5 && box.right <= rowBox.right + 0.5,
      reachable: hit !== null && hit.closest(itemSelector) === tab,
    };
  });
}"""


@pytest.mark.parametrize(
    ("width", "height", "language"),
    [(1366, 768, "zh-hans"), (390, 844, "zh-hans"), (1366, 768, "en"), (390, 844, "en")],
)
def test_every_subject_tab_is_visible_without_sideways_scrolling(
    live_server, browser_page, make_subject, department_a, public_record, width, height, language
):
    subject = make_subject("北京华为科技有限公司")
    public_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY, decision_date=recent(20))
    page = browser_page
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.set_viewport_size({"width": width, "height": height})

    page.goto(f"{live_server.url}/subject/{subject.code}/")

    tabs = page.evaluate(VISIBILITY, [".tabs", ".tab"])
    menu = page.evaluate(VISIBILITY, [".site-nav .wrap", "a"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"subject-tabs-{width}x{height}-{language}.png"), full_page=True)
    assert len(tabs) == 2 + len(RecordCategory.choices)  # basic information, annual reports, categories
    hidden = [tab for tab in tabs if not (tab["inViewport"] and tab["inRow"] and tab["reachable"])]
    assert not hidden, f"tabs off screen or clipped at {width}x{height} ({language}): {hidden}"
    hidden_menu = [link for link in menu if not (link["inViewport"] and link["reachable"])]
    assert len(menu) == 7 and not hidden_menu, f"main menu links off screen: {hidden_menu}"
    row_overflow = page.evaluate(
        "() => { const row = document.querySelector('.tabs'); return row.scrollWidth - row.clientWidth; }"
    )
    assert row_overflow <= 1, "the tab row scrolls sideways: part of it is hidden"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # no page-wide scroll

    # The last tab works like the others.
    page.locator(".tabs .tab").last.click()
    page.wait_for_url("**tab=*")
    assert page.locator(".tabs .tab.active").get_attribute("data-tab") == page.locator(
        ".tabs .tab"
    ).last.get_attribute("data-tab")
