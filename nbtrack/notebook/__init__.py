"""Notebooks as data, written once and shared by smoke, run, diff and tracking.

Fast reading with plain :mod:`json` (never ``nbformat`` on this path), the
parameters cell, parameter resolution and injection (papermill's
conventions) with the map from injected cells back to the user's, literal
assignments of a cell, conversion to a script with a line -> cell map, and
:class:`CellFailure`, the failing cell both runners report. Nothing here runs
a notebook; :mod:`nbtrack.smoke` and :mod:`nbtrack.execute` do.

* ``document``: notebooks as light, immutable values read with plain :mod:`json`;
  the mark on the executed copies nbtrack writes.
* ``params``: ``-p``/``-f`` values, their resolution, the parameters cell,
  injection and the map from executed cells back to the user's.
* ``script``: a notebook as one readable script with a line -> cell map.
* ``source``: cell source as Python: IPython syntax neutralised, literals found.
* ``failure``: :class:`CellFailure`, the cell that stopped a notebook.
"""

from __future__ import annotations

from nbtrack.notebook.document import (
    Cell,
    Notebook,
    kernel_language,
    marked_output,
    notebook_from_bytes,
    notebook_from_dict,
    notebook_to_dict,
    output_of,
    read_notebook,
    write_notebook,
)
from nbtrack.notebook.failure import CellFailure, first_code_line
from nbtrack.notebook.params import (
    INJECTED_MARKER,
    INJECTED_TAG,
    PARAMETERS_TAG,
    ResolvedParams,
    cell_origin,
    find_parameters_cell,
    flatten_params,
    inject_parameters,
    load_param_file,
    parameter_names,
    parse_param_assignments,
    resolve_params,
)
from nbtrack.notebook.script import SKIP_TAGS, Script, is_skipped, to_script
from nbtrack.notebook.source import (
    assigned_names,
    cell_magic_name,
    literal_assignments,
    neutralise_ipython,
    non_literal_names,
    parse_cell,
)

__all__ = [
    "INJECTED_MARKER",
    "INJECTED_TAG",
    "PARAMETERS_TAG",
    "SKIP_TAGS",
    "Cell",
    "CellFailure",
    "Notebook",
    "ResolvedParams",
    "Script",
    "assigned_names",
    "cell_magic_name",
    "cell_origin",
    "find_parameters_cell",
    "first_code_line",
    "flatten_params",
    "inject_parameters",
    "is_skipped",
    "kernel_language",
    "literal_assignments",
    "load_param_file",
    "marked_output",
    "neutralise_ipython",
    "non_literal_names",
    "notebook_from_bytes",
    "notebook_from_dict",
    "notebook_to_dict",
    "output_of",
    "parameter_names",
    "parse_cell",
    "parse_param_assignments",
    "read_notebook",
    "resolve_params",
    "to_script",
    "write_notebook",
]
