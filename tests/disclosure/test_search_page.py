"""What a visitor sees on the search page: each hit's facts in Chinese and English, escaped; the
filters they chose, in their language; record counts that follow publications day by day; the
site's links under another URLconf or script prefix.

Parts of the page are written in Python or remembered in memory (disclosure_tags.search_hits,
``{% memoised %}``, ``{% memo_url %}``, disclosure/hit_counts.py): these tests hold them to what
the plain template rendered.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
import time_machine
from django.template import engines
from django.test import override_settings
from django.test.utils import override_script_prefix
from django.urls import reverse
from django.utils import timezone, translation

from disclosure.forms import SearchForm
from disclosure.hit_counts import hit_counts
from disclosure.templatetags import disclosure_tags
from disclosure.templatetags.disclosure_tags import search_hits
from registry import services
from registry.choices import District, RecordCategory, SubjectType
from registry.projection import public_subject
from sanctions.choices import LIST_SLUGS
from tests.base import valid_code

pytestmark = pytest.mark.django_db

SEARCH = reverse("disclosure:search")

# The hit list as the template wrote it before search_hits: the reference the tag must match.
REFERENCE_HITS = """{% load i18n %}{% for hit in hits %}{% with s=hit.subject %}
      <li class="hit">
        <a class="hit-name" href="{{ hit.url }}">{{ s.name }}</a>
        <div class="hit-meta">
          <span class="code">{{ s.code }}</span>
          {% if s.district_label %}<span>{{ s.district_label }}</span>{% endif %}
          <span>{{ s.subject_type_label }}</span>
          <span class="status status-{{ s.status }}">{{ s.status_label }}</span>
        </div>
        <div class="hit-reason muted small" data-reason="{{ hit.reason }}">
          {% if hit.reason == "code" %}{% translate "Matched: credit code" %}
          {% elif hit.reason == "registration_number" %}{% blocktranslate with number=hit.reason_detail %}Matched: registration number {{ number }}{% endblocktranslate %}
          {% elif hit.reason == "former_name" %}{% blocktranslate with name=hit.reason_detail %}Matched: former name “{{ name }}”{% endblocktranslate %}
          {% elif hit.reason == "name" %}{% translate "Matched: current name" %}{% endif %}
        </div>
        <div class="hit-flags">
          {% if hit.dishonest %}<span class="tag tag-danger">{% translate "Dishonesty record" %}</span>{% endif %}
          <span class="muted small">{% blocktranslate count counter=hit.record_count %}{{ counter }} public record{% plural %}{{ counter }} public records{% endblocktranslate %}</span>
        </div>
      </li>
      {% endwith %}{% endfor %}"""  # noqa: E501

# The filter fields as the template wrote them before ``{% memoised %}``.
REFERENCE_FILTERS = """{% for field in form %}{% if field.name != "q" %}
      <div class="field{% if field.name == 'dishonest' %} field-check{% endif %}">
        {% if field.name == "dishonest" %}{{ field }} {{ field.label_tag }}{% else %}{{ field.label_tag }} {{ field }}{% endif %}
      </div>
      {% endif %}{% endfor %}"""  # noqa: E501


def _hit(subject, **fields) -> dict:
    return {
        "subject": public_subject(subject, ()),
        "url": reverse("disclosure:subject", args=[subject.code]),
        "dishonest": False,
        "record_count": 0,
        "reason": "name",
        "reason_detail": subject.name,
        **fields,
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_hit_list_is_what_the_template_wrote(make_subject, language):
    plain = make_subject("北京华为科技有限公司", code=valid_code(division="110108"))
    odd = make_subject('北京<b>"粗体"</b>&科技有限公司', code=valid_code(category="92", division="110105"))
    elsewhere = make_subject("外地华为有限公司")
    hits = [
        _hit(plain),
        _hit(plain, reason="code", reason_detail=plain.code, dishonest=True, record_count=1),
        _hit(odd, reason="registration_number", reason_detail="110108<0001>&", record_count=2),
        _hit(odd, reason="former_name", reason_detail='旧名<script>"x"</script>', record_count=1234),
        _hit(elsewhere, reason="", reason_detail="", dishonest=True, record_count=21),
        {**_hit(elsewhere), "subject": replace(public_subject(elsewhere, ()), district="")},  # no district
        _hit(odd, url="/subject/a&b/"),
    ]
    reference = engines["django"].from_string(REFERENCE_HITS)

    with translation.override(language):
        assert search_hits(hits) == reference.render({"hits": hits})


def _hit_items(body: str) -> list[str]:
    return re.findall(r'<li class="hit">.*?</li>', body, flags=re.S)


def test_a_hit_shows_the_subjects_facts_why_it_matched_and_its_records(
    client, make_subject, department_a, public_record
):
    subject = make_subject("北京华为科技有限公司", code=valid_code(division="110108"))
    public_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY)
    public_record(subject, department_a)

    (item,) = _hit_items(client.get(SEARCH, {"q": "华为"}).content.decode())

    assert f'<a class="hit-name" href="/subject/{subject.code}/">北京华为科技有限公司</a>' in item
    assert f'<span class="code">{subject.code}</span>' in item
    assert "<span>海淀区</span>" in item and "<span>企业</span>" in item
    assert '<span class="status status-active">存续</span>' in item
    assert 'data-reason="name"' in item and "匹配：现用名称" in item
    assert '<span class="tag tag-danger">有失信记录</span>' in item
    assert "2 条公示信息" in item

    client.cookies["django_language"] = "en"
    (item,) = _hit_items(client.get(SEARCH, {"q": "华为"}).content.decode())

    assert "北京华为科技有限公司" in item  # names are data, not translated
    assert "<span>Enterprise</span>" in item and ">Active</span>" in item
    assert "Matched: current name" in item
    assert '<span class="tag tag-danger">Dishonesty record</span>' in item
    assert "2 public records" in item


def test_a_hit_by_former_name_or_code_says_so_in_either_language(client, make_subject):
    renamed = make_subject("北京旧名华为有限公司")
    services.update_subject(renamed, name="北京新名科技有限公司")

    body = client.get(SEARCH, {"q": "旧名华为"}).content.decode()
    assert "匹配：曾用名“北京旧名华为有限公司”" in body and "0 条公示信息" in body
    assert "tag-danger" not in body

    client.cookies["django_language"] = "en"
    body = client.get(SEARCH, {"q": renamed.code, "type": SubjectType.ENTERPRISE}).content.decode()
    assert "Matched: credit code" in body and "0 public records" in body


def test_a_name_with_html_characters_is_shown_escaped(client, make_subject):
    make_subject('华为<script>alert("x")</script>&科技')

    body = client.get(SEARCH, {"q": "华为"}).content.decode()

    assert "<script>alert" not in body
    assert "华为&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;科技" in body


def _filters(body: str) -> str:
    return re.search(r'<aside class="filters".*?</aside>', body, flags=re.S).group(0)


def test_the_filters_show_what_was_chosen_in_the_visitors_language(client, make_subject):
    make_subject("北京华为科技有限公司")
    chosen = {
        "q": "华为",
        "district": District.HAIDIAN,
        "category": RecordCategory.PENALTY,
        "dishonest": "on",
    }

    plain = _filters(client.get(SEARCH, {"q": "华为"}).content.decode())
    filtered = _filters(client.get(SEARCH, chosen).content.decode())

    assert "selected" not in plain.replace('<option value="" selected>', "")
    assert f'<option value="{District.HAIDIAN}" selected>海淀区</option>' in filtered
    assert '<option value="penalty" selected>行政处罚</option>' in filtered
    assert "checked" in filtered and "checked" not in plain
    assert "主体类型" in filtered and "仅显示有失信记录的主体" in filtered

    client.cookies["django_language"] = "en"
    english = _filters(client.get(SEARCH, chosen).content.decode())

    assert "Subject type" in english and "Only subjects with a dishonesty record" in english
    assert '<option value="" selected>All types</option>' in english
    assert '<option value="penalty" selected>Administrative penalty</option>' in english
    assert "checked" in english


QUERIES = [
    {},
    {"district": ""},
    {"district": District.HAIDIAN},
    {"district": District.CHAOYANG, "type": SubjectType.INDIVIDUAL_BUSINESS},
    {"district": "999"},
    {"district": "<b>"},
    {"type": "nonsense", "category": RecordCategory.LICENCE},
    {"category": "zz", "dishonest": "0"},
    {"dishonest": "on"},
    {"dishonest": "true"},
    {"dishonest": "false"},
    {"dishonest": ""},
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_filters_that_share_a_key_render_alike(language):
    """``SearchForm.filters_key`` keys the memoised filters: queries with one key must render
    the same fields, queries with different keys different ones."""
    reference = engines["django"].from_string(REFERENCE_FILTERS)
    rendered: dict[tuple, str] = {}
    with translation.override(language):
        for query in QUERIES:
            html = reference.render({"form": SearchForm(query)})
            key = SearchForm.filters_key(query)
            assert rendered.setdefault(key, html) == html, query
    assert len(set(rendered.values())) == len(rendered)


def test_the_memoised_filters_are_what_the_form_renders(client, make_subject):
    make_subject("北京华为科技有限公司")
    reference = engines["django"].from_string(REFERENCE_FILTERS)
    for language in ["zh-hans", "en", "zh-hans"]:
        client.cookies["django_language"] = language
        for query in QUERIES:
            body = client.get(SEARCH, {"q": "华为", **query}).content.decode()
            with translation.override(language):
                assert reference.render({"form": SearchForm({"q": "华为", **query})}) in body, (
                    language,
                    query,
                )


def _counts_on_page(client) -> list[str]:
    body = client.get(SEARCH, {"q": "华为"}).content.decode()
    return re.findall(r'<span class="muted small">(\d+) 条公示信息</span>', body)


def test_record_counts_follow_publications_and_withdrawals_day_by_day(
    client, make_subject, department_a, public_record
):
    subject = make_subject("北京华为科技有限公司")
    first = public_record(subject, department_a)
    assert _counts_on_page(client) == ["1"]

    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        public_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY)
        assert _counts_on_page(client) == ["2"]
        assert (
            '<span class="tag tag-danger">有失信记录</span>'
            in client.get(SEARCH, {"q": "华为"}).content.decode()
        )

    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=True):
        services.revoke_record(first, actor=None, reason="决定已撤销")
        assert _counts_on_page(client) == ["1"]


def test_the_counts_use_the_day_they_are_read_on(make_subject, department_a, public_record):
    """The counts' SQL is compiled once per day: a record whose publicity period has ended is no
    longer counted the next day, before any job has touched it."""
    subject = make_subject("北京华为科技有限公司")
    record = public_record(subject, department_a)
    assert record.publish_until is not None

    assert hit_counts([subject.pk]) == ({subject.pk: 1}, set())
    last_day = dt.datetime.combine(record.publish_until - dt.timedelta(days=1), dt.time(23, 0))
    with time_machine.travel(timezone.make_aware(last_day, timezone.get_fixed_timezone(480)), tick=False):
        assert hit_counts([subject.pk]) == ({subject.pk: 1}, set())
    out = dt.datetime.combine(record.publish_until, dt.time(0, 30))
    with time_machine.travel(timezone.make_aware(out, timezone.get_fixed_timezone(480)), tick=False):
        assert hit_counts([subject.pk]) == ({}, set())
    assert hit_counts([]) == ({}, set())


def test_the_sites_links_follow_the_script_prefix_and_the_urlconf(client, make_subject):
    make_subject("北京华为科技有限公司")
    feed, switch = reverse("disclosure:feed"), reverse("set_language")
    assert f'href="{feed}"' in client.get(SEARCH, {"q": "华为"}).content.decode()

    with override_script_prefix("/credit/"):
        prefixed = client.get(SEARCH, {"q": "华为"}).content.decode()
    assert f'href="/credit{feed}"' in prefixed and f'action="/credit{switch}"' in prefixed

    with override_settings(ROOT_URLCONF="tests.disclosure.mounted_urls"):
        mounted = client.get("/mounted" + SEARCH, {"q": "华为"}).content.decode()
    assert f'href="/mounted{feed}"' in mounted and f'action="/mounted{switch}"' in mounted

    assert f'href="{feed}"' in client.get(SEARCH, {"q": "华为"}).content.decode()


def _current_nav_link(body: str) -> list[str]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', body, flags=re.S).group(0)
    return re.findall(r'<a href="([^"]*)"[^>]*aria-current="page"', nav)


def test_the_navigation_marks_the_page_the_visitor_is_on_in_their_language(client):
    """The navigation is memoised per page kind: each page still marks its own link."""
    serious = reverse("disclosure:list", args=["serious-dishonesty"])
    other_list = reverse(
        "disclosure:list", args=[next(slug for slug in LIST_SLUGS if slug != "serious-dishonesty")]
    )
    pages = {
        reverse("disclosure:home"): [reverse("disclosure:home")],
        SEARCH: [SEARCH],
        reverse("disclosure:feed"): [reverse("disclosure:feed")],
        reverse("disclosure:lists"): [reverse("disclosure:lists")],
        serious: [serious],
        other_list: [reverse("disclosure:lists")],
        reverse("disclosure:verify"): [reverse("disclosure:verify")],
    }
    for _round in range(2):
        for url, current in pages.items():
            assert _current_nav_link(client.get(url).content.decode()) == current, url

    assert ">信用查询</a>" in client.get(reverse("disclosure:home")).content.decode()
    client.cookies["django_language"] = "en"
    body = client.get(reverse("disclosure:home")).content.decode()
    assert ">Credit search</a>" in body and "Verify a credit report" in body


def test_the_memos_are_bounded():
    memo = disclosure_tags._Memo(size=3)
    for index in range(10):
        memo.put((index,), str(index))
    assert memo.get((0,)) is None and memo.get((9,)) == "9"
    assert len(memo.entries) == 3
