"""Where the notebooks find the repository and the ODDS data.

The notebooks import this module as ``notebook_paths``: Jupyter, VS Code and
``execute.py`` run a notebook's kernel in the notebook's own folder, and
IPython puts that folder on ``sys.path``.
"""

import os
from pathlib import Path

from pyod_sla2p.datasets import resolve_data_dir

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The folder that holds the ODDS files (its ``odds/`` subfolder).

    ``$PYOD_SLA2P_DATA`` when it is set; otherwise ``<repo>/../shared/datasets``,
    else the library's download folder (``python -m pyod_sla2p.datasets download``).

    Raises
    ------
    FileNotFoundError
        When the chosen folder has no ``odds/`` subfolder.
    """
    if os.environ.get("PYOD_SLA2P_DATA", "").strip():
        candidates = [resolve_data_dir()]  # the variable, read as the library reads it
    else:
        candidates = [REPO_ROOT.parent / "shared" / "datasets", resolve_data_dir()]
    for path in candidates:
        if (path / "odds").is_dir():
            return path
    raise FileNotFoundError(
        f"No ODDS data (an 'odds' folder) in {' or '.join(map(str, candidates))}: set "
        "PYOD_SLA2P_DATA to the datasets folder, or run `python -m pyod_sla2p.datasets download`.")
