"""``spikingjelly.activation_based`` under its own names: ``from snnmodels.compat.spikingjelly import neuron``.

Modules: `base`, `neuron`, `surrogate`, `functional`, `layer`, `monitor`, `model`; the rest of SpikingJelly's
toolbox (``ann2snn``, ``encoding``, ``learning``, ``rnn``, ``visualizing``) as far as we offer it. Semantics are
SpikingJelly 2.0's (single-step by default, state reset to ``v_reset``...), computed by our own functions; the
differences are listed in ``docs/compat.md``.
"""
