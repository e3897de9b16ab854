"""CROHME handwriting as data: read, drawn, split by writer, and the readings scored against it.

Not a stage of recognition: what training, the benchmark, ``mathocr
evaluate`` and the tests build on. The modules:

- :mod:`.inkml`: CROHME InkML files → strokes, truth, writer and labelled symbols;
- :mod:`.render`: pen strokes drawn as images, as a canvas or a pen would;
- :mod:`.scenes`: whole-expression images from those strokes, a canvas
  drawing and a phone photo;
- :mod:`.ink_layout`: InkML → placed symbols with perfect boxes, to measure
  the layout without any image in the way;
- :mod:`.splits`: the writer-disjoint dev split carved out of ``train/``;
- :mod:`.canonical`: canonical LaTeX, so that two spellings of one
  expression compare equal;
- :mod:`.evaluation`: scoring whole-expression recognition (expression rate
  by kind, symbol boxes, speed).
"""
