"""Sub-commands of the ``mathocr`` CLI, one module each."""
