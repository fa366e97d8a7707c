"""Small display helpers of the public site."""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.template.base import FilterExpression
from django.template.defaulttags import URLNode, url
from django.urls import get_script_prefix, get_urlconf
from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from registry.choices import District, PenaltyType

register = template.Library()


@register.filter
def penalty_labels(values) -> str:
    """Readable, translated penalty types of a record, joined the Chinese way."""
    labels = [PenaltyType(value).label if value in PenaltyType.values else value for value in values or []]
    return "、".join(str(label) for label in labels)


@register.filter
def district_label(value: str) -> str:
    return District(value).label if value in District.values else ""


@register.simple_tag
def capped_count(count: int, capped: bool) -> str:
    """``10,000+`` when the count stopped at the cap, else the exact count with separators."""
    text = number_format(count, force_grouping=True)
    return f"{text}+" if capped else text


@register.filter
def capital_wan(value) -> str:
    """Registered capital, stored in 10k CNY, as people read it: ``50 万元``, ``1,234.5 万元``.

    Thousands separators whatever the language (zh-hans formats group by nothing), no trailing
    zeros of the stored four decimals; an empty value is a dash.
    """
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{amount:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return gettext("%(amount)s × 10k CNY") % {"amount": text}


# One hit of the search page's list (templates/disclosure/includes/search_body.html) written in
# Python, with the template's own whitespace, escaping and msgids: through the template engine
# a hit cost about 0.3 ms of CPU, 6 ms of a page of 20.
_HIT = (
    '\n      <li class="hit">\n'
    '        <a class="hit-name" href="{url}">{name}</a>\n'
    '        <div class="hit-meta">\n'
    '          <span class="code">{code}</span>\n'
    "          {district}\n"
    "          <span>{subject_type}</span>\n"
    '          <span class="status status-{status}">{status_label}</span>\n'
    "        </div>\n"
    '        <div class="hit-reason muted small" data-reason="{reason}">\n'
    "          {reason_text}\n"
    "        </div>\n"
    '        <div class="hit-flags">\n'
    "          {dishonest}\n"
    '          <span class="muted small">{record_count}</span>\n'
    "        </div>\n"
    "      </li>\n      "
)
_AFTER_REASON = "\n          "  # what the template's {% elif %} lines left after a reason
_DETAILED_REASONS = {"registration_number", "former_name"}  # reasons that show their detail


def _escape(value: Any) -> str:
    """``conditional_escape``, without its layers for a plain ``str`` (what Django's ``escape``
    does to one: ``html.escape``); about 2 µs saved on each of a page's hundred values."""
    return html.escape(value) if type(value) is str else conditional_escape(value)


def _reason_text(reason: str, detail: str) -> str:
    """Why the subject matched, in the visitor's language (translations are trusted HTML, the
    detail is escaped, as ``{% blocktranslate %}`` does)."""
    if reason == "code":
        return gettext("Matched: credit code") + _AFTER_REASON
    if reason == "registration_number":
        text = gettext("Matched: registration number %(number)s") % {"number": _escape(detail)}
        return text + _AFTER_REASON
    if reason == "former_name":
        text = gettext("Matched: former name “%(name)s”") % {"name": _escape(detail)}
        return text + _AFTER_REASON
    if reason == "name":
        return gettext("Matched: current name")
    return ""


@register.simple_tag
def search_hits(hits: list[dict[str, Any]]) -> SafeString:
    """The ``<li>`` of each hit of the search page (views.py ``_search_bundle`` builds them).
    A page's hits share a few districts, types, statuses, counts and reasons: each of those is
    translated and escaped once per page (a label is a function of its value in a language)."""
    dishonest = '<span class="tag tag-danger">{}</span>'.format(gettext("Dishonesty record"))
    shown_facts: dict[tuple[str, str, str], dict[str, str]] = {}
    shown_counts: dict[int, str] = {}
    shown_reasons: dict[tuple[str, str], str] = {}
    items = []
    for hit in hits:
        subject = hit["subject"]
        facts = shown_facts.get((subject.district, subject.subject_type, subject.status))
        if facts is None:
            district = subject.district_label
            facts = shown_facts[(subject.district, subject.subject_type, subject.status)] = {
                "district": f"<span>{_escape(district)}</span>" if district else "",
                "subject_type": _escape(subject.subject_type_label),
                "status": _escape(subject.status),
                "status_label": _escape(subject.status_label),
            }
        count = hit["record_count"]
        record_count = shown_counts.get(count)
        if record_count is None:
            record_count = shown_counts[count] = ngettext(
                "%(counter)s public record", "%(counter)s public records", count
            ) % {"counter": _escape(localize(count))}
        reason = (hit["reason"], hit["reason_detail"] if hit["reason"] in _DETAILED_REASONS else "")
        reason_text = shown_reasons.get(reason)
        if reason_text is None:
            reason_text = shown_reasons[reason] = _reason_text(*reason)
        items.append(
            _HIT.format(
                url=_escape(hit["url"]),
                name=_escape(subject.name),
                code=_escape(subject.code),
                reason=_escape(hit["reason"]),
                reason_text=reason_text,
                dishonest=dishonest if hit["dishonest"] else "",
                record_count=record_count,
                **facts,
            )
        )
    return mark_safe("".join(items))  # noqa: S308 (every value escaped above)


class _Memo:
    """A small LRU of rendered HTML, shared by the threads of this process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, SafeString] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> SafeString | None:
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
            return html

    def put(self, key: tuple, html: SafeString) -> None:
        with self.lock:
            self.entries[key] = html
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


MEMO = _Memo(size=512)


def _rendering_state(context: template.Context) -> tuple:
    """What any URL or text in a template block depends on besides its own values: the URLconf
    (the request's or ROOT_URLCONF), the script prefix, the language, the current app (found as
    URLNode.render finds it) and autoescaping."""
    try:
        current_app = context.request.current_app
    except AttributeError:
        try:
            current_app = context.request.resolver_match.namespace
        except AttributeError:
            current_app = None
    return (
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        get_language(),
        current_app,
        context.autoescape,
    )


class MemoisedNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str, keys: list[FilterExpression]) -> None:
        self.nodelist, self.name, self.keys = nodelist, name, keys

    def render(self, context: template.Context) -> str:
        key = (
            self.name,
            *_rendering_state(context),
            *(expression.resolve(context) for expression in self.keys),
        )
        html = MEMO.get(key)
        if html is None:
            html = self.nodelist.render(context)  # safe already: the template's own output
            MEMO.put(key, html)
        return html


@register.tag
def memoised(parser: template.base.Parser, token: template.base.Token) -> MemoisedNode:
    """``{% memoised "name" key ... %}…{% endmemoised %}``: the block rendered once per values of
    the keys (and language, URLconf, script prefix), then served from memory in this process (an
    LRU of 512 blocks). For a part of a page that depends on nothing else, such as the search
    filters (about 2 ms of CPU through the form renderer) or the site's navigation; the keys must
    be bounded, never raw user input."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("'memoised' takes a name and the values the block depends on")
    nodelist = parser.parse(("endmemoised",))
    parser.delete_first_token()
    return MemoisedNode(nodelist, bits[1].strip("\"'"), [parser.compile_filter(bit) for bit in bits[2:]])


URL_MEMO = _Memo(size=256)


class MemoURLNode(URLNode):
    """``{% url %}`` remembered per URLconf, script prefix, language and current app."""

    def render(self, context: template.Context) -> str:
        if self.asvar:
            return super().render(context)
        key = (
            *_rendering_state(context),
            self.view_name.resolve(context),
            *(arg.resolve(context) for arg in self.args),
            *((name, value.resolve(context)) for name, value in self.kwargs.items()),
        )
        url = URL_MEMO.get(key)
        if url is None:
            url = super().render(context)
            URL_MEMO.put(key, url)
        return url


@register.tag
def memo_url(parser: template.base.Parser, token: template.base.Token) -> MemoURLNode:
    """``{% url %}`` for the links of every page's frame (base.html): reverse() costs about 0.1 ms
    of CPU, a dozen of them 1.2 ms a page. Only for literal view names and arguments: each
    distinct URL is remembered (an LRU of 256)."""
    node = url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)
