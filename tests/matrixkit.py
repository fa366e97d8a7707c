"""The machinery of the permission matrix (tests/test_permission_matrix.py): answers, declarations
that expand into cases, the request and its check, and the walk over every URL pattern.

A declaration says, for one URL, what each persona gets:

    Page("disclosure:home", {"GET": everyone(200), "POST": everyone(405)})
    Page("admin:registry_creditrecord_import", {"GET": staff_page(OFFICIALS)})
    AdminModel("registry.department", view=REGULATORS, add=ADMIN, change=ADMIN, objects=("department_a",))
    Endpoint("api:record-detail", Scope.RECORDS_READ, {"GET": 200, "POST": 405}, pk_of("published_a"))

Objects are named (``"department_a"``) and looked up in the module's ``World`` when a case runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from tests.base import API_PERSONAS, CITIZEN, PERSONAS, SITE_PERSONAS

# -- Answers --------------------------------------------------------------------------------------

LOGIN = "login"  # 302 to the admin login page: the admin's answer to anyone who is not staff
GONE = "gone"  # 302 to the admin index, "does not exist": the answer to an unknown id too
ACCEPTED = "accepted"  # 200 (the form again) or a redirect after saving; never LOGIN, GONE or 4xx
Answer = int | str

MISSING_PK = 999_999_999  # an id no object has

# -- Personas -------------------------------------------------------------------------------------

STAFF = frozenset(name for name, persona in PERSONAS.items() if persona.is_staff)
REGULATORS = frozenset({"regulator_a", "regulator_b", "reviewer"})
ADMIN = frozenset({"platform_admin"})
OFFICIALS = REGULATORS | ADMIN
NOBODY: frozenset[str] = frozenset()
# The API reads keys only, never the session: the anonymous citizen, an account that is not staff
# and the most privileged session stand for every site persona there.
SESSIONS_ON_API = (CITIZEN, "enterprise_user", "platform_admin")
OPEN = "open"  # an endpoint that needs no key


def everyone(answer: Answer) -> dict[str, Answer]:
    return dict.fromkeys(SITE_PERSONAS, answer)


def only(answer: Answer, *personas: str) -> dict[str, Answer]:
    """For pages that cost much per request and whose answer cannot depend on the persona."""
    return dict.fromkeys(personas, answer)


def staff_page(allowed: frozenset[str] = STAFF, answer: Answer = 200, denied: Answer = 403) -> dict:
    """An admin page: LOGIN for anyone not staff, ``answer`` for ``allowed`` staff, ``denied`` else."""
    return {p: LOGIN if p not in STAFF else answer if p in allowed else denied for p in SITE_PERSONAS}


def admin_answer(staff: bool, allowed: bool, hidden: bool = False, ok: Answer = 200) -> Answer:
    """The admin's answer: LOGIN to anyone not staff, 403 without the permission, GONE for an
    object the persona's admin does not show (as for one that does not exist), else ``ok``."""
    if not staff:
        return LOGIN
    if not allowed:
        return 403
    return GONE if hidden else ok


# -- The objects --------------------------------------------------------------------------------


class World(dict):
    """Named objects (``world["draft_a"]``), the personas' sessions and keys, and one client."""

    sessions: dict[str, str]
    keys: dict[str, str]
    client: APIClient


Kwargs = Callable[[World], dict]


def pk_of(name: str) -> Kwargs:
    return lambda world: {"pk": world[name].pk}


def missing_pk(world: World) -> dict:
    return {"pk": MISSING_PK}


# -- Cases ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    persona: str
    method: str
    name: str  # URL name, for the test id
    path: Callable[[World], str]
    expected: Answer
    label: str = ""  # which object, when a URL is opened for several
    data: dict | None = None
    api: bool = False  # answered by /api/v1/: every error is JSON

    @property
    def id(self) -> str:
        return f"{self.persona}-{self.method}-{self.name}" + (f"[{self.label}]" if self.label else "")


def url(name: str, kwargs: Kwargs | None = None, query: str = "") -> Callable[[World], str]:
    def build(world: World) -> str:
        path = reverse(name, kwargs=kwargs(world) if kwargs else None)
        return f"{path}?{query}" if query else path

    return build


def fixed(path: str) -> Callable[[World], str]:
    return lambda world: path


@dataclass(frozen=True)
class Page:
    """A page of the site or the admin: the answer per method and persona."""

    name: str
    answers: Mapping[str, Mapping[str, Answer]]  # method -> persona -> answer
    kwargs: Kwargs | None = None
    query: str = ""
    data: dict | None = None
    label: str = ""

    def cases(self) -> Iterator[Case]:
        path = url(self.name, self.kwargs, self.query)
        for method, answers in self.answers.items():
            # Sorted: answers built from sets would list personas in a per-process order, and xdist
            # workers must collect the same tests.
            for persona, expected in sorted(answers.items()):
                yield Case(persona, method, self.name, path, expected, self.label, self.data)


@dataclass(frozen=True)
class AdminModel:
    """A model in the admin: who may view (or change) it, add, change and delete it, and which
    objects to open (named in the world; "first": the model's first row; "missing": an id no row
    has). ``hidden``: object -> personas whose admin does not show it; ``read_only``: objects that
    nobody may change."""

    label: str  # app_label.model_name
    view: frozenset[str] = NOBODY
    add: frozenset[str] = NOBODY
    change: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY
    objects: tuple[str, ...] = ("first",)
    hidden: Mapping[str, frozenset[str]] = field(default_factory=dict)
    read_only: frozenset[str] = NOBODY

    def cases(self) -> Iterator[Case]:
        """GET on the changelist, the add page, and per object the change, history and delete
        pages; POST on change and delete where anyone may open the model (elsewhere the GETs say
        it all); the id-only URL that redirects to the change page."""
        prefix = f"admin:{self.label.replace('.', '_')}_"
        may_view = self.view | self.change
        anyone = may_view | self.add | self.delete
        for persona in SITE_PERSONAS:
            staff = persona in STAFF
            for page, allowed in (("changelist", persona in may_view), ("add", persona in self.add)):
                yield Case(persona, "GET", prefix + page, url(prefix + page), admin_answer(staff, allowed))
            for name in self.objects:
                hidden = name == "missing" or persona in self.hidden.get(name, NOBODY)
                views, deletes = persona in may_view, persona in self.delete
                answers = [
                    ("GET", "change", admin_answer(staff, views, hidden)),
                    # The history looks the object up before it asks for the permission.
                    ("GET", "history", GONE if staff and hidden else admin_answer(staff, views)),
                    ("GET", "delete", admin_answer(staff, deletes, hidden)),
                ]
                if anyone:
                    changes = persona in self.change and name not in self.read_only
                    answers += [
                        ("POST", "change", self._post_change(staff, persona in self.change, hidden, changes)),
                        ("POST", "delete", admin_answer(staff, deletes, hidden, ACCEPTED)),
                    ]
                for method, page, expected in answers:
                    path = self._object_url(name, page)
                    data = {"post": "yes"} if (method, page) == ("POST", "delete") else {}
                    yield Case(persona, method, prefix + page, path, expected, name, data)
            if persona in (CITIZEN, "outsider"):  # a plain redirect for staff: one persona each way
                redirect = self._object_url(self.objects[0], "")
                yield Case(persona, "GET", prefix + "object", redirect, admin_answer(staff, True, ok=302))

    @staticmethod
    def _post_change(staff: bool, model_change: bool, hidden: bool, changes: bool) -> Answer:
        # Django asks for the model's change permission first (the object is None when the
        # persona's admin does not show it), then answers "does not exist".
        if not staff:
            return LOGIN
        if not model_change:
            return 403
        if hidden:
            return GONE
        return ACCEPTED if changes else 403

    def _object_url(self, name: str, page: str) -> Callable[[World], str]:
        def build(world: World) -> str:
            if name == "missing":
                pk = MISSING_PK
            elif name in world:
                pk = world[name].pk
            else:
                model = next(m for m in admin.site._registry if m._meta.label_lower == self.label)
                pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            change = reverse(f"admin:{self.label.replace('.', '_')}_change", args=[pk])
            return change.removesuffix("change/") + (f"{page}/" if page else "")

        return build


@dataclass(frozen=True)
class Endpoint:
    """An API endpoint: the scope it needs (None: any valid key; OPEN: none) and, per method, its
    answer to a key holding that scope. Without a key, with a revoked or an expired key, or with
    a session instead of a key: 401; with a key lacking the scope: 403."""

    name: str
    scope: str | None
    answers: Mapping[str, int]
    kwargs: Kwargs | None = None
    data: dict | None = None
    label: str = ""
    personas: tuple[str, ...] = ()  # only these (for costly answers that no persona changes)

    def answer(self, key_fields: dict | None, status: int) -> int:
        if self.scope == OPEN:
            return status
        if key_fields is None or "revoked_at" in key_fields or "expires_at" in key_fields:
            return 401
        return status if self.scope is None or self.scope in key_fields["scopes"] else 403

    def cases(self) -> Iterator[Case]:
        api = self.name.startswith("api:")
        path = url(self.name, self.kwargs)
        for method, status in self.answers.items():
            for persona in (*SESSIONS_ON_API, *API_PERSONAS):
                if self.personas and persona not in self.personas:
                    continue
                expected = self.answer(API_PERSONAS.get(persona), status)
                yield Case(persona, method, self.name, path, expected, self.label, self.data, api)


# -- Running a case -------------------------------------------------------------------------------


def request(world: World, case: Case):
    """The case's request, with the world's one client (building a client's handler costs more
    than many requests) emptied of what the last case left and given the persona's key or session."""
    client = world.client
    client.cookies = SimpleCookie()
    client.credentials()
    if world.keys.get(case.persona):
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.keys[case.persona]}")
    elif case.persona in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[case.persona]
    path = case.path(world)
    if case.api:
        body = () if case.data is None else (json.dumps(case.data), "application/json")
        response = client.generic(case.method, path, *body)
    elif case.method == "POST":
        response = client.post(path, case.data or {})
    else:
        response = client.generic(case.method, path)
    if response.streaming:  # a download: read it, so that its file is closed
        b"".join(response.streaming_content)
    return response


def check(response, case: Case) -> None:
    status, location = response.status_code, response.get("Location", "")
    got = f"{status} {location}".strip()
    login, index = reverse("admin:login"), reverse("admin:index")
    if case.expected == LOGIN:
        assert status == 302 and location.startswith(login), got
    elif case.expected == GONE:
        assert status == 302 and location == index, got
    elif case.expected == ACCEPTED:
        saved = status == 302 and location not in ("", index) and not location.startswith(login)
        assert status == 200 or saved, got
    else:
        assert status == case.expected, got
    if case.api and status >= 400:
        body = response.json()
        assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str), body


# -- Every URL pattern ----------------------------------------------------------------------------


def url_routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """The route of every URL pattern, admin and API included, as ``ResolverMatch.route`` names it
    (a nested pattern's leading ``^`` dropped)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^") if prefix else str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from url_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route
