"""What written mathematics means, and whether a student's working follows.

A layout tree (:mod:`mathocr.layout`) becomes a value, an equation's
solutions or a chain's truth, computed exactly node by node: nothing is ever
passed to ``eval`` or a computer-algebra parser. The modules, from one line
to a page:

- :mod:`.syntax`: a layout tree → abstract syntax tree, by recursive descent;
- :mod:`.expression`: one line's placed symbols → LaTeX, text and meaning
  (:func:`~.expression.interpret`, which runs the layout first);
- :mod:`.exact`: exact rationals and square-root surds, with their n-th roots
  (:mod:`.exact_roots`) and their text (:mod:`.exact_text`);
- :mod:`.polynomial`: rational functions of x and their roots, exact ones by
  factoring (:mod:`.roots`); :mod:`.numeric_solve` and :mod:`.numeric` solve
  by numbers what the exact algebra cannot (x in an exponent or under a root);
- :mod:`.compare`: exact comparisons, with the rounding a written decimal
  allows; :mod:`.intervals`: solution sets as unions of intervals;
  :mod:`.relations`: comparisons and chains;
- :mod:`.claims`: what one line of working asserts; :mod:`.steps`: whether
  each line follows from the one before; :mod:`.page`: a page read line by
  line (:func:`~.page.read_page`, what the recognizer calls).
"""
