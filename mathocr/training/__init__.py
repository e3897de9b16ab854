"""Building symbol datasets, training the models, and shipping them with their cards.

The symbol classifier: :mod:`.augment` (distortions of pen strokes),
:mod:`.build` (symbols drawn from CROHME strokes, and MNIST digits, through
the live normalization) and :mod:`.cut` (symbols cut out of whole images
where the detector finds them) make a :mod:`.dataset`; :mod:`.model` is the
CNN, :mod:`.trainer` the loop, :mod:`.export` the ONNX file,
:mod:`.metrics` the scores, :mod:`.card` the model card, and :mod:`.run`
all of them for ``mathocr train``; :mod:`.baselines` are what the CNN must
beat. The neighbour model: :mod:`.sequences` (its data) and
:mod:`.neighbour_model`. The detector: :mod:`.detector`.

Only :mod:`.model`, :mod:`.trainer`, :mod:`.export` and :mod:`.neighbour_model`
import torch (and, in :mod:`.detector`, the network and its training); the
dataset builder and the metrics are plain numpy so that ``mathocr dataset``
and ``mathocr evaluate-symbols`` work in the serving install.
"""
