"""The app lesson 12 serves with ``langgraph dev``: the support-ticket graph of ``graphs_12``.

``pregel_viz.instrument`` records every run the server makes on it, one ``.pregel`` log per
thread in ``PREGEL_VIZ_DIR``; when that variable is unset it returns the graph unchanged, so
the same ``langgraph.json`` serves it with and without recording. The server passes its own
checkpointer, so the graph is compiled without one.
"""

from graphs_12 import build_graph

import pregel_viz

graph = pregel_viz.instrument(build_graph())
