"""Every document and section the project cites exists in the repository, and nothing is cited that a
reader of the repository cannot open (team notes outside it, issue numbers, machine paths)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"docs/([\w-]+\.md)(?: §(\d+))?")
REPO_PATH = re.compile(
    r"(?<![\w/.<])((?:scratch|reference|comparisons|tests|benchmarks|docs)/[\w/.-]+\.(?:py|md|csv))\b")
# Spelled in pieces so that this file does not match itself.
OUTSIDE = re.compile("|".join([r"\bCONVENTIONS(\.md)? ?§?\d", r"\bDESIGN(\.md)? ?§?\d", r"\.\./" + "shared",
                               "/" + "work/", r"\bissue" + r" #?\d+"]))


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.py", "*.md", "*.csv", "*.toml", "Makefile"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def broken_citations(text: str, docs: Path) -> list[str]:
    """Citations 'docs/<file>.md [§N]' whose file or '## §N.' heading does not exist."""
    broken = []
    for name, section in CITATION.findall(text):
        path = docs / name
        if not path.is_file():
            broken.append(f"docs/{name}")
        elif section and not re.search(rf"^## §{section}\. ", path.read_text(), flags=re.M):
            broken.append(f"docs/{name} §{section}")
    return broken


def test_every_cited_document_and_section_exists():
    broken = {str(p.relative_to(ROOT)): found for p in tracked_text_files()
              if (found := broken_citations(p.read_text(errors="replace"), ROOT / "docs"))}
    assert not broken, broken


def test_every_repository_file_named_in_code_and_docs_exists():
    """Tests are left out: they name made-up paths on purpose."""
    sources = [p for p in tracked_text_files() if p.relative_to(ROOT).parts[0] != "tests"]
    missing = {str(p.relative_to(ROOT)): sorted({m for m in REPO_PATH.findall(p.read_text(errors="replace"))
                                                 if not (ROOT / m).is_file()}) for p in sources}
    assert not {k: v for k, v in missing.items() if v}


def test_nothing_outside_the_repository_is_cited():
    found = {str(p.relative_to(ROOT)): OUTSIDE.findall(p.read_text(errors="replace"))
             for p in tracked_text_files()}
    assert not {k: v for k, v in found.items() if v}


def test_the_citation_checker_sees_a_missing_section(tmp_path):
    (tmp_path / "notes.md").write_text("# Notes\n\n## §1. First\n")
    docs = "docs/"  # spelled apart so that this file cites nothing itself
    text = f"see {docs}notes.md §1 and {docs}notes.md §2 and {docs}gone.md"
    assert broken_citations(text, tmp_path) == [f"{docs}notes.md §2", f"{docs}gone.md"]
    assert OUTSIDE.search("as " + "CONVENTIONS" + " 5 says") and not OUTSIDE.search("docs/conventions.md §5")
