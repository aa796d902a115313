"""``snntorch.functional.probe`` (snnTorch 1.0): hook-based monitors, the classes of `snnmodels.monitor`.

``monitor = probe.OutputMonitor(net, instance=snn.Leaky)``; ``monitor.records``, ``monitor['lif1']``.
"""

from snnmodels.monitor import (
    AttributeMonitor,
    BaseMonitor,
    GradInputMonitor,
    GradOutputMonitor,
    InputMonitor,
    OutputMonitor,
)

__all__ = ["AttributeMonitor", "BaseMonitor", "GradInputMonitor", "GradOutputMonitor", "InputMonitor", "OutputMonitor"]
