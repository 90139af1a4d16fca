"""Reading and merging ``.pre-commit-config.yaml`` without losing the user's text.

``nbtrack init`` adds its hooks to an existing config by inserting a block
at the end of the ``repos:`` list, located with PyYAML's node positions, so
comments, ordering and formatting stay exactly as they were. It does not
rewrite or reformat the file, and refuses (one sentence) what it cannot
merge safely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nbtrack.errors import ConfigError

__all__ = ["existing_hook_ids", "merge_repos_block"]


def _repos_node(text: str, path: Path) -> object:
    import yaml

    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}".splitlines()[0], path=path) from None
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{path} is not a pre-commit config (no top-level mapping)", path=path)
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "repos":
            if not isinstance(value, yaml.SequenceNode):
                raise ConfigError(f"{path}: 'repos' is not a list", path=path, key="repos")
            return value
    raise ConfigError(f"{path} has no 'repos' list", path=path, key="repos")


def existing_hook_ids(text: str, path: Path) -> set[str]:
    """Every hook id named under ``repos`` (any repository)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}".splitlines()[0], path=path) from None
    ids: set[str] = set()
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if isinstance(hook, dict) and isinstance(hook.get("id"), str):
                ids.add(hook["id"])
    return ids


def merge_repos_block(text: str, path: Path, block: Callable[[int], str]) -> str:
    """``text`` with ``block(indent)`` appended to the ``repos:`` list, all else untouched."""
    import yaml

    node = _repos_node(text, path)
    assert isinstance(node, yaml.SequenceNode)
    if node.flow_style:
        if node.value:
            raise ConfigError(
                f"{path} writes 'repos' as a one-line [...] list; turn it into a block list "
                "(one '- repo:' per line) and run nbtrack init again",
                path=path,
                key="repos",
            )
        start, end = node.start_mark.index, node.end_mark.index
        return text[:start].rstrip(" ") + "\n" + block(0) + text[end:].lstrip(" ")
    indent = node.start_mark.column
    insert_at = node.end_mark.index
    # the sequence ends where the next key (or EOF) starts: back up to that line's start
    line_start = text.rfind("\n", 0, insert_at) + 1
    if text[line_start:insert_at].strip() == "":
        insert_at = line_start
    before, after = text[:insert_at], text[insert_at:]
    if before and not before.endswith("\n"):
        before += "\n"
    return before + block(indent) + after
