"""A tiny name -> object registry: duplicates are errors, unknown names suggest close matches."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from neurodata.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Objects registered under lower-case names (datasets, decoders, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering the decorated object as `name`."""

        def deco(obj: T) -> T:
            self.add(name, obj)
            return obj

        return deco

    def add(self, name: str, obj: T) -> None:
        """Register `obj` as `name`; a name already taken is a `ValueError`."""
        key = name.lower()
        if key in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered to {self._items[key]!r}")
        self._items[key] = obj

    def get(self, name: str) -> T:
        """The object registered as `name` (case-insensitive); else `UnknownNameError` (a KeyError) with hints."""
        key = name.lower()
        try:
            return self._items[key]
        except KeyError:
            close = difflib.get_close_matches(key, list(self._items), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(f"unknown {self.kind} {name!r}{hint} known: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
