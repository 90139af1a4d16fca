"""Changing a recorded run afterwards: rename, tags, a note, soft delete, restore, gc.

For: ``nbtrack rename``/``tag``/``note``/``rm``/``restore``/``gc`` (and any
later door): a :class:`RunEditor` over a store whose methods check the input
first (one sentence naming the run, the key or the value; nothing changes
when any of it is wrong), store tags and notes the way a live run stores
them (tag names by the same rules, secrets redacted), and record a
:class:`~nbtrack.model.RunEvent` (``renamed``, ``tagged``, ``noted``,
``deleted``, ``restored``) so ``nbtrack show`` tells the run's history.
Not for: a run while its process logs it (``run.py``), or reading runs
(``nbtrack.compare``).

Deleting is soft: the run is hidden from listings and keeps everything;
``restore`` brings it back. ``gc`` is the one step that loses data: it
purges the rows of deleted runs and removes the artifact files no remaining
run references (files are content-addressed, so a file a live run also
logged stays). A file written within :data:`GRACE` seconds stays too: a run
may be about to record it (a run writes an artifact's file first and its row
later, possibly much later when its store was down). A deleted run that
still reads RUNNING is left alone unless forced.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtrack.errors import UsageError
from nbtrack.model import Artifact, GcPlan, Run, RunEvent, RunStatus
from nbtrack.redact import redact_text
from nbtrack.tracking.run import normalise_tags

if TYPE_CHECKING:
    from nbtrack.store.base import Store

__all__ = ["GRACE", "Edit", "RunEditor"]

#: seconds an artifact file is kept after it was written, whoever references it
GRACE = 3600.0


@dataclass(frozen=True)
class Edit:
    """What an edit did to one run: ``changed`` False when there was nothing to do."""

    run_id: str
    name: str | None
    changed: bool
    before: Any = None
    after: Any = None


def _short(run_id: str) -> str:
    return run_id[:8]


class RunEditor:
    """Edits runs in one store; the CLI opens one with :meth:`open`."""

    def __init__(self, store: Store, *, redact: bool = True, owned: bool = True) -> None:
        self._store = store
        self._redact = redact
        self._owned = owned

    @classmethod
    def open(cls, url: str | None = None) -> RunEditor:
        """An editor of the project's store (or *url*); a store that is not there is not made."""
        from nbtrack.config import load_settings
        from nbtrack.store import open_store

        settings = load_settings()
        store = open_store(url, settings=settings, create=False)
        return cls(store, redact=settings.redact_secrets)

    def close(self) -> None:
        if self._owned:
            self._store.close()

    def __enter__(self) -> RunEditor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one run -----------------------------------------------------------------
    def _event(self, run_id: str, kind: str, **detail: Any) -> None:
        self._store.add_event(run_id, RunEvent(kind, time.time(), detail))

    def rename(self, run: str, name: str) -> Edit:
        """Give the run *run* (an id or a prefix) the name *name*."""
        if not isinstance(name, str) or not name.strip():
            raise UsageError(
                f"A run name cannot be empty ({name!r}); give a name such as 'baseline'."
            )
        found = self._store.get_run(run)
        if found.name == name:
            return Edit(found.id, name, False, found.name, name)
        self._store.set_name(found.id, name)
        self._event(found.id, "renamed", **{"from": found.name, "to": name})
        return Edit(found.id, name, True, found.name, name)

    def tag(self, run: str, tags: Mapping[str, Any], remove: Sequence[str] = ()) -> Edit:
        """Set *tags* (replacing values) and remove the tags named in *remove*."""
        if not tags and not remove:
            raise UsageError("Give a tag to set (key=value) or one to remove (--remove KEY).")
        both = sorted(set(tags) & set(remove))
        if both:
            raise UsageError(f"The tag {both[0]!r} is both set and removed; do one of the two.")
        clean = normalise_tags(tags, redact=self._redact)
        found = self._store.get_run(run)
        missing = [k for k in remove if k not in found.tags]
        if missing:
            raise UsageError(
                f"Run {_short(found.id)} has no tag {missing[0]!r} to remove"
                f" (its tags: {', '.join(map(repr, found.tags)) or 'none'})."
            )
        after = {k: v for k, v in {**found.tags, **clean}.items() if k not in remove}
        if after == found.tags:
            return Edit(found.id, found.name, False, found.tags, after)
        self._store.set_tags(found.id, clean)
        self._store.remove_tags(found.id, list(remove))
        self._event(found.id, "tagged", set=clean, removed=list(remove))
        return Edit(found.id, found.name, True, found.tags, after)

    def note(self, run: str, text: str | None, *, append: bool = False) -> Edit:
        """Set the run's note to *text* (None clears it); *append* adds it as a new paragraph."""
        if text is not None and not text.strip():
            raise UsageError("A note cannot be empty; to remove a run's note, clear it.")
        found = self._store.get_run(run)
        if text is not None and self._redact:
            text = redact_text(text)
        new = text
        if append and text is not None and found.note:
            new = found.note.rstrip("\n") + "\n\n" + text
        if new == found.note:
            return Edit(found.id, found.name, False, found.note, new)
        self._store.set_note(found.id, new)
        detail: dict[str, Any] = {"chars": len(new or ""), "appended": bool(append and found.note)}
        if found.note and not append:
            detail["previous"] = found.note  # a replaced note is not lost
        self._event(found.id, "noted", **detail)
        return Edit(found.id, found.name, True, found.note, new)

    # -- several runs ------------------------------------------------------------
    def _runs(self, runs: Sequence[str]) -> list[Run]:
        """Every run *runs* names, each once; an unknown id fails before anything changes."""
        if not runs:
            raise UsageError("Name at least one run (an id or a unique prefix of one).")
        found: dict[str, Run] = {}
        for ref in runs:
            run = self._store.get_run(ref)
            found.setdefault(run.id, run)
        return list(found.values())

    def delete(self, runs: Sequence[str], *, force: bool = False) -> list[Edit]:
        """Soft-delete *runs*; a run that still reads RUNNING needs *force*."""
        found = self._runs(runs)
        running = [r for r in found if r.status is RunStatus.RUNNING and r.deleted_at is None]
        if running and not force:
            raise UsageError(
                f"Run {_short(running[0].id)} is still RUNNING (its heartbeat is live);"
                " nothing was deleted. Wait for it to end, or pass --force to delete it anyway."
            )
        edits = []
        now = time.time()
        for run in found:
            if run.deleted_at is not None:
                edits.append(Edit(run.id, run.name, False, run.deleted_at, run.deleted_at))
                continue
            self._store.delete_run(run.id, now)
            forced = {"forced": True} if run.status is RunStatus.RUNNING else {}
            self._event(run.id, "deleted", **forced)
            edits.append(Edit(run.id, run.name, True, None, now))
        return edits

    def restore(self, runs: Sequence[str]) -> list[Edit]:
        """Undo :meth:`delete` for *runs* (a run that is not deleted is left as it is)."""
        edits = []
        for run in self._runs(runs):
            if run.deleted_at is None:
                edits.append(Edit(run.id, run.name, False))
                continue
            self._store.restore_run(run.id)
            self._event(run.id, "restored", deleted_at=run.deleted_at)
            edits.append(Edit(run.id, run.name, True, run.deleted_at, None))
        return edits

    # -- gc ----------------------------------------------------------------------
    def plan_gc(self, *, force: bool = False) -> GcPlan:
        """What :meth:`gc` would remove now (nothing is changed)."""
        deleted = self._store.list_runs(deleted=True)
        running = tuple(r for r in deleted if r.status is RunStatus.RUNNING)
        doomed = tuple(r for r in deleted if force or r.status is not RunStatus.RUNNING)
        cutoff = time.time() - GRACE
        files: list[Artifact] = []
        recent: list[Artifact] = []
        for artifact in self._store.artifacts_only_in([r.id for r in doomed]):
            written = self._store.artifact_written_at(artifact)
            if written is None:
                continue  # no file to remove
            (recent if written > cutoff else files).append(artifact)
        return GcPlan(
            runs=doomed,
            files=tuple(files),
            recent=tuple(recent),
            running=() if force else running,
        )

    def gc(self, plan: GcPlan) -> GcPlan:
        """Purge *plan*'s runs, then remove the files no remaining run references; what went."""
        self._store.purge_runs([r.id for r in plan.runs])
        # asked after the purge: a run recorded since the plan may use a file now
        still = self._store.referenced_digests([a.digest for a in plan.files])
        cutoff = time.time() - GRACE
        removed, kept = [], list(plan.recent)
        for artifact in plan.files:
            written = self._store.artifact_written_at(artifact)
            if artifact.digest in still:
                continue
            if written is not None and written > cutoff:
                kept.append(artifact)
            elif self._store.remove_artifact(artifact):
                removed.append(artifact)
        return GcPlan(
            runs=plan.runs, files=tuple(removed), recent=tuple(kept), running=plan.running
        )
