"""The page layer: one module per page of the pack, each with ``Params`` and ``build(extract, params)
-> Page``. Every published sentence, table and verdict is made here (from the engine's numbers, through
:mod:`yot.disclosure`), unit-tested without a notebook; notebooks only call, draw and display."""
