"""SpikingJelly's ``monitor``: record inputs, outputs, attributes or gradients of chosen layers through hooks.

These are `snnmodels.monitor`'s monitors (same constructor arguments, ``records``, ``monitored_layers``,
``mon[i]`` / ``mon['name']``, enable/disable, ``clear_recorded_data``, ``remove_hooks``, context manager) with
SpikingJelly's ``close()`` (disable and remove the hooks). SpikingJelly's ``GPUMonitor`` (an ``nvidia-smi``
polling thread) is not offered.
"""

from __future__ import annotations

from snnmodels import monitor as core

__all__ = ["AttributeMonitor", "BaseMonitor", "GradInputMonitor", "GradOutputMonitor", "InputMonitor", "OutputMonitor"]


class BaseMonitor(core.BaseMonitor):
    """`snnmodels.monitor.BaseMonitor` with ``close()``."""

    def close(self) -> None:
        """Stop recording and remove every hook."""
        self.disable()
        self.remove_hooks()


class OutputMonitor(core.OutputMonitor, BaseMonitor):
    """Records ``function_on_output(output)`` of every module of type ``instance`` inside ``net``."""


class InputMonitor(core.InputMonitor, BaseMonitor):
    """Records ``function_on_input(input)`` of every module of type ``instance`` inside ``net``."""


class AttributeMonitor(core.AttributeMonitor, BaseMonitor):
    """Records ``function_on_attribute(module.<attribute_name>)`` before or after each forward."""


class GradInputMonitor(core.GradInputMonitor, BaseMonitor):
    """Records ``function_on_grad_input(dL/d input)`` during backward."""


class GradOutputMonitor(core.GradOutputMonitor, BaseMonitor):
    """Records ``function_on_grad_output(dL/d output)`` during backward."""
