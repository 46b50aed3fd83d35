"""A difference in words shows where the values differ: a long value is not cut at the same
place on both sides (narration of update_state and of a changed value, comparison of a fork
with its parent and of two runs), and add_messages is told as it applied its writes, by id."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

import pregel_viz
from pregel_viz.analysis.compare import compare, compare_fork
from pregel_viz.model import Run

TEN = [f"step_{i:02d}" for i in range(10)]


class Results(TypedDict, total=False):
    results: list[str]
    text: str
    edit: int


def _results_graph(checkpointer: Any = None) -> Any:
    """work writes ten results (one edited when the input says so); check rewrites one."""

    def work(state: Results) -> dict[str, Any]:
        out = list(TEN)
        if "edit" in state:
            out[state["edit"]] = "edited"
        return {"results": out}

    def check(state: Results) -> dict[str, Any]:
        out = list(state["results"])
        if len(out) > 7:
            out[7] = "checked"
        return {"results": out}

    g = StateGraph(Results)
    g.add_node("work", work)
    g.add_node("check", check)
    g.add_edge(START, "work")
    g.add_edge("work", "check")
    g.add_edge("check", END)
    return g.compile(checkpointer=checkpointer)


def _forked(update: Any) -> Run:
    """A run, then a fork from its step 1 with update_state(work's results edited)."""
    graph = _results_graph(InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    with pregel_viz.recording(graph) as rec:
        graph.invoke({}, cfg)
        past = next(s for s in graph.get_state_history(cfg) if s.metadata["step"] == 1)
        new = update(list(past.values["results"]))
        graph.invoke(None, graph.update_state(past.config, {"results": new}, as_node="work"))
    return rec.run


def _edit_item_5(results: list[str]) -> list[str]:
    results[5] = "edited"
    return results


def _story(run: Run) -> str:
    return str(pregel_viz.narrate(run))


# --------------------------------------------------------------------------- long values


def test_a_fork_compared_with_its_parent_shows_the_item_that_differs() -> None:
    run = _forked(_edit_item_5)
    text = compare_fork(run).text()
    # before: "results is ['step_00', … 'st… in parent but ['step_00', … 'ed… in fork"
    assert "results[5] is 'step_05' in parent but 'edited' in fork" in text, text
    assert "'st… in parent" not in text


def test_an_update_step_is_told_with_the_item_it_changed() -> None:
    story = _story(_forked(_edit_item_5))
    assert (
        "update_state changed the state on the checkpoint of step 1: results[5] from 'step_05' "
        "to 'edited'." in story
    ), story


def test_items_appended_by_a_fork_are_shown_as_the_tail_that_differs() -> None:
    run = _forked(lambda results: [*results, "step_10", "step_11"])
    text = compare_fork(run).text()
    assert "results[10:] is [] in parent but ['step_10', 'step_11'] in fork" in text, text
    assert "results[10:] from [] to ['step_10', 'step_11']" in _story(run)


def test_a_long_text_is_shown_from_where_the_two_differ() -> None:
    head = "The quarterly report says revenue grew in every region and "

    def write(state: Results) -> dict[str, Any]:
        return {"text": head + ("costs fell." if state.get("edit") else "costs rose.")}

    g = StateGraph(Results)
    g.add_node("write", write)
    g.add_edge(START, "write")
    g.add_edge("write", END)
    graph = g.compile()
    a, b = pregel_viz.record(graph, {}), pregel_viz.record(graph, {"edit": 1})
    text = compare(a, b).text()
    assert "text is '…n and costs rose.' in A but '…n and costs fell.' in B" in text, text


def test_two_runs_whose_writes_differ_in_one_item_show_that_item() -> None:
    graph = _results_graph()
    a, b = pregel_viz.record(graph, {}), pregel_viz.record(graph, {"edit": 5})
    text = compare(a, b).text()
    assert "work wrote differently: wrote results[5]: A 'step_05', B 'edited'." in text, text
    assert "results[5] is 'step_05' in A but 'edited' in B" in text, text


def test_a_last_value_replaced_is_told_with_the_item_that_changed() -> None:
    run = pregel_viz.record(_results_graph(), {})
    said = pregel_viz.narrate(run, step=2).sentences(2)
    assert (
        "results is a LastValue: check's value replaced the old one (results[7]: 'step_07' → "
        "'checked')." in said
    ), said


def test_short_values_read_whole_as_before() -> None:
    run = _forked(lambda results: ["short"])
    text = compare_fork(run).text()
    assert "results from ['step_00', 'step_01', " in _story(run)
    assert "in parent but ['short'] in fork" in text, text


# --------------------------------------------------------------------------- add_messages


def _messages_run() -> Run:
    def bot(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("echo", id="ai-1"), AIMessage("extra", id="ai-2")]}

    def editor(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("echo (edited)", id="ai-1")]}

    def pruner(state: MessagesState) -> dict[str, Any]:
        return {"messages": [RemoveMessage(id="ai-2")]}

    def mixed(state: MessagesState) -> dict[str, Any]:
        return {
            "messages": [
                RemoveMessage(id="h-1"),
                AIMessage("new", id="ai-3"),
                AIMessage("echo again", id="ai-1"),
            ]
        }

    g = StateGraph(MessagesState)
    order = [("bot", bot), ("editor", editor), ("pruner", pruner), ("mixed", mixed)]
    previous = START
    for name, node in order:
        g.add_node(name, node)
        g.add_edge(previous, name)
        previous = name
    g.add_edge(previous, END)
    return pregel_viz.record(g.compile(), {"messages": [HumanMessage("hi", id="h-1")]})


def _messages_sentence(run: Run, step: int) -> str:
    (told,) = [
        s for s in pregel_viz.narrate(run, step=step).sentences(step) if s.startswith("messages:")
    ]
    return told


def test_add_messages_is_told_as_it_appended_replaced_and_removed_by_id() -> None:
    run = _messages_run()
    assert _messages_sentence(run, 1) == (
        "messages: the reducer add_messages appended 2 messages from bot (1 write); it now "
        "holds 3 messages."
    )
    # before: "combined 1 write from editor with the old value; it now holds 3 items."
    assert _messages_sentence(run, 2) == (
        "messages: the reducer add_messages replaced 1 message (id 'ai-1') from editor "
        "(1 write); it now holds 3 messages."
    )
    assert _messages_sentence(run, 3) == (
        "messages: the reducer add_messages removed 1 message (id 'ai-2') from pruner "
        "(1 write); it now holds 2 messages."
    )
    assert _messages_sentence(run, 4) == (
        "messages: the reducer add_messages replaced 1 message (id 'ai-1'), removed 1 message "
        "(id 'h-1') and appended 1 message from mixed (1 write); it now holds 2 messages."
    )
