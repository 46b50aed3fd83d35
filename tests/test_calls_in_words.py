"""The calls made inside tasks, in words: narration, comparison and the summary totals, on real
agents (LangChain's fake chat models scripted with tool calls and token usage, real tools,
LangGraph's ToolNode and create_react_agent). No network."""

from __future__ import annotations

import operator
import re
from pathlib import Path
from typing import Annotated, Any, TypedDict

import agents
import pytest
from helpers import run_cli
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Send

import pregel_viz
from pregel_viz.analysis.compare import differing_nodes
from pregel_viz.analysis.usage import call_totals

QUESTION = {"messages": [HumanMessage("weather in Paris? and 2+40")]}
TIME = r"(<0\.01|\d+\.\d\d?|\d+) s"


def said(run: pregel_viz.Run, step: int, **kw: Any) -> list[str]:
    return pregel_viz.narrate(run, step=step, **kw).sentences(step)


def calling(*tool_calls: tuple[str, dict[str, Any]], usage: Any = None) -> AIMessage:
    """An answer that calls tools."""
    calls = [{"name": n, "args": a, "id": f"call_{i}"} for i, (n, a) in enumerate(tool_calls)]
    return AIMessage("", tool_calls=calls, usage_metadata=usage)


def scripted(*messages: BaseMessage, model: str = agents.MODEL) -> agents.ScriptedChat:
    return agents.ScriptedChat(responses=list(messages), model_name=model)


def weather_agent(
    city: str = "Paris", answer: str | None = None, model: str = agents.MODEL, **kw: Any
) -> Any:
    first = calling(("get_weather", {"city": city}), ("add", {"a": 2, "b": 40}))
    final = AIMessage(answer or f"It is sunny in {city}.")
    return agents.tool_agent(scripted(first, final, model=model), **kw)


def record(graph: Any, question: Any = QUESTION) -> pregel_viz.Run:
    return pregel_viz.record(graph, question)


# --------------------------------------------------------------------------- narration


def test_a_tool_agent_is_told_with_its_model_calls_tokens_and_tool_calls() -> None:
    run = record(agents.tool_agent())
    asked = [s for s in said(run, 1) if s.startswith("agent asked")]
    assert len(asked) == 1
    assert re.fullmatch(
        rf"agent asked scripted-model-1 \(57 → 18 tokens, {TIME}\); it called "
        r"get_weather\(city='Paris'\) and add\(a=2, b=40\) in parallel\.",
        asked[0],
    ), asked
    # the tool step: each call with its result (ToolNode made "42" of the int 42)
    assert "tools ran get_weather(city='Paris') → 'sunny in Paris' and add(a=2, b=40) → 42." in (
        said(run, 2)
    )
    final = next(s for s in said(run, 3) if s.startswith("agent asked"))
    assert re.fullmatch(
        rf"agent asked scripted-model-1 \(90 → 12 tokens, {TIME}\); it answered "
        rf"{re.escape(repr(agents.ANSWER))}\.",
        final,
    ), final
    # the calls come before what the task wrote
    step1 = said(run, 1)
    assert step1.index(asked[0]) < next(
        i for i, s in enumerate(step1) if s.startswith("agent wrote")
    )


def test_a_tool_error_that_toolnode_hands_back_is_told_as_such() -> None:
    model = scripted(calling(("divide", {"a": 1, "b": 0})), AIMessage("cannot divide by 0"))
    run = record(agents.tool_agent(model))
    assert run.outcome["status"] == "completed"
    assert (
        "In tools, divide(a=1, b=0) failed with ZeroDivisionError: division by zero "
        "(tools returned the error to the model)." in said(run, 2)
    )
    # next to a call that succeeded
    model = scripted(
        calling(("add", {"a": 1, "b": 0}), ("divide", {"a": 1, "b": 0})), AIMessage("no")
    )
    run = record(agents.tool_agent(model))
    assert (
        "tools ran add(a=1, b=0) → 1; divide(a=1, b=0) failed with ZeroDivisionError: division "
        "by zero (tools returned the error to the model)." in said(run, 2)
    )


def test_a_tool_error_that_fails_the_task_is_not_said_to_reach_the_model() -> None:
    model = scripted(calling(("divide", {"a": 1, "b": 0})), AIMessage("never asked"))
    run = record(agents.tool_agent(model, handle_tool_errors=False))
    sentences = said(run, 2)
    assert "In tools, divide(a=1, b=0) failed with ZeroDivisionError: division by zero." in (
        sentences
    )
    assert "tools failed with ZeroDivisionError: division by zero." in sentences
    assert not [s for s in sentences if "returned the error" in s]


def test_many_tool_calls_are_summarised() -> None:
    cities = ["Paris", "Lyon", "Nice", "Lille"]
    first = calling(
        *[("get_weather", {"city": c}) for c in cities],
        ("add", {"a": 1, "b": 2}),
        ("add", {"a": 3, "b": 4}),
    )
    run = record(agents.tool_agent(scripted(first, AIMessage("done"))))
    asked = next(s for s in said(run, 1) if s.startswith("agent asked"))
    assert asked.endswith("; it called 6 tools: get_weather 4 times and add twice in parallel.")
    assert "tools made 6 calls: ran get_weather 4 times and add twice." in said(run, 2)


def test_a_model_without_a_model_name_is_named_by_its_class() -> None:
    class Unnamed(FakeMessagesListChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Unnamed:
            return self

    run = record(agents.tool_agent(Unnamed(responses=[AIMessage("hello")])))
    (span,) = [c for t in run.get_thread().root.supersteps[2].tasks for c in t.calls]
    assert span.model is None
    assert any(s.startswith("agent asked Unnamed (") for s in said(run, 1))


def test_streamed_answers_chains_and_react_sends_are_told() -> None:
    run = record(agents.streaming_graph())
    told = next(s for s in said(run, 1) if s.startswith("agent asked"))
    assert re.fullmatch(
        rf"agent asked streaming-model \({TIME}, streamed in \d+ chunks\); it answered "
        r"'one two three four'\.",
        told,
    ), told
    # prompt | model: the chain leads to the call and is not told itself
    run = record(agents.prompt_chain_graph(), {"question": "capital of France?"})
    sentences = said(run, 1)
    assert not [s for s in sentences if "RunnableSequence" in s]
    (asked,) = [s for s in sentences if " asked " in s]
    assert re.fullmatch(
        rf"answer asked scripted-model-1 \(11 → 1 tokens, {TIME}\); it answered 'Paris'\.", asked
    ), asked
    # create_react_agent sends one task per tool call: the Send says which
    run = record(agents.react_agent())
    assert (
        "2 tools tasks ran in parallel, one per Send from agent (with get_weather(city='Paris') "
        "and add(a=2, b=40))." in said(run, 2)
    )
    assert "tools ran get_weather(city='Paris') → 'sunny in Paris'." in said(run, 2)


class Fan(TypedDict, total=False):
    cities: list[str]
    reports: Annotated[list[str], operator.add]


def test_many_tasks_of_one_node_tell_their_calls_together() -> None:
    usage = {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}
    model = scripted(*[AIMessage("ok", usage_metadata=usage) for _ in range(5)])  # type: ignore[arg-type]

    def report(arg: Any) -> dict[str, Any]:
        return {"reports": [str(model.invoke(arg["city"]).content)]}

    g: Any = StateGraph(Fan)
    g.add_node("report", report)
    g.add_conditional_edges(
        START, lambda s: [Send("report", {"city": c}) for c in s["cities"]], ["report"]
    )
    run = record(g.compile(), {"cities": ["Paris", "Lyon", "Nice", "Lille", "Brest"]})
    (told,) = [s for s in said(run, 1) if " made " in s]
    assert re.fullmatch(
        rf"The 5 report tasks made 5 calls: asked scripted-model-1 5 times \(50 → 10 tokens, "
        rf"{TIME} in all\)\.",
        told,
    ), told


def test_an_agent_in_a_subgraph_is_told_in_its_subgraph_run() -> None:
    run = record(agents.agent_in_subgraph())
    inner = pregel_viz.narrate(run, ns="assistant")
    assert any(
        s.startswith("agent asked scripted-model-1 (57 → 18 tokens") for s in inner.sentences(1)
    )
    outer = said(run, 1)
    assert not any(s.startswith("assistant asked") for s in outer)  # it made no call itself
    # ...but the sentence about its subgraph run says what was asked and run inside it
    assert (
        "assistant ran a subgraph with its own 4 supersteps: agent and tools; inside it, agent "
        "asked scripted-model-1 twice (147 → 30 tokens) and tools ran get_weather(city='Paris') "
        "and add(a=2, b=40)." in outer
    ), outer


def test_a_failed_tool_inside_a_subgraph_is_counted_in_the_parents_sentence() -> None:
    agent = agents.tool_agent(
        scripted(calling(("divide", {"a": 1, "b": 0})), AIMessage("cannot divide")),
        tools=[agents.divide],
    )
    parent = StateGraph(MessagesState)
    parent.add_node("assistant", agent)
    parent.add_edge(START, "assistant")
    parent.add_edge("assistant", END)
    run = record(parent.compile())
    (told,) = [s for s in said(run, 1) if s.startswith("assistant ran a subgraph")]
    assert told.endswith(
        "; inside it, agent asked scripted-model-1 twice and tools ran divide(a=1, b=0) (1 failed)."
    ), told


def test_the_cli_narrates_the_calls(tmp_path: Path) -> None:
    log = tmp_path / "agent.pregel"
    pregel_viz.record(agents.tool_agent(), QUESTION, path=log)
    out = run_cli("narrate", str(log), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "it called get_weather(city='Paris') and add(a=2, b=40) in parallel." in out.stdout
    assert "tools ran get_weather(city='Paris') → 'sunny in Paris' and add(a=2, b=40) → 42." in (
        out.stdout
    )


# --------------------------------------------------------------------------- comparison


def test_other_tool_calls_are_a_calls_difference_ranked_with_the_writes() -> None:
    a, b = record(weather_agent("Paris")), record(weather_agent("Lyon"))
    result = pregel_viz.compare(a, b)
    assert not result.identical
    first = result.first
    assert first is not None
    assert (first.step, first.kind, first.rank) == (1, "calls", "writes")
    assert first.details == (
        "agent's model called get_weather(city='Paris') in A but get_weather(city='Lyon') in B."
    )
    by_step = {r.step: r for r in result.rows}
    assert [(d.kind, d.rank) for d in by_step[1].differences] == [
        ("calls", "writes"),
        ("values", "values"),
    ]
    (tools,) = [d for d in by_step[2].differences if d.kind == "calls"]
    assert tools.details == (
        "tools called get_weather(city='Paris') in A but get_weather(city='Lyon') in B."
    )
    # the messages written are told as the calls, not again as writes of empty AIMessages
    assert not [d for d in result.differences if d.kind == "writes"]
    # the final answer differs in its text only: like a value
    (answer,) = [d for d in by_step[3].differences if d.kind == "calls"]
    assert answer.rank == "values" and by_step[3].kind == "values"
    assert answer.details == (
        "agent's model answered differently: 'It is sunny in Paris.' in A but "
        "'It is sunny in Lyon.' in B."
    )
    assert result.counts() == {"tasks": 0, "writes": 2, "values": 1}
    text = result.text()
    assert "step 1 (calls): agent's model called get_weather(city='Paris') in A" in text
    # the messages read the same (an AIMessage reads as its content): say where they differ
    assert (
        "step 1 (values): after the step, messages[1].tool_calls[0]['args'] is "
        "{'city': 'Paris'} in A but {'city': 'Lyon'} in B." in text
    )
    assert "on both sides" not in text
    assert result.to_dict()["first"]["kind"] == "calls"


def test_react_agent_sends_that_carry_other_tool_calls_are_told_as_the_calls() -> None:
    """create_react_agent sends each tool call to its own tools task: the Sends carry the tool
    call and the state's messages, so they differ exactly as the model's calls do."""
    import warnings

    from langgraph.prebuilt import create_react_agent

    def react(city: str) -> Any:
        first = calling(("get_weather", {"city": city}), ("add", {"a": 2, "b": 40}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return create_react_agent(
                scripted(first, AIMessage(f"Sunny in {city}.")), [agents.get_weather, agents.add]
            )

    result = pregel_viz.compare(record(react("Paris")), record(react("Lyon")))
    first = result.first
    assert first is not None and (first.step, first.kind) == (1, "calls")
    assert first.details == (
        "agent's model called get_weather(city='Paris') in A but get_weather(city='Lyon') in B."
    )
    # the Sends and the AIMessage('') they hold are what those calls made: not told again
    assert not [d for d in result.differences if d.kind == "writes"]
    assert "tool_call_with_context" not in result.text()


def test_react_agents_whose_messages_differ_in_tool_calls_only_say_where() -> None:
    """The same create_react_agent asking get_weather for Paris in A and Rome in B: the state's
    messages read alike ([HumanMessage(...), AIMessage('')]), so the values difference names the
    tool call's argument that differs, not the same text twice."""
    import warnings

    from langgraph.prebuilt import create_react_agent

    def react(city: str) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return create_react_agent(
                scripted(calling(("get_weather", {"city": city})), AIMessage("Sunny.")),
                [agents.get_weather],
            )

    result = pregel_viz.compare(record(react("Paris")), record(react("Rome")))
    (values,) = [d for d in result.differences if d.step == 1 and d.kind == "values"]
    assert values.details == (
        "after the step, messages[1].tool_calls[0]['args'] is {'city': 'Paris'} in A but "
        "{'city': 'Rome'} in B."
    )
    assert "on both sides" not in result.text()


def test_an_answer_text_alone_ranks_as_a_value() -> None:
    a = record(weather_agent(answer="Sunny, and 42."))
    b = record(weather_agent(answer="It is sunny; 2 + 40 = 42."))
    result = pregel_viz.compare(a, b)
    assert result.first is not None
    assert (result.first.step, result.first.kind, result.first.rank) == (3, "calls", "values")
    assert result.counts() == {"tasks": 0, "writes": 0, "values": 1}
    assert "~ values only" in result.text()


def test_another_model_and_a_tool_that_fails_on_one_side_only_are_told() -> None:
    a = record(weather_agent(model="careful-model"))
    b = record(weather_agent(model="hasty-model"))
    first = pregel_viz.compare(a, b).first
    assert first is not None and first.kind == "calls" and first.rank == "writes"
    assert first.details == "agent asked careful-model in A but hasty-model in B."

    @tool("divide")
    def safe_divide(a: int, b: int) -> float:
        """Divide a by b, 0 when b is 0."""
        return a / b if b else 0.0

    question = calling(("divide", {"a": 1, "b": 0}))
    fails = record(agents.tool_agent(scripted(question, AIMessage("ok")), [agents.divide]))
    works = record(agents.tool_agent(scripted(question, AIMessage("ok")), [safe_divide]))
    result = pregel_viz.compare(fails, works, labels=("old", "new"))
    (told,) = [d for d in result.differences if d.step == 2 and d.kind == "calls"]
    assert told.rank == "writes"
    assert told.details == (
        "tools' divide(a=1, b=0) failed with ZeroDivisionError in old but returned 0.0 in new."
    )


def test_a_tool_result_alone_ranks_as_a_value() -> None:
    @tool("get_weather")
    def rainy(city: str) -> str:
        """The weather in a city."""
        return f"rain in {city}"

    sunny = record(weather_agent())
    model = scripted(
        calling(("get_weather", {"city": "Paris"}), ("add", {"a": 2, "b": 40})),
        AIMessage("It is sunny in Paris."),
    )
    rain = record(agents.tool_agent(model, [rainy, agents.add]))
    result = pregel_viz.compare(sunny, rain)
    assert result.first is not None
    assert (result.first.step, result.first.kind, result.first.rank) == (2, "calls", "values")
    assert result.first.details == (
        "tools' get_weather(city='Paris') returned 'sunny in Paris' in A but 'rain in Paris' in B."
    )


class Flag(TypedDict, total=False):
    question: str
    done: bool


def asker(city: str) -> Any:
    """One node that asks a model and writes the same thing whatever it answers."""
    model = scripted(calling(("get_weather", {"city": city})))

    def ask(state: Flag) -> dict[str, Any]:
        model.invoke(state["question"])
        return {"done": True}

    g = StateGraph(Flag)
    g.add_node("ask", ask)
    g.add_edge(START, "ask")
    g.add_edge("ask", END)
    return g.compile()


def test_calls_alone_make_a_node_differ_and_unknown_calls_never_do() -> None:
    a, b = record(asker("Paris"), {"question": "?"}), record(asker("Lyon"), {"question": "?"})
    result = pregel_viz.compare(a, b)
    assert [(d.step, d.kind) for d in result.differences] == [(1, "calls")]
    sa, sb = (r.get_thread().root.supersteps[2] for r in (a, b))
    assert differing_nodes(sa, sb, a.get_thread(), b.get_thread()) == [["ask"], ["ask"]]
    same = record(asker("Paris"), {"question": "?"})
    assert pregel_viz.compare(a, same).identical
    # a run rebuilt from a checkpointer has no calls: they are not compared
    graph = agents.tool_agent(scripted(*agents.weather_script())).builder.compile(
        checkpointer=InMemorySaver()
    )
    cfg = {"configurable": {"thread_id": "t"}}
    graph.invoke(QUESTION, cfg)
    rebuilt = pregel_viz.from_checkpointer(graph, cfg)
    recorded = record(agents.tool_agent())
    assert not [d for d in pregel_viz.compare(recorded, rebuilt).differences if d.kind == "calls"]


def test_the_cli_diff_reports_the_calls(tmp_path: Path) -> None:
    pregel_viz.record(weather_agent("Paris"), QUESTION, path=tmp_path / "a.pregel")
    pregel_viz.record(weather_agent("Lyon"), QUESTION, path=tmp_path / "b.pregel")
    out = run_cli("diff", "a.pregel", "b.pregel", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert (
        "first divergence: step 1 (calls): agent's model called get_weather(city='Paris') in "
        "a.pregel but get_weather(city='Lyon') in b.pregel." in out.stdout
    ), out.stdout
    assert (
        "step 1 (values): after the step, messages[1].tool_calls[0]['args'] is "
        "{'city': 'Paris'} in a.pregel but {'city': 'Lyon'} in b.pregel." in out.stdout
    ), out.stdout
    pregel_viz.record(weather_agent("Paris"), QUESTION, path=tmp_path / "c.pregel")
    same = run_cli("diff", "a.pregel", "c.pregel", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert same.stdout.startswith(
        "identical: a.pregel and c.pregel made the same steps: the input and supersteps 0 to 3, "
        "with the same tasks, writes, values and outcome."
    ), same.stdout


# --------------------------------------------------------------------------- summary totals


def two_models() -> Any:
    """Two nodes, each asking its own model."""

    class S(TypedDict, total=False):
        question: str
        draft: str
        final: str

    usage = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    big = {"input_tokens": 200, "output_tokens": 40, "total_tokens": 240}
    drafter = scripted(AIMessage("a draft", usage_metadata=usage), model="small-model")
    editor = scripted(
        AIMessage("an edit", usage_metadata=big),
        AIMessage("a final", usage_metadata=big),
        model="big-model",
    )

    def draft(state: S) -> dict[str, Any]:
        return {"draft": drafter.invoke(state["question"]).content}

    def edit(state: S) -> dict[str, Any]:
        editor.invoke(state["draft"])
        return {"final": editor.invoke(state["draft"]).content}

    g = StateGraph(S)
    g.add_node("draft", draft)
    g.add_node("edit", edit)
    g.add_edge(START, "draft")
    g.add_edge("draft", "edit")
    g.add_edge("edit", END)
    return g.compile()


def test_the_summary_totals_calls_tokens_and_time_per_node_and_model() -> None:
    run = record(agents.tool_agent())
    lines = run.summary().splitlines()
    head = next(i for i, s in enumerate(lines) if "calls in tasks:" in s)
    assert re.fullmatch(
        rf"  calls in tasks: 2 model calls \(147 in, 30 out, 177 tokens, {TIME}\), 2 tool calls",
        lines[head],
    ), lines[head]
    rows = [s.split() for s in lines[head + 1 :]]
    assert rows[0][:2] == ["per", "node"]
    assert rows[1][:5] == ["agent", "2", "147", "30", "177"] and rows[1][-1] == "0"
    assert rows[2][:5] == ["tools", "0", "0", "0", "0"] and rows[2][-1] == "2"
    assert rows[3][:2] == ["per", "model"]
    assert rows[4][:5] == ["scripted-model-1", "2", "147", "30", "177"]
    assert len(rows) == 5


def test_the_summary_does_not_count_unreported_tokens_as_zero() -> None:
    """A streamed fake model reports no usage: its tokens are unknown, not 0 in and 0 out."""
    run = record(agents.streaming_graph(), {"messages": [HumanMessage("count")]})
    totals = call_totals(run.get_thread())
    assert (totals.total.calls, totals.total.reported) == (1, 0)
    lines = run.summary().splitlines()
    head = next(s for s in lines if "calls in tasks:" in s)
    assert re.fullmatch(
        rf"  calls in tasks: 1 model call \(no token usage reported, {TIME}\), 0 tool calls", head
    ), head
    rows = {
        r[0]: r for r in (s.split() for s in lines) if r and r[0] in ("agent", "streaming-model")
    }
    assert rows["agent"][1:5] == ["1", "—", "—", "—"]
    assert rows["streaming-model"][1:5] == ["1", "—", "—", "—"]
    # with usage reported, the counts stay
    assert "2 model calls (147 in, 30 out, 177 tokens" in record(agents.tool_agent()).summary()


def test_the_summary_puts_the_node_and_model_that_burn_most_tokens_first() -> None:
    run = record(two_models(), {"question": "write"})
    totals = call_totals(run.get_thread())
    assert list(totals.nodes) == ["draft", "edit"]  # the order they called in
    assert totals.nodes["edit"].models.calls == 2
    assert totals.nodes["edit"].models.total_tokens == 480
    assert totals.models["small-model"].total_tokens == 15
    assert totals.total.total_tokens == 495
    text = run.summary()
    rows = [s.split() for s in text.splitlines()]
    names = [r[0] for r in rows if r and r[0] in ("draft", "edit", "small-model", "big-model")]
    assert names == ["edit", "draft", "big-model", "small-model"]
    assert "3 model calls (210 in, 85 out" not in text  # in and out add up per call
    assert "3 model calls (410 in, 85 out, 495 tokens" in text


def test_a_subgraph_node_is_named_by_its_path_and_a_graph_without_calls_has_no_totals() -> None:
    run = record(agents.agent_in_subgraph())
    assert list(call_totals(run.get_thread()).nodes) == ["assistant|agent", "assistant|tools"]
    assert "assistant|agent" in run.summary()
    plain = StateGraph(Flag)
    plain.add_node("ask", lambda s: {"done": True})
    plain.add_edge(START, "ask")
    run = record(plain.compile(), {"question": "?"})
    assert "calls in tasks" not in run.summary()
    assert call_totals(run.get_thread()).lines() == []


@pytest.mark.parametrize("command", ["info"])
def test_the_cli_prints_the_totals(tmp_path: Path, command: str) -> None:
    log = tmp_path / "agent.pregel"
    pregel_viz.record(agents.tool_agent(), QUESTION, path=log)
    out = run_cli(command, str(log), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "calls in tasks: 2 model calls (147 in, 30 out, 177 tokens" in out.stdout
    assert re.search(r"scripted-model-1\s+2\s+147\s+30\s+177", out.stdout), out.stdout
