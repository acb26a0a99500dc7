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
