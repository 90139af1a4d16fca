"""Wrapping scikit-learn's fit methods, and taking the wrappers off again.

For: :class:`Patcher`, which wraps ``fit``, ``partial_fit``,
``fit_transform`` and ``fit_predict`` of every ``BaseEstimator`` subclass
and hands each *outermost* completed call to a callback as a :class:`Fit`.

How the classes are found, cheaply. ``sklearn.utils.all_estimators()``
imports every module of scikit-learn to list them (about 2 s here), so it is
not used. Instead:

* the classes already imported are the subclasses of ``BaseEstimator`` that
  Python already knows (``type.__subclasses__``, walked once: microseconds);
* a class created later (a module the notebook imports in a later cell, or
  an estimator class the user writes) is wrapped as it is created, by a
  ``__init_subclass__`` set on ``BaseEstimator`` that first calls the one it
  shadows (scikit-learn's metadata-routing hook), so scikit-learn sees the
  class exactly as before. An import hook would have had to wrap module
  loaders, which breaks ``importlib.resources`` in scikit-learn's datasets.

A subclass that inherits ``fit`` inherits the wrapper; only methods a class
defines itself are wrapped. Plain functions are wrapped with
``functools.wraps`` (so ``inspect.signature``, which metadata routing reads,
sees the original); a descriptor method (``available_if``, as
``Pipeline.fit_transform`` and ``MLPClassifier.partial_fit`` are) is wrapped
by a descriptor that asks the original first, so ``hasattr`` still answers
as scikit-learn meant.

Nesting. ``Pipeline.fit`` fits its steps, ``GridSearchCV.fit`` fits clones:
one counter for the whole process says whether a wrapped call is already
running, and only the outermost is reported. It is a process-wide counter,
not a thread-local one, because joblib's threading backend fits a search's
clones in other threads; the price is that two unrelated fits running at the
same time in two threads are reported as one (the first). joblib's default
(loky) workers are other processes, where nothing is patched.

Not for: what a fit records (``recorder``) or which run gets it.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

__all__ = ["METHODS", "AutologWarning", "Fit", "Patcher"]

#: the methods that fit an estimator
METHODS = ("fit", "partial_fit", "fit_transform", "fit_predict")


class AutologWarning(UserWarning):
    """Autolog could not record (part of) a fit; the fit itself went ahead unchanged."""


@dataclass(frozen=True)
class Fit:
    """One outermost fit that returned: what the recorder needs to know of it."""

    estimator: Any
    method: str  # one of METHODS
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    seconds: float  # wall time of the user's fit alone

    @property
    def X(self) -> Any:  # scikit-learn's name for the features
        return self.args[0] if self.args else self.kwargs.get("X")

    @property
    def y(self) -> Any:
        return self.args[1] if len(self.args) > 1 else self.kwargs.get("y")


class Patcher:
    """The wrappers on scikit-learn's classes; one per process (see ``switch``).

    *report* is called with each outermost :class:`Fit`, on the fitting
    thread, after the fit returned and before its result is handed back. It
    must not raise (the recorder catches its own errors); None pauses
    reporting without unwrapping (a bound method taken earlier still works).
    """

    def __init__(self) -> None:
        self.report: Callable[[Fit], None] | None = None
        # (class, method) -> (the original, its wrapper)
        self._wrapped: dict[tuple[type, str], tuple[Any, Any]] = {}
        self._base: type | None = None
        self._depth = 0
        self._lock = threading.Lock()

    @property
    def installed(self) -> bool:
        return self._base is not None

    @property
    def wrapped(self) -> int:
        """How many methods are wrapped now."""
        return len(self._wrapped)

    def install(self, base: type) -> int:
        """Wrap *base*'s subclasses now and as they are created; return how many
        methods were wrapped by this call (0 the second time)."""
        before = len(self._wrapped)
        if self._base is None:
            self._hook(base)
            self._base = base
        seen: set[type] = set()
        todo = [base]
        while todo:
            cls = todo.pop()
            self.wrap_class(cls)
            sub: type
            for sub in cls.__subclasses__():
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        return len(self._wrapped) - before

    def uninstall(self) -> None:
        """Put every original method back and stop wrapping new classes.

        A wrapper that something else wrapped in turn (scikit-learn's
        ``set_output`` wraps ``fit_transform`` of a class created after
        ``autolog()``, around ours) stays, inside theirs, and only counts from
        now on: taking it out would take theirs out too.
        """
        for (cls, name), (original, wrapper) in self._wrapped.items():
            if cls.__dict__.get(name) is wrapper:
                setattr(cls, name, original)
        self._wrapped.clear()
        base, self._base = self._base, None
        if base is not None and "__init_subclass__" in base.__dict__:
            delattr(base, "__init_subclass__")

    def _hook(self, base: type) -> None:
        if "__init_subclass__" in base.__dict__:  # a scikit-learn of its own: not expected
            raise RuntimeError(f"{base.__qualname__} defines __init_subclass__ itself")
        patcher, owner = self, cast(Any, base)

        def init_subclass(cls: Any, /, **kwargs: Any) -> None:
            super(owner, cls).__init_subclass__(**kwargs)
            if patcher._base is base:
                try:
                    patcher.wrap_class(cls)
                except Exception as exc:  # defining a class must never fail because of nbtrack
                    warnings.warn(
                        f"nbtrack.autolog cannot record fits of {cls.__qualname__}: {exc}",
                        AutologWarning,
                        stacklevel=2,
                    )

        owner.__init_subclass__ = classmethod(init_subclass)

    def wrap_class(self, cls: type) -> None:
        """Wrap the fit methods *cls* defines itself (not those it inherits)."""
        for name in METHODS:
            original = cls.__dict__.get(name)
            if original is None or (cls, name) in self._wrapped or _is_ours(original):
                continue
            if inspect.isfunction(original):
                wrapper: Any = self._function(original, name)
            elif hasattr(type(original), "__get__"):
                wrapper = _Descriptor(self, original, name)
            else:
                continue
            setattr(cls, name, wrapper)
            self._wrapped[(cls, name)] = (original, wrapper)

    # -- the calls ---------------------------------------------------------------------
    def _function(self, original: Callable[..., Any], name: str) -> Callable[..., Any]:
        patcher = self

        @functools.wraps(original)
        def fit_recorded(estimator: Any, /, *args: Any, **kwargs: Any) -> Any:
            return patcher.call(estimator, name, original, args, kwargs, pass_self=True)

        fit_recorded.__nbtrack_autolog__ = True  # type: ignore[attr-defined]
        return fit_recorded

    def call(
        self,
        estimator: Any,
        name: str,
        method: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        pass_self: bool = False,
    ) -> Any:
        """Run *method* (given *estimator* first when *pass_self*: a plain function);
        report it when it is the outermost fit. The user's exceptions propagate
        untouched, and nothing is reported for a fit that raised."""
        report = self.report
        with self._lock:
            outermost = self._depth == 0
            self._depth += 1
        try:
            if report is None or not outermost:
                return method(estimator, *args, **kwargs) if pass_self else method(*args, **kwargs)
            started = time.perf_counter()
            result = method(estimator, *args, **kwargs) if pass_self else method(*args, **kwargs)
            seconds = time.perf_counter() - started
            try:
                report(Fit(estimator, name, args, kwargs, seconds))
            except Exception as exc:  # the recorder catches its own; this is the last net
                warnings.warn(f"nbtrack.autolog: {exc}", AutologWarning, stacklevel=3)
            return result
        finally:
            with self._lock:
                self._depth -= 1


def _is_ours(method: Any) -> bool:
    """A wrapper of this module left in place by an earlier ``uninstall``."""
    return isinstance(method, _Descriptor) or getattr(method, "__nbtrack_autolog__", False)


class _Descriptor:
    """A wrapped descriptor method: the original decides whether (and what) it is."""

    def __init__(self, patcher: Patcher, original: Any, name: str) -> None:
        self.patcher = patcher
        self.original = original
        self.name = name
        self.__doc__ = getattr(original, "__doc__", None)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        bound = self.original.__get__(instance, owner)  # AttributeError: not available
        if instance is None:
            return bound
        patcher, name = self.patcher, self.name

        @functools.wraps(bound)
        def fit_recorded(*args: Any, **kwargs: Any) -> Any:
            return patcher.call(instance, name, bound, args, kwargs)

        return fit_recorded
