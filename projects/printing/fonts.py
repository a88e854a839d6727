"""Fonts of the printed form: the configured CJK family, and a pre-subset copy of it made once per machine."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

_FONT_FAMILY = re.compile(r'^[\w\s",\'-]+$')


def configured_families() -> list[str]:
    """settings.PERFEVAL_PDF_FONT_FAMILY as a list of family names (it goes into a stylesheet: names only)."""
    family = settings.PERFEVAL_PDF_FONT_FAMILY or ""
    if not _FONT_FAMILY.match(family) or family.count('"') % 2 or family.count("'") % 2:
        raise ValueError(f"PERFEVAL_PDF_FONT_FAMILY is not a CSS font-family list: {family!r}")
    return [name.strip().strip("\"'").strip() for name in family.split(",") if name.strip().strip("\"'").strip()]


# ---------------------------------------------------------------------------------------------------------
# Fonts: a pre-subset copy of the configured CJK face
#
# A CJK face has some 65,000 glyphs in a 26 MB file; WeasyPrint copies the whole face and subsets it again
# for every PDF (≈ 25 ms per face and render, regular and bold). A copy holding the characters of official
# texts (ASCII, punctuation, GB 2312's 6,763 汉字 …) is a fifth of the size and subsets several times faster.
# The copy is made once per machine with HarfBuzz (≈ 0.5 s) and cached; any character outside it falls back
# to the full configured family, so the output is the same glyphs either way.

SUBSET_FAMILY = "perfeval-pdf-serif"
SUBSET_VERSION = "1"
FONT_URL_PREFIX = "_fonts/"
_font_files: dict[str, Path] = {}  # name in FONT_URL_PREFIX -> cached file (what the fetcher may serve)


def font_file(name: str) -> Path | None:
    """The cached pre-subset font of that name, if this process built it (nothing else of the cache folder)."""
    return _font_files.get(name)


def _subset_codepoints() -> list[int]:
    ranges = [
        (0x20, 0x7F),
        (0xA0, 0x100),  # ASCII, Latin-1 (° ± × ÷ ·)
        (0x2000, 0x2070),
        (0x2100, 0x2200),
        (0x2200, 0x2300),  # punctuation, ℃ № Ⅰ, ≤ ≥ ≠ ∑
        (0x2460, 0x2500),
        (0x25A0, 0x2600),
        (0x3000, 0x3040),  # ①, ■ □ ○, 、。《》【】
        (0xFE30, 0xFE50),
        (0xFF00, 0xFFF0),  # CJK compatibility forms, full-width ％ （ ）
    ]
    points = {cp for low, high in ranges for cp in range(low, high)}
    for high in range(0xA1, 0xF8):  # GB 2312: the characters of everyday official texts
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


class _Native:
    """fontconfig (which file is a family) and HarfBuzz's subsetter, through ctypes; None when missing."""

    def __init__(self):
        import ctypes
        import ctypes.util

        def load(*names):
            for name in names:
                try:
                    return ctypes.CDLL(name)
                except OSError:
                    continue
            raise OSError(f"none of {names} could be loaded")

        c = ctypes
        vp, cp, ui = c.c_void_p, c.c_char_p, c.c_uint
        self.c = c
        self.fc = fc = load("libfontconfig.so.1", ctypes.util.find_library("fontconfig") or "libfontconfig.so")
        self.hb = hb = load("libharfbuzz.so.0", ctypes.util.find_library("harfbuzz") or "libharfbuzz.so")
        self.hbs = hbs = load("libharfbuzz-subset.so.0", "libharfbuzz-subset.so")
        for lib, name, res, args in [
            (fc, "FcNameParse", vp, [cp]),
            (fc, "FcConfigSubstitute", c.c_int, [vp, vp, c.c_int]),
            (fc, "FcDefaultSubstitute", None, [vp]),
            (fc, "FcFontMatch", vp, [vp, vp, c.POINTER(c.c_int)]),
            (fc, "FcPatternGetString", c.c_int, [vp, cp, c.c_int, c.POINTER(c.c_char_p)]),
            (fc, "FcPatternGetInteger", c.c_int, [vp, cp, c.c_int, c.POINTER(c.c_int)]),
            (fc, "FcPatternDestroy", None, [vp]),
            (hb, "hb_blob_create_from_file_or_fail", vp, [cp]),
            (hb, "hb_blob_destroy", None, [vp]),
            (hb, "hb_face_create", vp, [vp, ui]),
            (hb, "hb_face_destroy", None, [vp]),
            (hb, "hb_face_reference_blob", vp, [vp]),
            (hb, "hb_blob_get_data", c.POINTER(c.c_char), [vp, c.POINTER(ui)]),
            (hb, "hb_set_add", None, [vp, c.c_uint32]),
            (hbs, "hb_subset_input_create_or_fail", vp, []),
            (hbs, "hb_subset_input_destroy", None, [vp]),
            (hbs, "hb_subset_input_unicode_set", vp, [vp]),
            (hbs, "hb_subset_or_fail", vp, [vp, vp]),
        ]:
            function = getattr(lib, name)
            function.restype, function.argtypes = res, args

    def match(self, family: str, weight: str) -> tuple[str, int, list[str]] | None:
        """(file, face index, family names) of fontconfig's best match for `family:weight`."""
        c = self.c
        pattern = self.fc.FcNameParse(f"{family}:weight={weight}".encode())
        if not pattern:
            return None
        self.fc.FcConfigSubstitute(None, pattern, 0)  # FcMatchPattern
        self.fc.FcDefaultSubstitute(pattern)
        result = c.c_int()
        font = self.fc.FcFontMatch(None, pattern, c.byref(result))
        self.fc.FcPatternDestroy(pattern)
        if not font:
            return None
        try:
            value, index = c.c_char_p(), c.c_int()
            if self.fc.FcPatternGetString(font, b"file", 0, c.byref(value)) != 0:
                return None
            path = value.value.decode()
            self.fc.FcPatternGetInteger(font, b"index", 0, c.byref(index))
            families, i = [], 0
            while self.fc.FcPatternGetString(font, b"family", i, c.byref(value)) == 0:
                families.append(value.value.decode())
                i += 1
            return path, index.value, families
        finally:
            self.fc.FcPatternDestroy(font)

    def subset(self, path: str, index: int, codepoints: list[int]) -> bytes | None:
        c = self.c
        blob = self.hb.hb_blob_create_from_file_or_fail(path.encode())
        if not blob:
            return None
        face = self.hb.hb_face_create(blob, index)
        data = self.hbs.hb_subset_input_create_or_fail()
        try:
            unicodes = self.hbs.hb_subset_input_unicode_set(data)
            for point in codepoints:
                self.hb.hb_set_add(unicodes, point)
            result = self.hbs.hb_subset_or_fail(face, data)
            if not result:
                return None
            out = self.hb.hb_face_reference_blob(result)
            length = c.c_uint()
            pointer = self.hb.hb_blob_get_data(out, c.byref(length))
            content = c.string_at(pointer, length.value)
            self.hb.hb_blob_destroy(out)
            self.hb.hb_face_destroy(result)
            return content or None
        finally:
            self.hbs.hb_subset_input_destroy(data)
            self.hb.hb_face_destroy(face)
            self.hb.hb_blob_destroy(blob)


def font_cache_dir() -> Path:
    return Path(getattr(settings, "PERFEVAL_PDF_FONT_CACHE", settings.BASE_DIR / "var" / "cache" / "pdf-fonts"))


def subset_fonts() -> dict[int, str]:
    """{CSS weight: cached pre-subset font name} for the first configured family, built on first use.

    Empty (and the configured family is used as it is) when the family is not installed or HarfBuzz's
    subsetter is missing: slower, never different.
    """
    try:
        native = _Native()
    except OSError as error:
        logger.warning("PDF fonts are not pre-subset (%s): rendering is slower", error)
        return {}
    family = configured_families()[0]
    fonts: dict[int, str] = {}
    codepoints = None
    for weight, fc_weight in ((400, "regular"), (700, "bold")):
        found = native.match(family, fc_weight)
        if not found or family.casefold() not in {name.casefold() for name in found[2]}:
            logger.warning("PDF font %r (%s) is not installed: using the system's fallback", family, fc_weight)
            continue
        path, index, _families = found
        stat = os.stat(path)
        key = f"{SUBSET_VERSION}|{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}"
        name = f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.otf"
        target = font_cache_dir() / name
        if not target.exists():
            codepoints = codepoints or _subset_codepoints()
            content = native.subset(path, index, codepoints)
            if content is None:
                logger.warning("PDF font %s could not be subset: using it whole", path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: processes of a batch pool may build it at the same moment.
            with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as stream:
                stream.write(content)
            os.chmod(stream.name, 0o644)
            os.replace(stream.name, target)
        _font_files[name] = target
        fonts[weight] = name
    return fonts


def font_css(fonts: dict[int, str], url_prefix: str) -> str:
    """The @font-face rules of the pre-subset fonts (served under url_prefix) and the family list after them."""
    faces = "".join(
        f'@font-face {{ font-family: "{SUBSET_FAMILY}"; src: url("{url_prefix}{name}"); font-weight: {weight}; }}\n'
        for weight, name in sorted(fonts.items())
    )
    families = ", ".join(f'"{name}"' for name in configured_families())
    first = f'"{SUBSET_FAMILY}", ' if fonts else ""
    return f"{faces}html {{ font-family: {first}{families}, serif; }}\n"
