"""Every user-facing string has its Vietnamese, with the same placeholders, and the catalog is current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def vi_catalog():  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def test_every_msgid_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    for message in vi_catalog():
        if not message.id:
            continue
        assert message.string.strip(), f"untranslated: {message.id!r}"
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id


def test_the_catalog_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
                    "-o", str(pot), "--no-location", "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    translated = {m.id for m in vi_catalog() if m.id}
    assert extracted - translated == set(), "new strings need a Vietnamese translation (make catalogs)"
    assert translated - extracted == set(), "strings no longer in the code should leave the catalog"


VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE)
ENDONYMS = {'"Tiếng Việt"'}  # a language is offered under its own name


def test_no_vietnamese_text_outside_the_catalogs() -> None:
    """String literals in handlers/, jobs/ and reports/ that are not msgids nor docstrings must not be Vietnamese:
    user-facing text belongs in the catalog, matching words are folded to ASCII."""
    import io
    import tokenize

    found = []
    statement_start = (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE)
    for file in sorted(f for d in ("handlers", "jobs", "reports") for f in (ROOT / d).rglob("*.py")):
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(file.read_text(encoding="utf-8")).readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
        for index, token in enumerate(tokens):
            if token.type != tokenize.STRING or not VIETNAMESE.search(token.string):
                continue
            first = index  # the first piece of an implicitly concatenated literal
            while first > 0 and tokens[first - 1].type == tokenize.STRING:
                first -= 1
            before = [t.string for t in tokens[max(0, first - 2):first]]
            is_msgid = before[-1:] == ["("] and before[-2:-1] in (["_"], ["N_"])
            is_docstring = first == 0 or tokens[first - 1].type in statement_start
            is_letter = len(token.string) == 3  # "đ" in the folding table is a letter, not text
            if not (is_msgid or is_docstring or is_letter or token.string in ENDONYMS):
                found.append(f"{file.relative_to(ROOT)}:{token.start[0]}: {token.string[:60]}")
    assert found == []
