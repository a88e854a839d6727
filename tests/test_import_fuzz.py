"""Hostile input through every importer: a whole import or a refusal with a message, never a traceback.

A seeded mutator takes a real export (the cast's forms through interchange.export_assessments) and breaks it
the ways an attack pass did: wrong types anywhere, lists where text belongs, NUL and lone surrogates, numbers
with thousands of digits, documents nested 100,000 levels deep, duplicate keys, too many forms or rows,
over-long text, a byte order mark, truncation, random byte flips, other encodings. Every case goes through
the import command and the JSON upload page, and hostile cells of an exported workbook through the Excel page;
a refused case must leave the database as it was, an imported one must have added the whole document. The
seed is fixed, so a failure names a case that the next run repeats exactly.
"""

from __future__ import annotations

import copy
import io
import json
import random
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from projects import interchange, schema, validation
from projects.excel import layout, writer
from projects.models import FundingLine, Indicator, Project, SelfAssessment, Unit

from .factories import ProjectFactory, complete_assessment

SEED = 20240611
JSON_CASES = 400
XLSX_CASES = 40
JSON_URL = reverse("json_upload")
XLSX_URL = reverse("excel_import")


# --- the corpus --------------------------------------------------------------------------------------------


@dataclass
class Case:
    number: int
    what: str  # the mutations applied, to read in a failure
    raw: bytes
    replace: bool


class Raw:
    """JSON text put into the document as it is: what json.dumps cannot write (a 5,000-digit number, a
    100,000-level nesting, NaN)."""

    def __init__(self, text: str):
        self.text = text


def hostile_values(rng: random.Random) -> list[object]:
    depth = rng.choice((21, 1000, 100_000))
    return [
        [],
        {},
        [["产出指标"]],
        {"a": {"b": [1, 2]}},
        0,
        -1,
        12.5,
        True,
        False,
        None,
        "",
        "   ",
        "十五",
        "１２．５",
        "12,34",
        "1e3",
        "NaN",
        "-0",
        "9" * 60,
        "项目" * rng.choice((101, 3000, 60_000)),
        "\x00",
        "完成\x00任务",
        "\ud800",
        "尾\udfff",
        "\ufeff",
        "<script>alert(1)</script>",
        Raw("9" * 5000),
        Raw("-" + "9" * 5000),
        Raw("1" * 5000 + ".5"),
        Raw("1e99999"),
        Raw("NaN"),
        Raw("-Infinity"),
        Raw("[" * depth + "]" * depth),
        Raw('{"a": ' * depth + "1" + "}" * depth),
        Raw('"\\ud800"'),
        Raw('"\\u0000"'),
    ]


def nodes(value, path=()):
    """(parent, key, path) of every value in the document."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield value, key, (*path, key)
            yield from nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield value, index, (*path, index)
            yield from nodes(child, (*path, index))


def containers(value):
    if isinstance(value, dict | list):
        yield value
        for child in value.values() if isinstance(value, dict) else value:
            yield from containers(child)


def swapped(value, rng):
    """The value as another JSON type: text in a list, a list as an object, a number as a JSON number."""
    if isinstance(value, str):
        return rng.choice([[value], {"value": value}, len(value), value.encode("unicode_escape").decode()])
    if isinstance(value, list):
        return rng.choice([{str(i): v for i, v in enumerate(value)}, json.dumps(value), value[:1] * 3, None])
    if isinstance(value, dict):
        return rng.choice([list(value.values()), list(value), json.dumps(value, ensure_ascii=False)])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return rng.choice(["", [], {}, 0])


class Mutator:
    def __init__(self, base: dict, seed: int):
        self.base = base
        self.rng = random.Random(seed)
        self.raws: dict[str, str] = {}

    def raw_value(self, text: str) -> str:
        marker = f"@@raw{len(self.raws)}@@"
        self.raws[marker] = text
        return marker

    def value(self, value):
        return self.raw_value(value.text) if isinstance(value, Raw) else value

    # Each operation changes the document in place and says what it did.

    def replace_value(self, doc):
        parent, key, path = self.rng.choice(list(nodes(doc)))
        new = self.rng.choice(hostile_values(self.rng))
        parent[key] = self.value(new)
        shown = new.text[:20] if isinstance(new, Raw) else repr(new)[:20]
        return f"{'/'.join(map(str, path))} = {shown}"

    def swap_type(self, doc):
        parent, key, path = self.rng.choice(list(nodes(doc)))
        parent[key] = swapped(parent[key], self.rng)
        return f"{'/'.join(map(str, path))} swapped to {type(parent[key]).__name__}"

    def drop_key(self, doc):
        candidates = [(p, k, path) for p, k, path in nodes(doc) if isinstance(p, dict)]
        parent, key, path = self.rng.choice(candidates)
        del parent[key]
        return f"{'/'.join(map(str, path))} dropped"

    def add_key(self, doc):
        target = self.rng.choice([c for c in containers(doc) if isinstance(c, dict)])
        name = self.rng.choice(["colour", "unit", "\x00", "\ud800", "", "项目" * 100])
        target[name] = self.value(self.rng.choice(hostile_values(self.rng)))
        return f"added key {name[:10]!r}"

    def duplicate_key(self, doc):
        target = self.rng.choice([c for c in containers(doc) if isinstance(c, dict) and c])
        key = self.rng.choice(list(target))
        marker = f"@@dup{len(self.raws)}@@"
        self.raws[f'"{marker}"'] = json.dumps(key)
        target[marker] = self.value(self.rng.choice([*hostile_values(self.rng), target[key]]))
        return f"duplicate key {key!r}"

    def many_rows(self, doc):
        form = self.rng.choice(doc["assessments"])
        rows = form.get("indicators")
        if not isinstance(rows, list) or not rows:
            return "many rows (none to copy)"
        n = schema.MAX_INDICATOR_ROWS + self.rng.choice((1, 50))
        form["indicators"] = [copy.deepcopy(rows[i % len(rows)]) for i in range(n)]
        return f"{n} indicator rows"

    def many_forms(self, doc):
        forms = doc.get("assessments")
        if not isinstance(forms, list) or not forms:
            return "many forms (none to copy)"
        n = interchange.UPLOAD.max_forms + 1
        doc["assessments"] = [{**copy.deepcopy(forms[i % len(forms)]), "year": 2000 + i % 100} for i in range(n)]
        return f"{n} forms"

    def same_form_twice(self, doc):
        doc["assessments"].append(copy.deepcopy(doc["assessments"][0]))
        return "the first form twice"

    STRUCTURAL = (
        (replace_value, 40),
        (swap_type, 25),
        (drop_key, 10),
        (add_key, 6),
        (duplicate_key, 12),
        (many_rows, 2),
        (many_forms, 1),
        (same_form_twice, 2),
    )

    def serialize(self, doc) -> bytes:
        # Half the files as UTF-8 text, half with ASCII escapes; a lone surrogate has no UTF-8 and is always
        # written as the escape \ud800, as a hostile file has it.
        text = json.dumps(doc, ensure_ascii=self.rng.random() < 0.5)
        for marker, raw in self.raws.items():
            text = text.replace(json.dumps(marker) if marker.startswith("@@") else marker, raw)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace")  # "\ud800" -> the six characters \ud800

    # Byte-level damage to the serialized file.

    def truncate(self, raw):
        cut = self.rng.randrange(len(raw))
        return raw[:cut], f"truncated at {cut}"

    def bom(self, raw):
        return b"\xef\xbb\xbf" + raw, "UTF-8 BOM"

    def flip(self, raw):
        data = bytearray(raw)
        for _ in range(self.rng.randint(1, 4)):
            data[self.rng.randrange(len(data))] = self.rng.randrange(256)
        return bytes(data), "bytes flipped"

    def bad_utf8(self, raw):
        at = self.rng.randrange(len(raw))
        junk = self.rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe4\xb8", b"\x00"])
        return raw[:at] + junk + raw[at:], f"invalid UTF-8 at {at}"

    def other_encoding(self, raw):
        encoding = self.rng.choice(["utf-16", "gb18030", "utf-32"])
        return raw.decode("utf-8").encode(encoding), encoding

    BYTES = ((truncate, 6), (bom, 4), (flip, 6), (bad_utf8, 4), (other_encoding, 2))

    def case(self, number: int) -> Case:
        doc = copy.deepcopy(self.base)
        self.raws = {}
        steps = []
        if self.rng.random() < 0.03:
            raw = self.rng.choice([b"", b" ", b"null", b"[]", b"{}", b"1", b'"x"', b"\xef\xbb\xbf", b"PK\x03\x04"])
            steps.append(f"whole file {raw!r}")
        else:
            for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
                operation = self._pick(self.STRUCTURAL)
                steps.append(operation(self, doc))
            raw = self.serialize(doc)
            if self.rng.random() < 0.3:
                raw, step = self._pick(self.BYTES)(self, raw)
                steps.append(step)
        return Case(number, "; ".join(steps), raw, replace=self.rng.random() < 0.5)

    def _pick(self, weighted):
        operations, weights = zip(*weighted, strict=True)
        return self.rng.choices(operations, weights)[0]


def corpus(base: dict, count: int) -> list[Case]:
    mutator = Mutator(base, SEED)
    cases = [mutator.case(n) for n in range(count)]
    # The unmutated export and its BOM variant must import: the fuzzer is not refusing everything.
    plain = json.dumps(base, ensure_ascii=False).encode()
    return [Case(-1, "unmutated", plain, False), Case(-2, "BOM only", b"\xef\xbb\xbf" + plain, False), *cases]


# --- the checks --------------------------------------------------------------------------------------------


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Unit, Project, SelfAssessment, FundingLine, Indicator))


def readable(message: str) -> bool:
    """A message a terminal and a page can show: no NUL, no lone surrogate, not empty."""
    return bool(message.strip()) and "\x00" not in message and _encodes(message)


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Rollback(Exception):
    """Undoes a successful import, so that every case meets the same database."""


def undone(run):
    try:
        with transaction.atomic():
            result = run()
            raise Rollback(result)
    except Rollback as rollback:
        return rollback.args[0]


@pytest.fixture
def base(assessment, unit, department) -> dict:
    """Two of the cast's forms as exported, renamed to new projects so that an upload imports them."""
    second = complete_assessment(
        ProjectFactory(name="第二个项目", implementing_unit=unit, competent_department=department),
        year=2022,
    )
    data = interchange.export_assessments(SelfAssessment.objects.filter(pk__in=[assessment.pk, second.pk]))
    for n, form in enumerate(data["assessments"], start=1):
        form["project"] = f"模糊测试项目{n}"
    return data


def growth(raw: bytes) -> tuple[int, int]:
    """(forms, indicator rows) a whole import of this document adds: every form is new (renamed in `base`)."""
    forms = json.loads(raw.decode("utf-8-sig"))["assessments"]
    return len(forms), sum(len(form["indicators"]) for form in forms)


def judged(case: Case, before, after, refused: str | None) -> str | None:
    """What is wrong with one case's outcome (None: a whole import, or a refusal that changed nothing)."""
    if refused is not None:
        if after != before:
            return f"refused, yet the database changed: {before} -> {after}"
        if not readable(refused):
            return f"refused with an unreadable message: {refused[:200]!r}"
        if case.number < 0:
            return f"the plain export should import: {refused[:300]}"
        return None
    added = (after[2] - before[2], after[4] - before[4])
    if added != growth(case.raw):
        return f"imported {added} (forms, rows), the document has {growth(case.raw)}"
    return None


def test_the_import_command_imports_or_refuses_with_a_message(db, base, tmp_path):
    failures = []
    imported = 0
    path = tmp_path / "forms.json"
    before = counts()
    for case in corpus(base, JSON_CASES):
        path.write_bytes(case.raw)

        def run(case=case):
            try:
                call_command("import_assessments", str(path), replace=case.replace, stdout=io.StringIO())
            except CommandError as error:
                return str(error), counts()
            return None, counts()

        try:
            refused, after = undone(run)
        except Exception as exc:  # the point: anything but CommandError is a failure to report
            failures.append(f"case {case.number} ({case.what}): {type(exc).__name__}: {str(exc)[:200]}")
            continue
        imported += refused is None
        if problem := judged(case, before, after, refused):
            failures.append(f"case {case.number} ({case.what}): {problem}")
    assert counts() == before
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} failures)"
    assert imported > JSON_CASES // 20, "the mutations should leave some documents importable"


def test_the_upload_page_imports_or_refuses_with_a_message(db, base, client_for, preparer):
    """A refusal is the page again with its problems, answered 400 (tests/test_uploads.py); a whole import
    redirects (302); anything else, a 500 first, is a failure."""
    client = client_for(preparer)
    failures = []
    before = counts()
    for case in corpus(base, JSON_CASES):

        def run(case=case):
            upload = SimpleUploadedFile("forms.json", case.raw, content_type="application/json")
            response = client.post(JSON_URL, {"file": upload, **({"replace": "on"} if case.replace else {})})
            return response, counts()

        try:
            response, after = undone(run)
        except Exception as exc:  # the test client re-raises a view's exception
            failures.append(f"case {case.number} ({case.what}): {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if response.status_code == 400:
            response.content.decode("utf-8")  # the page was written
            # The problems of the document, or the form's own error (an empty file never reaches the import).
            refused = "\n".join(response.context["problems"]) or response.context["form"].errors.as_text()
        elif response.status_code == 302:
            refused = None
        else:
            failures.append(f"case {case.number} ({case.what}): HTTP {response.status_code}")
            continue
        if problem := judged(case, before, after, refused):
            failures.append(f"case {case.number} ({case.what}): {problem}")
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} failures)"


# --- the Excel page ----------------------------------------------------------------------------------------


def xlsx_cases(assessment) -> list[Case]:
    data = writer.export_workbook(writer.prepared(SelfAssessment.objects.filter(pk=assessment.pk)))
    rng = random.Random(SEED)
    values = [
        "9" * 5000,
        10**30,
        1e308,
        float("inf"),
        -1,
        True,
        "=1+1",
        "项目" * 40_000,
        "\ufeff",
        "   ",
        12.345678901234567,
    ]
    cases = []
    for number in range(XLSX_CASES):
        wb = openpyxl.load_workbook(io.BytesIO(data))
        ws = wb.worksheets[0]
        ws["C3"] = "表格模糊测试项目"
        steps = []
        for _ in range(rng.randint(1, 3)):
            row, col = rng.randint(1, 30), rng.randint(1, 16)
            value = rng.choice(values)
            try:
                ws.cell(row, col).value = value
            except (AttributeError, ValueError):  # a merged cell, or a value openpyxl will not write
                continue
            steps.append(f"{ws.cell(row, col).coordinate} = {str(value)[:20]!r}")
        if rng.random() < 0.2:
            extra = wb.copy_worksheet(ws)
            steps.append(f"copied sheet {extra.title}")
        out = io.BytesIO()
        wb.save(out)
        raw = out.getvalue()
        if rng.random() < 0.25:
            raw = raw[: rng.randrange(len(raw))]
            steps.append("truncated")
        elif rng.random() < 0.15:
            raw = bytearray(raw)
            raw[rng.randrange(len(raw))] = rng.randrange(256)
            raw = bytes(raw)
            steps.append("byte flipped")
        cases.append(Case(number, "; ".join(steps), raw, replace=rng.random() < 0.5))
    return cases


def test_the_excel_page_imports_or_refuses_with_a_message(db, assessment, client_for, preparer):
    client = client_for(preparer)
    failures = []
    before = counts()
    for case in xlsx_cases(assessment):

        def run(case=case):
            upload = SimpleUploadedFile("自评表.xlsx", case.raw, content_type=layout.CONTENT_TYPE)
            response = client.post(XLSX_URL, {"file": upload, **({"replace": "on"} if case.replace else {})})
            return response, counts()

        try:
            response, after = undone(run)
        except Exception as exc:
            failures.append(f"case {case.number} ({case.what}): {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if response.status_code == 400:
            problems = response.context["problems"]
            if after != before or not problems or not all(readable(p) for p in problems):
                failures.append(f"case {case.number} ({case.what}): refused but changed the database or unreadable")
        elif response.status_code == 302:
            if after[2] <= before[2]:
                failures.append(f"case {case.number} ({case.what}): redirected, yet imported nothing")
        else:
            failures.append(f"case {case.number} ({case.what}): HTTP {response.status_code}")
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} failures)"


def test_the_corpus_is_the_same_every_run(db, base):
    first = [(c.what, c.raw) for c in corpus(base, 40)]
    assert first == [(c.what, c.raw) for c in corpus(base, 40)]


def test_the_row_limit_is_the_editors():
    from projects.editor.forms import IndicatorFormSet

    assert IndicatorFormSet.max_num == schema.MAX_INDICATOR_ROWS


# --- the one number parser every importer shares -----------------------------------------------------------


def test_the_number_parser_refuses_huge_input_with_a_message_never_an_exception():
    rng = random.Random(SEED)
    values = [
        10**5000,
        -(10**5000),
        Decimal("1E+999999"),
        Decimal("1E-999999"),
        Decimal("-0E+5"),
        "9" * 5000,
        "1" * 39 + ".5",
        "\x00",
        "\ud800",
        "１２．５",
        "1,234.5",
    ]
    values += ["".join(rng.choice("0123456789.,-+ eE１２") for _ in range(rng.randint(0, 45))) for _ in range(300)]
    for value in values:
        for kind in (schema.AMOUNT, schema.POINTS):
            try:
                result = validation.parse_number(value, kind)
            except validation.Invalid as refusal:
                assert readable(interchange.printable(refusal.message)) and len(refusal.message) < 200
            else:
                assert result is None or (result.is_finite() and abs(result) < 10**kind.max_digits)
    with pytest.raises(validation.Invalid, match="数字过长：最多 18 位"):
        validation.parse_number(10**5000, schema.AMOUNT)
