"""SpikingJelly ``layer`` names beside the toolbox (synapses, recurrent containers); ``layer`` re-exports them."""

__all__: list[str] = []
