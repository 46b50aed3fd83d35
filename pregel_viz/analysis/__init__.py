"""Pure functions of a :class:`~pregel_viz.model.Run`: data or text, nothing drawn.

* :mod:`.compare`: align two runs (or two branches of a thread) and name the first divergence.
* :mod:`.narrate`: plain sentences for each superstep, from the model alone.
* :mod:`.export`: the JSON document and the text summary.

Nothing here imports LangGraph, the notebook stack or the views built on it.
"""
