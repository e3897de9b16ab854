"""Where the symbols stand: a page → lines → a layout tree per line, labels the grammar allows.

Geometry and labels only, no meaning: which symbols form a line, which are a
fraction's numerator, a root's radicand or an exponent, and which reading of
an ambiguous mark makes a well-formed row. The modules, in the order a page
goes through them:

- :mod:`.lines`: a page of placed symbols → lines in reading order, from
  geometry alone; :mod:`.lines_structures` joins a line's pieces across bars
  and dots, :mod:`.lines_scripts` its small raised or lowered pieces;
- :mod:`.tree`: the layout tree's nodes (rows, fractions, roots,
  superscripts, subscripts);
- :mod:`.build`: one line's symbols → its layout tree, with
  :mod:`.root_degree` (a root's index in its crook), :mod:`.row_scripts`
  (superscripts and subscripts in a row) and :mod:`.slant` (the baseline's
  slope);
- :mod:`.context`: the grammar's decoder over each row of the tree, weighing
  how often one token follows another (:mod:`.grammar_prior`);
- :mod:`.reading`: layout and labels settled together
  (:func:`~.reading.read_symbols`, this stage's result);
- :mod:`.notation`: a tree → LaTeX and plain text, as written.

Before it, :mod:`mathocr.detect` finds and labels the symbols; after it,
:mod:`mathocr.meaning` reads what the tree says.
"""
