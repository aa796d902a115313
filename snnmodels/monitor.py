"""Monitors: record inputs, outputs, attributes or gradients of chosen layers through hooks.

The API follows SpikingJelly's ``activation_based.monitor`` (and snnTorch's ``functional.probe``)::

    mon = OutputMonitor(net, IFNode)            # every IFNode inside net (all modules of type(net) if None)
    net(x_seq)
    mon.records                                 # list, in call order
    mon[0], mon["1"]                            # by position, or all records of the layer named "1"
    mon.monitored_layers                        # names, in net.named_modules() order
    mon.disable(); mon.enable(); mon.clear_recorded_data(); mon.remove_hooks()

A monitor is also a context manager that removes its hooks on exit. Records are kept as produced (not detached
or copied); pass e.g. ``function_on_output=torch.Tensor.detach`` to change that.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from torch import nn
from torch.utils.hooks import RemovableHandle

__all__ = ["AttributeMonitor", "BaseMonitor", "GradInputMonitor", "GradOutputMonitor", "InputMonitor", "OutputMonitor"]


def identity(x: Any) -> Any:
    """The default ``function_on_*``: record the value itself."""
    return x


def _unpack(x: Any) -> Any:
    return x[0] if isinstance(x, tuple) and len(x) == 1 else x


class BaseMonitor:
    """Shared bookkeeping: records, per-layer indices, enable/disable and hook removal."""

    def __init__(self) -> None:
        self.hooks: list[RemovableHandle] = []
        self.monitored_layers: list[str] = []
        self.records: list[Any] = []
        self.name_records_index: dict[str, list[int]] = {}
        self._enabled = True

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            return self.records[key]
        if isinstance(key, str):
            try:
                return [self.records[i] for i in self.name_records_index[key]]
            except KeyError:
                raise KeyError(f"layer {key!r} is not monitored; monitored: {self.monitored_layers}") from None
        raise TypeError(f"index a monitor by position (int) or layer name (str), got {key!r}")

    def _select(self, net: nn.Module, instance: type | tuple[type, ...] | None) -> list[tuple[str, nn.Module]]:
        kind = type(net) if instance is None else instance
        modules = [(name, m) for name, m in net.named_modules() if isinstance(m, kind)]
        for name, _ in modules:
            self.monitored_layers.append(name)
            self.name_records_index[name] = []
        return modules

    def _record(self, name: str, value: Any) -> None:
        self.name_records_index[name].append(len(self.records))
        self.records.append(value)

    def clear_recorded_data(self) -> None:
        """Drop all records (the hooks stay)."""
        self.records.clear()
        for indices in self.name_records_index.values():
            indices.clear()

    def enable(self) -> None:
        """Record again after `disable`."""
        self._enabled = True

    def disable(self) -> None:
        """Pause recording; the hooks stay installed."""
        self._enabled = False

    def is_enable(self) -> bool:
        """Whether the monitor records."""
        return self._enabled

    def remove_hooks(self) -> None:
        """Remove every hook from the network. Do this explicitly: ``del`` does not promise to run ``__del__``."""
        for hook in self.hooks:
            hook.remove()
        self.hooks.clear()

    def __enter__(self) -> BaseMonitor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove_hooks()

    def __del__(self) -> None:
        self.remove_hooks()


class OutputMonitor(BaseMonitor):
    """Records ``function_on_output(output)`` of each selected module after its forward."""

    def __init__(
        self,
        net: nn.Module,
        instance: type | tuple[type, ...] | None = None,
        function_on_output: Callable[[Any], Any] = identity,
    ) -> None:
        super().__init__()
        self.function_on_output = function_on_output
        for name, m in self._select(net, instance):
            self.hooks.append(m.register_forward_hook(self._hook(name)))

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            if self._enabled:
                self._record(name, self.function_on_output(_unpack(output)))

        return hook


class InputMonitor(BaseMonitor):
    """Records ``function_on_input(input)`` of each selected module before its forward."""

    def __init__(
        self,
        net: nn.Module,
        instance: type | tuple[type, ...] | None = None,
        function_on_input: Callable[[Any], Any] = identity,
    ) -> None:
        super().__init__()
        self.function_on_input = function_on_input
        for name, m in self._select(net, instance):
            self.hooks.append(m.register_forward_pre_hook(self._hook(name)))

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, inputs: Any) -> None:
            if self._enabled:
                self._record(name, self.function_on_input(_unpack(inputs)))

        return hook


class AttributeMonitor(BaseMonitor):
    """Records ``function_on_attribute(getattr(module, attribute_name))`` before (``pre_forward``) or after each
    forward, e.g. ``AttributeMonitor('v_seq', False, net, LIFNode)`` with ``store_v_seq=True``."""

    def __init__(
        self,
        attribute_name: str,
        pre_forward: bool,
        net: nn.Module,
        instance: type | tuple[type, ...] | None = None,
        function_on_attribute: Callable[[Any], Any] = identity,
    ) -> None:
        super().__init__()
        self.attribute_name = attribute_name
        self.function_on_attribute = function_on_attribute
        for name, m in self._select(net, instance):
            hook = self._hook(name)
            self.hooks.append(m.register_forward_pre_hook(hook) if pre_forward else m.register_forward_hook(hook))

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, *args: Any) -> None:
            if self._enabled:
                self._record(name, self.function_on_attribute(getattr(module, self.attribute_name)))

        return hook


class GradInputMonitor(BaseMonitor):
    """Records ``function_on_grad_input(dL/d input)`` of each selected module during backward."""

    def __init__(
        self,
        net: nn.Module,
        instance: type | tuple[type, ...] | None = None,
        function_on_grad_input: Callable[[Any], Any] = identity,
    ) -> None:
        super().__init__()
        self.function_on_grad_input = function_on_grad_input
        for name, m in self._select(net, instance):
            self.hooks.append(m.register_full_backward_hook(self._hook(name)))

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, grad_input: Any, grad_output: Any) -> None:
            if self._enabled:
                self._record(name, self.function_on_grad_input(_unpack(grad_input)))

        return hook


class GradOutputMonitor(BaseMonitor):
    """Records ``function_on_grad_output(dL/d output)`` of each selected module during backward."""

    def __init__(
        self,
        net: nn.Module,
        instance: type | tuple[type, ...] | None = None,
        function_on_grad_output: Callable[[Any], Any] = identity,
    ) -> None:
        super().__init__()
        self.function_on_grad_output = function_on_grad_output
        for name, m in self._select(net, instance):
            self.hooks.append(m.register_full_backward_hook(self._hook(name)))

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, grad_input: Any, grad_output: Any) -> None:
            if self._enabled:
                self._record(name, self.function_on_grad_output(_unpack(grad_output)))

        return hook
