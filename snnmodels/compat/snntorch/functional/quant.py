"""``snntorch.functional.quant`` (snnTorch 1.0): ``state_quant`` for quantization-aware neuron states.

``q = quant.state_quant(num_bits=4, uniform=True, threshold=thr); lif = snn.Leaky(beta, threshold=thr,
state_quant=q)``. The quantizer is a picklable `snnmodels.functional.StateQuant`.
"""

from snnmodels.functional.quant import StateQuant, state_quant

__all__ = ["StateQuant", "state_quant"]
