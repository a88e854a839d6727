"""Simplified Chinese by default, English available: the catalogue is compiled and complete."""

import os
import shutil
from pathlib import Path

from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"


def test_the_english_catalogue_is_compiled_and_has_no_empty_entries():
    assert (LOCALE / "django.mo").exists()
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') and "msgid_plural" not in e]
    assert untranslated == []
    assert "#, fuzzy" not in po


def test_form_vocabulary_in_english():
    with translation.override("en"):
        assert gettext("提交审核") == "Submit for review"
        assert gettext("全年预算数") == "Annual budget"
    with translation.override("zh-hans"):
        assert gettext("提交审核") == "提交审核"


def test_pages_default_to_chinese_and_switch_to_english(client_for, preparer, assessment):
    client = client_for(preparer)
    page = client.get("/").content.decode()
    assert "我的自评表" in page and 'lang="zh-hans"' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Submit for review" in client.get(f"/assessments/{assessment.pk}/").content.decode()


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client_for, preparer):
    client = client_for(preparer)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "我的自评表" in page


def test_the_language_switch_names_each_language_in_its_own_words(client_for, preparer):
    page = client_for(preparer).get("/").content.decode()
    assert ">English</option>" in page and ">简体中文</option>" in page
    assert "英语" not in page


def _msgids(po: str) -> set[str]:
    """The msgid of every entry (joined continuation lines), the header's empty msgid excluded."""
    ids, current, inside = set(), [], False
    for line in [*po.splitlines(), ""]:
        if line.startswith("msgid "):
            current, inside = [line[6:]], True
        elif inside and line.startswith('"'):
            current.append(line)
        elif inside:
            text = "".join(part.strip()[1:-1] for part in current)
            if text:
                ids.add(text)
            inside = False
    return ids


def test_every_string_of_the_code_is_in_the_english_catalogue(tmp_path):
    """A new message without an English entry would show Chinese to an English user: extract afresh and compare."""
    root = LOCALE.parents[2]
    work = tmp_path / "src"
    for part in ("projects", "templates", "perfeval"):
        shutil.copytree(root / part, work / part, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copytree(root / "locale", work / "locale")
    previous = os.getcwd()
    os.chdir(work)
    try:
        call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)
    finally:
        os.chdir(previous)
    fresh = _msgids((work / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    kept = _msgids((LOCALE / "django.po").read_text(encoding="utf-8"))
    assert sorted(fresh - kept) == [], "run: manage.py makemessages -l en --no-obsolete, then translate"
    assert sorted(kept - fresh) == [], "entries no code uses any more: makemessages -l en --no-obsolete"
