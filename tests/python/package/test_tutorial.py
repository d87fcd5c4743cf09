"""docs/python.md runs: its Python blocks, in order, against a fresh orbd,
print exactly its text blocks."""
import contextlib
import io
import os
import re

from conftest import SOURCE_DIR, start_orbd, stop_orbd


def blocks(markdown, lang):
    return re.findall(r"^```" + lang + r"\n(.*?)^```$", markdown, flags=re.S | re.M)


def test_the_python_tutorial_prints_what_it_shows(tmp_path):
    with open(os.path.join(SOURCE_DIR, "docs", "python.md"), encoding="utf-8") as f:
        doc = f.read()
    code, expected = blocks(doc, "python"), blocks(doc, "text")
    assert len(code) >= 6 and len(code) == len(expected)
    proc, address = start_orbd(str(tmp_path / "orbd.log"))
    try:
        scope = {"__name__": "tutorial"}
        for i, (block, want) in enumerate(zip(code, expected)):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block.replace("127.0.0.1:50051", address),
                             f"docs/python.md block {i + 1}", "exec"), scope)
            assert out.getvalue() == want, f"block {i + 1}"
    finally:
        stop_orbd(proc)
