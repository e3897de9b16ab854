"""The learned symbol detector: where every symbol is and what it is.

The stages, in order: :mod:`.prepare` (the image as the detector sees it,
scaled by the typical symbol height that :mod:`.marks` measures),
:mod:`.model` (the ONNX session and its card), :mod:`.decode` (peaks to
boxes), :mod:`.relabel` (a second reading of each symbol by the symbol
classifier, :mod:`mathocr.classifier`, and the neighbour model,
:mod:`mathocr.neighbours`) and :mod:`.recognizer` (all of them, then layout
and meaning). :mod:`.classes` lists what it finds. No torch here: training
lives in :mod:`mathocr.training.detector`.
"""
