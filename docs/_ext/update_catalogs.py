"""Update the Chinese edition's gettext catalogs from the current sources.

    python docs/_ext/update_catalogs.py            # then translate the new msgids in docs/locale/zh_CN/

Extracts every translatable message with Sphinx's gettext builder (which runs the gallery, so
the chapters' prose is extracted from the pages sphinx-gallery generates), drops the catalogs
that are not translated (the API reference, the gallery's timing page), and merges the rest into
``docs/locale/zh_CN/LC_MESSAGES/*.po`` with sphinx-intl: new messages are added, messages whose
English changed are marked fuzzy (Sphinx shows the English until the translation is checked and
the fuzzy flag removed), messages gone from the sources are kept at the end as obsolete
``#~`` entries (their translations come back if the text does).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
POT = DOCS / "_build" / "gettext"
LANGUAGES = ["zh_CN"]
NOT_TRANSLATED = ["api", "sg_execution_times"]   # the API reference stays English (issue 31)


def main() -> int:
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "gettext", str(DOCS), str(POT)], check=True)
    for name in NOT_TRANSLATED:
        (POT / f"{name}.pot").unlink(missing_ok=True)
    for lang in LANGUAGES:
        subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "-p", str(POT), "-d",
                        str(DOCS / "locale"), "-l", lang, "-w", "0"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
