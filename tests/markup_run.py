"""A run whose names, values and error hold what can end or confuse an HTML ``<script>`` element
when its JSON is inlined in a page: ``<!--``, ``-->``, ``</script>``, ``<script>``, U+2028/9.

An LLM answer with an HTML comment in it is enough to hit this (the page used to be blank).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

ANSWER = "<!-- note --> **Hi**"
MARKUP = "</script><script>alert(1)</script> <!--<script> --> \u2028 \u2029 & &amp; </style>"
NODE = "answer <!--"
FAILING_NODE = "review -->"
ERROR = "cannot review <!-- </script> --> \u2028"
KEY = "<!--key--></script>"


State = TypedDict(
    "State",
    {
        "question": str,
        "answer": str,
        "notes": Annotated[list[str], operator.add],
        KEY: str,
    },
    total=False,
)


def build_markup_graph(fail: bool = True) -> Any:
    """``answer <!--`` writes :data:`ANSWER` and the markup; ``review -->`` then raises
    :data:`ERROR` (when ``fail``)."""
    from langgraph.graph import END, START, StateGraph

    def answer(state: State) -> dict[str, Any]:
        return {"answer": ANSWER, "notes": [MARKUP], KEY: MARKUP}

    def review(state: State) -> dict[str, Any]:
        if fail:
            raise ValueError(ERROR)
        return {"notes": ["reviewed"]}

    g = StateGraph(State)
    g.add_node(NODE, answer)
    g.add_node(FAILING_NODE, review)
    g.add_edge(START, NODE)
    g.add_edge(NODE, FAILING_NODE)
    g.add_edge(FAILING_NODE, END)
    return g.compile()


def record_markup_run(fail: bool = True, path: Any = None) -> Any:
    import pregel_viz

    return pregel_viz.record(build_markup_graph(fail), {"question": MARKUP}, path=path)
