"""SpikingJelly ``layer`` names that live beside the toolbox (synapses, recurrent containers), re-exported by ``layer``."""

__all__: list[str] = []
