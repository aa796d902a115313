"""SpikingJelly's ``model``: ``parametric_lif_net``, ``sew_resnet``, ``spiking_resnet``, ``spiking_vgg``, each a thin
constructor over our zoo (`snnmodels.models`) with SpikingJelly's keywords and single-step default."""

from snnmodels.compat.spikingjelly.model import parametric_lif_net, sew_resnet, spiking_resnet, spiking_vgg

__all__ = ["parametric_lif_net", "sew_resnet", "spiking_resnet", "spiking_vgg"]
