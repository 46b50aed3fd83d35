"""From a :class:`~pregel_viz.model.Run` to what a person looks at.

* :mod:`.payload`: the viewer's document, the one contract with the TypeScript viewer
  (``labextension/``); :mod:`.dot` the graph's DOT inside it.
* :mod:`.compare_view`: the document of two runs side by side, its widget and page.
* :mod:`.html`: self-contained pages; :mod:`.assets`: the built viewer's files and MIME types.
* :mod:`.widget` and :mod:`.live_widget`: the notebook widgets (anywidget).

Views read runs; they never drive a graph (the recorder does, and :mod:`pregel_viz.notebook`
joins the two).
"""
