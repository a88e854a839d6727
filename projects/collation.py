"""Chinese names in the order people expect: by pinyin (党代表 < 泾彩 < 义务教育), not by code point.

One expression for every list and export, `Pinyin("project__name")`, compiled per database:
- PostgreSQL: ICU's Chinese collation with punctuation ignored, Latin letters before Han as on SQLite (the
  migration creates it as `pinyin`: zh-u-co-pinyin-ka-shifted-kr-latn), so "“泾彩”…" sorts under J;
- SQLite: a collation of the same name registered on every connection, comparing pypinyin's readings with
  punctuation dropped (SQLite has no ICU).
Another database sorts by the plain column.
"""

from __future__ import annotations

import functools
import unicodedata

from django.db.models import CharField, F, Func

COLLATION = "pinyin"


class Pinyin(Func):
    """A name column (or path) for ORDER BY in pinyin order; `.desc()` works as on any expression."""

    template = "%(expressions)s"
    output_field = CharField()

    def __init__(self, path: str):
        super().__init__(F(path))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=f'%(expressions)s COLLATE "{COLLATION}"', **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=f"%(expressions)s COLLATE {COLLATION}", **extra)


@functools.lru_cache(maxsize=65536)
def sort_key(text: str) -> tuple[str, str]:
    """(the reading without punctuation, the text itself as a tie-break): 区域 -> ("qu1yu4", "区域")."""
    from pypinyin import Style, lazy_pinyin

    kept = "".join(c for c in text if not unicodedata.category(c).startswith(("P", "Z", "S")))
    reading = "".join(lazy_pinyin(kept, style=Style.TONE3, errors=lambda chars: chars.lower()))
    return reading, text


def compare(a: str | None, b: str | None) -> int:
    key_a, key_b = sort_key(a or ""), sort_key(b or "")
    return (key_a > key_b) - (key_a < key_b)


def register(sender, connection, **kwargs) -> None:
    """connection_created: give every SQLite connection the pinyin collation."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(COLLATION, compare)
