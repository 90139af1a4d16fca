"""Secrets kept out of what a run stores: by name, and by the shape of a value.

For: the one place that decides what of a value, a mapping, a command line or
a piece of source code is written down as :data:`REDACTED`. Two rules, both
defined in :mod:`nbtrack.config` and only applied here:

* **by name**: a value whose name (a param's, a tag's, a dict key, a
  ``--option``, a ``name=`` on a command line, an assigned variable in code)
  :func:`~nbtrack.config.looks_secret` is ``"***"`` as a whole;
* **by shape**: a URL anywhere in a string keeps its host and path but not
  its credentials (``user:password@``, ``?token=...``), as
  :func:`~nbtrack.config.mask_url` prints them.

:func:`redact_value` and :func:`redact_mapping` are for params and tags,
:func:`redact_argv` for the command line a run records, :func:`redact_code`
for a notebook's source text (its snapshot, a cell of injected parameters),
and :func:`redact_source` for a :class:`~nbtrack.model.Source`.

Not for: deciding *whether* to redact (the ``redact_secrets`` setting, read
by the callers), digests of real values (the param ledger keeps those, so a
redacted param still conflicts), or anything shown on a terminal only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from nbtrack.config import looks_secret, mask_url
from nbtrack.model import JSONValue, Source

__all__ = [
    "REDACTED",
    "has_redaction",
    "redact_argv",
    "redact_code",
    "redact_mapping",
    "redact_source",
    "redact_text",
    "redact_value",
]

#: what a secret is stored as
REDACTED = "***"

#: a URL inside text: a scheme, then everything up to a space, a quote or a bracket
_URL = re.compile(r"(?<![\w+.-])[A-Za-z][\w+.-]*://[^\s'\"`<>()\[\]{}]+")
#: ``name=value`` in a string: a libpq DSN (``host=db password=...``), a query
#: string without its URL (``token=...&page=2``), a JDBC ``;password=...``
_PAIR = re.compile(r"(?<![\w.-])(?P<name>[A-Za-z_][\w.-]*)=(?P<value>[^\s&;,'\"]+)")

# -- source code ---------------------------------------------------------------
#: a Python string literal (any prefix, triple-quoted ones across lines)
_STRING = (
    r"[rRbBuUfF]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\""
    r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\")"
)
_ANY_STRING = re.compile(_STRING)
_NUMBER = r"[-+]?\.?\d[\w.]*"
#: a name, then what makes it take a literal: ``name = v``, ``name: T = v``,
#: ``name := v``, ``f(name=v)``; or a quoted key: ``{"name": v}``,
#: ``env["name"] = v``, ``setdefault("name", v)``
_ASSIGNED = re.compile(
    r"(?:(?<![\w'\"])(?P<name>[A-Za-z_][\w.]*)\s*(?::[^=\n]*?)?=(?!=)"
    r"|(?P<quote>['\"])(?P<key>[^'\"\n]{1,200})(?P=quote)\s*(?:\]\s*=(?!=)|[:,]))"
    rf"\s*(?P<literal>{_STRING}|{_NUMBER})",
    re.DOTALL,
)
#: a line of shell or of ``%env``: ``!cmd NAME=value``, ``%env NAME=value``,
#: ``%env NAME value``, ``export NAME=value`` (jupytext comments magics out: ``# %env ...``)
_SHELL_LINE = re.compile(
    r"^[ \t]*(?:#[ \t]*)?(?:!|%%?(?:set_)?env\b|%%(?:bash|sh)\b|export\b).*$", re.M
)
_ENV_MAGIC = re.compile(
    r"%(?:set_)?env[ \t]+(?P<name>[^\s=]+)(?:[ \t]*=[ \t]*|[ \t]+)(?P<value>\S.*)"
)
#: ``--name value`` or ``name=value`` (also ``--name=value``) on such a line
_SHELL_PAIR = re.compile(
    r"(?<![\w-])(?:(?P<option>--?[A-Za-z_][\w.-]*)[ \t]+(?=[^\s-])"
    r"|(?P<name>-{0,2}[A-Za-z_][\w.-]*)=)"
    r"(?P<value>'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"]+)"
)


def redact_text(text: str) -> str:
    """A string value with the credentials of every URL, and ``secret=value`` pairs, masked.

    >>> redact_text("load('postgresql://ana:s3cret@db/runs') then https://h/?token=abc&x=1")
    "load('postgresql://ana:***@db/runs') then https://h/?token=***&x=1"
    >>> redact_text("host=db user=ana password=s3cret sslmode=require")
    'host=db user=ana password=*** sslmode=require'
    """
    return _mask_pairs(_mask_urls(text))


def _mask_urls(text: str) -> str:
    if "://" not in text:
        return text
    return _URL.sub(lambda match: mask_url(match.group()), text)


def _mask_pairs(text: str) -> str:
    if "=" not in text:
        return text
    return _PAIR.sub(_pair, text)


def _pair(match: re.Match[str]) -> str:
    if not looks_secret(match["name"]):
        return match.group()
    return f"{match['name']}={REDACTED}"


def redact_value(key: str | None, value: JSONValue) -> JSONValue:
    """*value* (JSON data) as it may be stored under the name *key*.

    >>> redact_value("db", {"user": "ana", "password": "s3cret", "hosts": ["h1"]})
    {'user': 'ana', 'password': '***', 'hosts': ['h1']}
    >>> redact_value("api_token", "abc"), redact_value("lr", 0.1)
    ('***', 0.1)
    """
    if key is not None and looks_secret(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_value(None, item) for item in value]
    if isinstance(value, dict):
        return {k: redact_value(k, v) for k, v in value.items()}
    return value


def redact_mapping(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Each value of *mapping* as :func:`redact_value` stores it under its key."""
    return {key: redact_value(key, value) for key, value in mapping.items()}


def has_redaction(value: JSONValue) -> bool:
    """Whether a stored *value* had something taken out (it holds ``"***"``)."""
    if isinstance(value, str):
        return REDACTED in value
    if isinstance(value, list):
        return any(has_redaction(item) for item in value)
    if isinstance(value, dict):
        return any(has_redaction(item) for item in value.values())
    return False


def redact_argv(argv: Iterable[str]) -> tuple[str, ...]:
    """A command line fit to store: ``--password X``, ``--token=X``, ``-p api_token=X`` hidden.

    >>> redact_argv(["nbtrack", "run", "-p", "api_token=X", "--password", "Y", "--db=Z"])
    ('nbtrack', 'run', '-p', 'api_token=***', '--password', '***', '--db=Z')

    An argument that is not a secret's name or value keeps all but the
    credentials of the URLs (and of the code) in it.
    """
    out: list[str] = []
    value_is_secret = False
    for arg in argv:
        option = arg.startswith("-") and len(arg) > 1
        if value_is_secret and not option:
            out.append(REDACTED)
            value_is_secret = False
            continue
        value_is_secret = False
        name, equals, _ = arg.partition("=")
        if equals and name and looks_secret(name.lstrip("-")):
            out.append(f"{name}={REDACTED}")
        elif option and not equals and looks_secret(arg.lstrip("-")):
            out.append(arg)
            value_is_secret = True
        else:
            out.append(redact_text(redact_code(arg)))
    return tuple(out)


def _assigned(match: re.Match[str]) -> str:
    name = match["name"] if match["name"] is not None else match["key"]
    if not looks_secret(name):
        return match.group()
    literal = match["literal"]
    start = match.start("literal") - match.start()
    quote = re.match(r"[rRbBuUfF]{0,2}('''|\"\"\"|'|\")", literal)
    # a multi-line literal keeps its lines, so line numbers after it still match
    lines = "\n" * literal.count("\n")
    shown = f"{quote[0]}{REDACTED}{lines}{quote[1]}" if quote else repr(REDACTED)
    return match.group()[:start] + shown


def _shell_line(match: re.Match[str]) -> str:
    line = match.group()
    env = _ENV_MAGIC.search(line)
    if env is not None and looks_secret(env["name"]):
        return line[: env.start("value")] + REDACTED
    return _SHELL_PAIR.sub(_shell_pair, line)


def _shell_pair(match: re.Match[str]) -> str:
    name = match["option"] or match["name"]
    if not looks_secret(name.lstrip("-")):
        return match.group()
    return match.group()[: match.start("value") - match.start()] + REDACTED


def redact_code(text: str) -> str:
    """Source code with literals assigned to secret-looking names, and URL credentials, hidden.

    >>> print(redact_code("db_password = 'hunter2'\\nlr = 0.1\\nconnect(api_key=\\"sk\\")"))
    db_password = '***'
    lr = 0.1
    connect(api_key="***")
    >>> redact_code("os.environ['HF_TOKEN'] = 'hf_abc'")
    "os.environ['HF_TOKEN'] = '***'"

    Covers assignments (annotated, walrus), keyword arguments, dict entries
    and subscripts with a literal value, ``NAME=value`` and ``--secret value``
    on shell (``!``) and ``%env`` lines, and URLs anywhere. A value computed
    at run time (``token = os.environ["TOKEN"]``) is not a secret in the code
    and is kept.
    """
    text = _ASSIGNED.sub(_assigned, text)
    text = _SHELL_LINE.sub(_shell_line, text)
    # name=value pairs only inside strings: in code, api_key=key_var names no secret
    text = _ANY_STRING.sub(lambda match: _mask_pairs(match.group()), text)
    return _mask_urls(text)


def redact_source(source: Source) -> Source:
    """*source* with its snapshot text through :func:`redact_code` (path and hash kept)."""
    if not source.snapshot:
        return source
    shown = redact_code(source.snapshot)
    return source if shown == source.snapshot else replace(source, snapshot=shown)
