"""Training the symbol detector (needs the ``[train]`` extra: PyTorch).

:mod:`.scenes` draws training images, :mod:`.compose` (a package, mapped in
its docstring) writes synthetic expressions, :mod:`.data` caches them as shards,
:mod:`.targets` makes the CenterNet targets, :mod:`.net` is the network,
:mod:`.train` the loop with its checkpoints, :mod:`.evaluate` the matching,
:mod:`.export` the ONNX file and card.
"""
