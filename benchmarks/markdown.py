"""The one Markdown table writer of the reports (tabulate's ``pipe`` format)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from tabulate import tabulate

__all__ = ["pipe_table"]


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
               align: Optional[Sequence[str]] = None) -> str:
    """A GitHub Markdown table of already formatted cells.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequences
        Cell texts; nothing is reformatted (numbers stay as written).
    align : sequence of {"left", "right", "center"}, optional
        Per column; default: the first column left, the others right.

    Returns
    -------
    str
        The table, ending with a newline.
    """
    align = list(align or ["left"] + ["right"] * (len(headers) - 1))
    return tabulate([[str(c) for c in row] for row in rows], headers=list(headers),
                    tablefmt="pipe", colalign=align, disable_numparse=True) + "\n"
