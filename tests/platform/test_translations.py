"""The Chinese catalogue is complete, compiled, and what regulators and API clients actually get.

Chinese (zh-hans) is the default language: every string our source marks for translation must
have a reviewed (not fuzzy) translation in locale/zh_Hans/LC_MESSAGES/django.po, and the committed
django.mo must hold exactly those translations. To fix a failure here, run (see the .po header):

    .venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=.data \\
        --ignore=test-artifacts --ignore=bench --no-obsolete
    (translate the new entries, remove their "#, fuzzy" flags)
    .venv/bin/python manage.py compilemessages -l zh_Hans --ignore=.venv
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from registry.choices import RecordStatus
from registry.codes import make_uscc

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# The folders the documented makemessages command ignores (plus hidden ones, as makemessages does).
IGNORED_DIRS = {".venv", ".data", "test-artifacts", "bench", "locale", "node_modules", "__pycache__"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}  # makemessages' defaults for the "django" domain
FIX = "run makemessages, translate, compilemessages (see the docstring of this test module)"


# -- A small .po reader (no polib) -----------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def untranslated(self) -> bool:
        return not self.msgstr or any(text == "" for text in self.msgstr.values())


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header excluded."""
    entries: list[Entry] = []
    entry, target = Entry(), None

    def flush():
        nonlocal entry, target
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, target = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            text = ast.literal_eval(line)
        else:
            keyword, _, rest = line.partition(" ")
            text = ast.literal_eval(rest)
            if keyword.startswith("msgstr["):
                target = ("msgstr", int(keyword[7:-1]))
                entry.msgstr[target[1]] = ""
            elif keyword == "msgstr":
                target = ("msgstr", 0)
                entry.msgstr[0] = ""
            else:
                target = (keyword, None)
                setattr(entry, keyword, "")
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] += text
        else:
            setattr(entry, name, getattr(entry, name) + text)
    flush()
    return [e for e in entries if e.msgid != "" and not e.obsolete]


def _describe(entries: list[Entry]) -> str:
    return "\n".join(f"  {e.msgid!r}" for e in entries[:30]) + ("\n  ..." if len(entries) > 30 else "")


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} (Debian package gettext) is missing: run `make system-deps`")
    return path


# -- (a) The catalogue is complete -------------------------------------------------------------------


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = read_po(PO)
    assert len(entries) > 500  # the real catalogue, not an empty file

    untranslated = [e for e in entries if e.untranslated]
    fuzzy = [e for e in entries if "fuzzy" in e.flags]

    assert not untranslated, f"untranslated entries in {PO.name}:\n{_describe(untranslated)}\n{FIX}"
    assert not fuzzy, f"fuzzy entries in {PO.name} (review, then drop the flag):\n{_describe(fuzzy)}"


def test_msgfmt_counts_no_untranslated_or_fuzzy_message():
    result = subprocess.run(
        [_require("msgfmt"), "--check", "--statistics", "-o", os.devnull, str(PO)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
    )
    assert result.returncode == 0, result.stderr  # --check: format strings and header are valid
    assert re.fullmatch(r"\d+ translated messages\.", result.stderr.strip()), result.stderr


def _copy_sources(destination: Path) -> None:
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in IGNORED_DIRS and not d.startswith(".")]
        relative = Path(folder).relative_to(ROOT)
        for name in files:
            if Path(name).suffix in SOURCE_SUFFIXES:
                target = destination / relative / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(folder) / name, target)


def test_every_string_marked_in_the_source_has_a_chinese_translation(tmp_path):
    """makemessages on a copy of the source: nothing it extracts may be missing from the catalogue
    (a string added without re-running makemessages fails here, not only in production)."""
    _require("xgettext")
    source = tmp_path / "source"
    _copy_sources(source)
    (source / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v", "0"],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    extracted = read_po(source / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert len(extracted) > 500
    catalogue = {e.key: e for e in read_po(PO)}

    missing = [e for e in extracted if e.key not in catalogue]
    untranslated = [
        e
        for e in extracted
        if e.key in catalogue and (catalogue[e.key].untranslated or "fuzzy" in catalogue[e.key].flags)
    ]

    assert not missing, f"strings in the source but not in {PO.name}:\n{_describe(missing)}\n{FIX}"
    assert not untranslated, f"strings without a reviewed translation:\n{_describe(untranslated)}\n{FIX}"


PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")


def test_every_translation_keeps_the_placeholders_of_its_source():
    wrong = []
    for entry in read_po(PO):
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        for text in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                wrong.append(entry)
    assert not wrong, f"translations that lose or add a placeholder:\n{_describe(wrong)}"


# -- (b) The committed .mo is the compiled .po ---------------------------------------------------------


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as handle:
        catalog = dict(gettext.GNUTranslations(handle)._catalog)
    catalog.pop("", None)  # the header carries dates that change on every compilation
    return catalog


def test_the_committed_mo_holds_exactly_the_translations_of_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([_require("msgfmt"), "--check", "-o", str(fresh), str(PO)], check=True)

    committed, expected = _catalog(MO), _catalog(fresh)

    stale = sorted(str(k) for k in expected.keys() - committed.keys())
    extra = sorted(str(k) for k in committed.keys() - expected.keys())
    changed = sorted(str(k) for k in expected.keys() & committed.keys() if expected[k] != committed[k])
    assert not (stale or extra or changed), (
        f"django.mo is out of date with django.po (compilemessages and commit the .mo): "
        f"missing {stale[:10]}, extra {extra[:10]}, changed {changed[:10]}"
    )


# -- (c) What a regulator and an API client see ---------------------------------------------------------

CHANGELIST = "/admin/registry/creditrecord/"


@pytest.fixture
def regulator_client(client, regulator_a, subject, department_a, make_record):
    make_record(subject, department_a)
    client.force_login(regulator_a)
    return client


def test_a_regulator_sees_the_credit_record_admin_in_chinese(regulator_client):
    response = regulator_client.get(CHANGELIST)

    assert response.status_code == 200
    body = response.content.decode()
    assert "信用记录" in body  # model name, title and breadcrumbs
    assert "信用信息归集" in body  # the registry app
    assert "信用北京：监管工作平台" in body  # the admin's site header
    assert "决定文书号" in body and "作出决定机关" in body and "公示截止日期" in body  # columns
    assert "提交公示" in body and "撤回公示" in body  # admin actions
    assert "草稿" in body  # the record's status
    assert "credit record" not in body.lower()
    assert "Submit for publication" not in body


def test_the_credit_record_admin_is_english_for_a_regulator_who_asks_for_it(regulator_client):
    body = regulator_client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "credit record" in body.lower()
    assert "Submit for publication" in body
    assert "信用记录" not in body


def test_a_refused_admin_action_tells_the_regulator_why_in_chinese(regulator_client, subject):
    record = subject.records.get()
    action = {"action": "submit_for_publication", "_selected_action": [record.pk]}

    first = regulator_client.post(CHANGELIST, action, follow=True).content.decode()
    record.refresh_from_db()
    assert record.status in (RecordStatus.SCHEDULED, RecordStatus.PUBLISHED)
    assert "已提交公示 1 条记录。" in first

    again = regulator_client.post(CHANGELIST, action, follow=True).content.decode()
    assert "只有草稿才能提交公示" in again
    assert f"“{record.get_status_display()}”" in again  # the status is named in Chinese too


def _broken_code() -> str:
    code = make_uscc("91110105" + "00000077")
    return code[:17] + ("0" if code[17] != "0" else "1")


def test_a_refused_credit_code_is_explained_in_chinese_by_default(api):
    response = api.get(f"/api/v1/subjects/{_broken_code()}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_code" and body["details"]["check"] == "check_digit"  # codes stay
    assert "校验码" in body["message"] and "第 18 位" in body["message"]
    assert "check character" not in body["message"]


def test_a_refused_credit_code_is_explained_in_english_on_request(api):
    response = api.get(f"/api/v1/subjects/{_broken_code()}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_code" and body["details"]["check"] == "check_digit"
    assert "check character" in body["message"] and "position 18" in body["message"]
    assert "校验码" not in body["message"]
    assert response["Content-Language"] == "en"


def test_api_errors_keep_scheme_names_untranslated_in_chinese_messages(db):
    response = APIClient().get("/api/v1/subjects")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    message = response.json()["message"]
    assert "API 密钥" in message and "Authorization" in message and "Api-Key <key>" in message


def test_django_admin_strings_its_own_catalogue_lacks_are_chinese_too(regulator_client):
    """credit_platform/i18n_gaps.py marks them; a refused form is titled "错误：", not "Error:"."""
    response = regulator_client.post("/admin/registry/creditrecord/add/", {"case_name": "未填完的记录"})

    assert response.status_code == 200  # the form is shown again with its errors
    body = response.content.decode()
    assert "<title>错误：" in body
    assert "Error:" not in body
