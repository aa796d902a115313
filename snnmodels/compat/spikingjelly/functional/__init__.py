"""SpikingJelly's ``functional``: network helpers (`reset_net`, `set_step_mode`, `set_backend`, `detach_net`),
forward helpers (`multi_step_forward`, `seq_to_ann_forward`...), functional neuron, layer and learning steps,
losses and small helpers, under SpikingJelly's module layout (``functional.net_config``, ``functional.forward``,
``functional.learning``...)."""

from snnmodels.compat.spikingjelly.functional import forward, layer, learning, loss, misc, net_config, neuron
from snnmodels.compat.spikingjelly.functional.forward import *  # noqa: F403
from snnmodels.compat.spikingjelly.functional.layer import *  # noqa: F403
from snnmodels.compat.spikingjelly.functional.learning import *  # noqa: F403
from snnmodels.compat.spikingjelly.functional.loss import *  # noqa: F403
from snnmodels.compat.spikingjelly.functional.misc import *  # noqa: F403
from snnmodels.compat.spikingjelly.functional.net_config import *  # noqa: F403
from snnmodels.compat.spikingjelly.functional.neuron import *  # noqa: F403

__all__ = [
    *forward.__all__,
    *layer.__all__,
    *learning.__all__,
    *loss.__all__,
    *misc.__all__,
    *net_config.__all__,
    *neuron.__all__,
]
