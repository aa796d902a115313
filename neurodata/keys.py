"""Cache keys of user code: a digest of everything a custom function's result can depend on.

A frame cache built with a custom integration function is keyed by `function_key`: the function's byte code
and constants (nested functions and lambdas included), its default and keyword-default values, the values
its closure holds, the module it comes from, and the functions and data it reads from its module's globals,
followed recursively. Library code (the standard library, installed packages, neurodata itself) is keyed by
its qualified name and the package version. So editing a function's body, changing a captured value or a
default, or passing another lambda gives another key; renaming a local variable or moving the function in
its file does too, which only costs a rebuild.

A value that cannot be keyed (an open file, a model, any object without a plain-data form) is refused with
`CacheError` rather than guessed: the caller then gives an explicit ``cache_key`` string.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import sysconfig
import types
from pathlib import Path
from typing import Any

import numpy as np

from neurodata.errors import CacheError

_MAX_DEPTH = 24
_OWN_PACKAGES = {"neurodata", "snnmodels"}


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)}
    return tuple(str(Path(r).resolve()) for r in roots if r)


_LIBRARY_ROOTS = _library_roots()


def _is_library(module: str | None, filename: str | None = None) -> bool:
    root = (module or "").split(".")[0]
    if root in _OWN_PACKAGES or root in sys.builtin_module_names or root in getattr(sys, "stdlib_module_names", ()):
        return True
    if filename:
        try:
            resolved = str(Path(filename).resolve())
        except (OSError, ValueError):
            return False
        return resolved.startswith(_LIBRARY_ROOTS)
    mod = sys.modules.get(module or "")
    file = getattr(mod, "__file__", None)
    return bool(file) and str(Path(file).resolve()).startswith(_LIBRARY_ROOTS)


def _version(module: str | None) -> str:
    root = sys.modules.get((module or "").split(".")[0])
    return str(getattr(root, "__version__", ""))


class _Keyer:
    def __init__(self, what: str) -> None:
        self.what = what
        self.h = hashlib.sha256()
        self.active: set[int] = set()

    def put(self, tag: str, data: bytes = b"") -> None:
        self.h.update(tag.encode() + b"\0" + len(data).to_bytes(8, "little") + data)

    def refuse(self, path: str, obj: Any) -> CacheError:
        return CacheError(
            f"{self.what}: cannot key {path} (a {type(obj).__module__}.{type(obj).__qualname__}), so a cache built "
            "with it could be reused after it changes; pass cache_key='...', a string you change whenever the "
            "function's result changes"
        )

    def value(self, obj: Any, path: str, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise self.refuse(path + " (nested too deep)", obj)
        if obj is None or isinstance(obj, bool | int | float | complex | str | bytes):
            self.put(f"{type(obj).__name__}", repr(obj).encode())
            return
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise self.refuse(path, obj)
            self.put(f"ndarray {obj.dtype.str} {obj.shape}", np.ascontiguousarray(obj).tobytes())
            return
        if isinstance(obj, np.generic | np.dtype):
            self.put(f"numpy {type(obj).__name__}", repr(obj).encode())
            return
        if type(obj).__module__.split(".")[0] == "torch" and type(obj).__name__ in ("Tensor", "Parameter"):
            arr = obj.detach().cpu().numpy()
            self.put(f"tensor {obj.dtype}", b"")
            self.value(arr, path, depth + 1)
            return
        if id(obj) in self.active:  # a cycle: the first visit keys it
            self.put("cycle", path.encode())
            return
        self.active.add(id(obj))
        try:
            self._compound(obj, path, depth)
        finally:
            self.active.discard(id(obj))

    def _compound(self, obj: Any, path: str, depth: int) -> None:
        if isinstance(obj, tuple | list):
            self.put(f"{type(obj).__name__} {len(obj)}")
            for k, v in enumerate(obj):
                self.value(v, f"{path}[{k}]", depth + 1)
        elif isinstance(obj, dict):
            self.put(f"dict {len(obj)}")
            for k, v in sorted(obj.items(), key=lambda kv: repr(kv[0])):
                self.value(k, f"{path} key", depth + 1)
                self.value(v, f"{path}[{k!r}]", depth + 1)
        elif isinstance(obj, set | frozenset):
            self.put(f"set {len(obj)}", repr(sorted(repr(v) for v in obj)).encode())
        elif isinstance(obj, types.ModuleType):
            self.put("module", f"{obj.__name__} {_version(obj.__name__)}".encode())
        elif isinstance(obj, functools.partial):
            self.put("partial")
            self.value(obj.func, f"{path}.func", depth + 1)
            self.value(obj.args, f"{path}.args", depth + 1)
            self.value(obj.keywords, f"{path}.keywords", depth + 1)
        elif isinstance(obj, types.FunctionType):
            self.function(obj, path, depth)
        elif isinstance(obj, types.MethodType):
            self.put("method")
            self.value(obj.__func__, f"{path}.__func__", depth + 1)
            self.value(obj.__self__, f"{path}.__self__", depth + 1)
        elif isinstance(obj, types.BuiltinFunctionType | np.ufunc) or (
            callable(obj) and not isinstance(obj, type) and _is_library(getattr(obj, "__module__", None))
            and hasattr(obj, "__qualname__")
        ):
            module = getattr(obj, "__module__", None) or type(obj).__module__
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
            self.put("library callable", f"{module}.{name} {_version(module)}".encode())
        elif isinstance(obj, type):
            self.cls(obj, path, depth)
        elif hasattr(obj, "__dict__") and (
            not _is_library(type(obj).__module__) or type(obj).__module__.split(".")[0] in _OWN_PACKAGES
        ):
            # an instance of a user class (a callable object, a dataclass of parameters) or one of our own
            # wrappers around user code: its class and its fields
            self.put("instance")
            self.cls(type(obj), f"type({path})", depth + 1)
            self.value(vars(obj), f"{path}.__dict__", depth + 1)
        else:
            raise self.refuse(path, obj)

    def cls(self, c: type, path: str, depth: int) -> None:
        self.put("class", f"{c.__module__}.{c.__qualname__}".encode())
        if _is_library(c.__module__):
            self.put("library class", _version(c.__module__).encode())
            return
        for name, member in sorted(vars(c).items()):
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if isinstance(member, types.FunctionType):
                self.put("member", name.encode())
                self.function(member, f"{path}.{name}", depth + 1)

    def function(self, fn: types.FunctionType, path: str, depth: int) -> None:
        code = fn.__code__
        if _is_library(fn.__module__, code.co_filename):
            self.put("library function", f"{fn.__module__}.{fn.__qualname__} {_version(fn.__module__)}".encode())
            return
        self.put("function", f"{fn.__module__}.{fn.__qualname__}".encode())
        names = self.code(code, path, depth)
        self.value(fn.__defaults__, f"{path} defaults", depth + 1)
        self.value(fn.__kwdefaults__, f"{path} keyword defaults", depth + 1)
        for var, cell in zip(code.co_freevars, fn.__closure__ or (), strict=True):
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell: a name assigned later in the enclosing function
                self.put("empty cell", var.encode())
                continue
            self.value(contents, f"{path} closure value {var!r}", depth + 1)
        g = fn.__globals__
        for name in sorted(names):
            if name in g:
                self.put("global", name.encode())
                self.value(g[name], f"{path} global {name!r}", depth + 1)

    def code(self, code: types.CodeType, path: str, depth: int) -> set[str]:
        """Key a code object (nested ones too); return the global names it and its nested code use."""
        self.put(
            "code",
            code.co_code + repr((code.co_argcount, code.co_kwonlyargcount, code.co_flags, code.co_names,
                                 code.co_varnames, code.co_freevars, code.co_cellvars)).encode(),
        )
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names |= self.code(const, path, depth + 1)
            else:
                self.value(const, f"{path} constant", depth + 1)
        return names


def function_key(fn: Any, what: str = "custom_integrate_function") -> str:
    """A 16-hex-digit digest of everything `fn`'s results can depend on (see the module docstring).

    Raises `CacheError` naming the value that cannot be keyed, and what to pass instead (`what` names the
    argument in the message).
    """
    if not callable(fn):
        raise CacheError(f"{what} must be callable, got {type(fn).__name__}")
    k = _Keyer(what)
    k.value(fn, getattr(fn, "__qualname__", what))
    return k.h.hexdigest()[:16]
