"""Packaging metadata and the README's install instructions agree with each other.

Building and installing the sdist and wheel is checked by hand (see the
README's quick start); these tests pin the facts that such a check relies on.
"""

import re
import sys

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conftest import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra installs tomli on Python 3.10
    import tomli as tomllib

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_INSTALL = re.compile(r"pip install (?P<args>[^&\n]*\btorch==(?P<version>[0-9.]+)[^&\n]*)")


def _pyproject():
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _readme():
    return (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _torch_installs(text):
    return [(m["version"], m["args"].split()) for m in TORCH_INSTALL.finditer(text)]


def test_every_command_installs_the_same_cpu_torch_as_ci():
    bash_blocks = re.findall(r"```bash\n(.*?)```", _readme(), flags=re.S)
    readme_installs = [i for block in bash_blocks for i in _torch_installs(block)]
    ci_installs = _torch_installs((REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert readme_installs, "no README command installs torch"
    assert len(ci_installs) == 1, ci_installs
    for version, args in readme_installs + ci_installs:
        assert version == ci_installs[0][0], (version, ci_installs)
        # A torch from PyPI is the CUDA build on Linux; the commands promise CPU.
        assert args[args.index("--index-url") + 1] == CPU_INDEX, args


def test_python_floor_is_the_same_in_metadata_and_readme():
    spec = SpecifierSet(_pyproject()["project"]["requires-python"])
    floor = re.search(r"Python (\d+)\.(\d+) or newer", _readme())
    assert floor, "README does not state the Python floor"
    major, minor = int(floor[1]), int(floor[2])
    assert Version(f"{major}.{minor}") in spec
    assert Version(f"{major}.{minor - 1}") not in spec, spec


def test_license_is_an_spdx_expression_with_its_file():
    config = _pyproject()
    project = config["project"]
    assert project["license"] == "BSD-2-Clause"
    assert project["license-files"] == ["LICENSE"]
    assert (REPO_ROOT / "LICENSE").read_text(encoding="utf-8").startswith("BSD 2-Clause License")
    # An SPDX license and a license classifier together are rejected by setuptools.
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    setuptools_req = [r for r in config["build-system"]["requires"] if r.startswith("setuptools")]
    assert setuptools_req == ["setuptools>=77"], "setuptools 77 is the first to read SPDX license strings"


def test_project_urls_are_absolute():
    urls = _pyproject()["project"]["urls"]
    assert urls
    assert all(u.startswith("https://") for u in urls.values()), urls


def test_readme_links_work_on_a_package_index_page():
    # The README is the long description: a relative link or an in-page anchor
    # breaks once it is shown anywhere but the repository.
    targets = re.findall(r"\]\(([^)\s]+)\)", _readme())
    assert targets, "README has no links at all"
    assert [t for t in targets if not t.startswith("https://")] == []
