"""Lesson 11: a tool-calling agent, from the inside.

The classic agent loop: ``agent`` asks a chat model; when the model's answer asks for tools,
LangGraph's ``ToolNode`` (``tools``) runs them and hands the results back as ``ToolMessage``s,
and ``agent`` asks again. The model is LangChain's fake chat model, scripted with the answers a
real one would give (tool calls, token usage): no network, no API key, the same run every time.

Two models answer the same question, one thread each: ``careful-model`` asks for the right
tools at once; ``hasty-model`` divides by zero first (``ToolNode`` hands the error back to it)
and needs one more round.
"""

from typing import Any

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

import pregel_viz

QUESTION = "What's the weather in Paris, and what is 84 divided by 2?"
THREADS = {"careful": "careful-model", "hasty": "hasty-model"}


class ScriptedModel(FakeMessagesListChatModel):
    """A chat model that answers with its scripted messages in turn (tools bound or not)."""

    model_name: str = "scripted-model"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "ScriptedModel":
        return self


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@tool
def divide(a: int, b: int) -> float:
    """Divide a by b."""
    return a / b


def _asks(*calls: tuple[str, dict[str, Any]], tokens: tuple[int, int]) -> AIMessage:
    """An answer that calls tools, with the token usage a provider would report."""
    return AIMessage(
        "",
        tool_calls=[
            {"name": n, "args": a, "id": f"call_{n}_{i}"} for i, (n, a) in enumerate(calls)
        ],
        usage_metadata=_usage(*tokens),
    )


def _usage(sent: int, received: int) -> Any:
    return {"input_tokens": sent, "output_tokens": received, "total_tokens": sent + received}


def scripts() -> dict[str, list[BaseMessage]]:
    """What each model answers, in turn."""
    return {
        "careful-model": [
            _asks(
                ("get_weather", {"city": "Paris"}), ("divide", {"a": 84, "b": 2}), tokens=(64, 22)
            ),
            AIMessage("It is sunny in Paris, and 84 / 2 = 42.", usage_metadata=_usage(118, 15)),
        ],
        "hasty-model": [
            _asks(
                ("get_weather", {"city": "Paris"}), ("divide", {"a": 84, "b": 0}), tokens=(64, 20)
            ),
            _asks(("divide", {"a": 84, "b": 2}), tokens=(131, 11)),
            AIMessage("Sunny in Paris; 84 / 2 is 42.", usage_metadata=_usage(160, 12)),
        ],
    }


def build_graph(checkpointer: Any = None) -> Any:
    """agent -> tools -> agent ... -> END; the thread's config picks the model."""
    models = {
        name: ScriptedModel(responses=msgs, model_name=name) for name, msgs in scripts().items()
    }
    tools = [get_weather, divide]

    def agent(state: MessagesState, config: RunnableConfig) -> dict[str, Any]:
        model = models[config["configurable"]["model"]].bind_tools(tools)
        return {"messages": [model.invoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    # handle_tool_errors=True: a tool's error goes back to the model as a ToolMessage
    g.add_node("tools", ToolNode(tools, handle_tool_errors=True))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition, ["tools", END])
    g.add_edge("tools", "agent")
    return g.compile(checkpointer=checkpointer, name="weather_agent")


def record_lesson(path: Any = None) -> pregel_viz.Run:
    """One thread per model, same question."""
    graph = build_graph()
    with pregel_viz.recording(graph, path) as rec:
        for thread, model in THREADS.items():
            config = {"configurable": {"thread_id": thread, "model": model}}
            graph.invoke({"messages": [HumanMessage(QUESTION)]}, config)
    return rec.run
