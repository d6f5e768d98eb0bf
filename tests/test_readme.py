"""The README: its Python examples run as written, its commands are CI's, and
it stays a landing page whose pointers into the documentation exist.

Its headline numbers are checked in ``test_committed_results.py``.
"""

import re

from conftest import REPO_ROOT

README = REPO_ROOT / "README.md"


def _text():
    return README.read_text(encoding="utf-8")


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", _text(), flags=re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})


def _ci_commands():
    lines = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_quick_start_commands_are_what_ci_runs():
    commands = [line for block in re.findall(r"```bash\n(.*?)```", _text(), flags=re.S)
                for line in block.splitlines()]
    benchmark = [c for c in commands if c.endswith("&& python -m benchmarks")]
    tests = [c for c in commands if c.endswith("&& python -m pytest")]
    assert len(benchmark) == 1 and len(tests) == 1, commands
    assert 'pip install -e ".[benchmarks]" && python -m benchmarks' in benchmark[0]
    ci = _ci_commands()
    # CI installs the same extra and then runs exactly the README's test command.
    assert ci[-1] == "python -m pytest", ci
    assert any(c.endswith('-e ".[test]"') for c in ci), ci
    assert tests[0].endswith('pip install -e ".[test]" && python -m pytest')


def test_readme_is_a_landing_page():
    text = _text()
    assert len(text.splitlines()) < 150
    # Every documentation source it names exists.
    named = re.findall(r"`((?:docs|notebooks)/[^`*]*)`", text)
    assert named
    for path in named:
        assert (REPO_ROOT / path).exists(), path
    assert (REPO_ROOT / "mkdocs.yml").is_file()
