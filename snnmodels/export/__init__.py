"""Export snnmodels networks to NIR, ONNX and Lava-dl netx, and import NIR graphs as multi-step modules.

- `to_nir` / `from_nir`: the Neuromorphic Intermediate Representation (neuron contract in `snnmodels.export.to_nir`,
  simulation of every primitive in `snnmodels.export.primitives`);
- `to_onnx`: one time step ``(x, state) -> (y, state)``, checked with onnxruntime (`run_onnx` loops over time);
- `to_netx` / `read_netx`: lava-dl's HDF5 network description for CUBA networks on the 8-bit grid;
- `export_file(model, fmt, out, input_shape)` and the `EXPORTERS` registry: what the CLI calls.

The optional dependencies (nir, onnx, onnxruntime) are imported only when used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from torch import nn

from snnmodels.export.errors import ExportError, import_optional
from snnmodels.export.from_nir import NIRNetwork, from_nir
from snnmodels.export.netx import NetxExport, read_netx, to_netx
from snnmodels.export.onnx import OnnxExport, run_onnx, to_onnx
from snnmodels.export.to_nir import DEFAULT_DT, MODULE_CONVERTERS, avgpool_variant, to_nir
from snnmodels.registry import Registry

__all__ = [
    "DEFAULT_DT",
    "EXPORTERS",
    "MODULE_CONVERTERS",
    "ExportError",
    "NIRNetwork",
    "NetxExport",
    "OnnxExport",
    "avgpool_variant",
    "export_file",
    "from_nir",
    "read_netx",
    "run_onnx",
    "to_netx",
    "to_nir",
    "to_onnx",
    "write_nir",
]

Exporter = Callable[..., Any]
EXPORTERS: Registry[Exporter] = Registry("exporter")


@EXPORTERS.register("nir")
def write_nir(model: nn.Module, path: str | Path, input_shape: Sequence[int], *, dt: float = DEFAULT_DT) -> Path:
    """`to_nir` and ``nir.write`` (gzip HDF5) to ``path``; returns the path."""
    nir = import_optional("nir", "write_nir")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nir.write(str(path), to_nir(model, input_shape, dt=dt))
    return path


EXPORTERS.register("onnx")(to_onnx)
EXPORTERS.register("netx")(to_netx)


def export_file(model: nn.Module, fmt: str, out: str | Path, input_shape: Sequence[int], **options: Any) -> Path:
    """Export ``model`` in format ``fmt`` ('nir', 'onnx' or 'netx', see `EXPORTERS`) to the file ``out``.

    Args:
        model: a multi-step model taking ``[T, N, *input_shape]``.
        fmt: a name registered in `EXPORTERS`.
        out: the file to write (its folder is created).
        input_shape: one sample at one step, e.g. ``(2, 34, 34)``.
        options: passed to the exporter (``dt`` for nir/netx, ``T``/``atol`` for onnx, ``quantize`` for netx).

    Returns:
        the path written.

    Raises:
        KeyError: unknown ``fmt`` (close names are suggested).
        ExportError: the model cannot be exported in that format; the message names the module and why.
    """
    exporter = EXPORTERS.get(fmt)
    result = exporter(model, out, tuple(input_shape), **options)
    return result if isinstance(result, Path) else Path(result.path)
