"""Small tool-calling agents for tests: LangChain's own fake chat models, scripted with
AIMessages that carry tool calls and token usage, real @tool functions and LangGraph's ToolNode.
No network."""

from __future__ import annotations

import operator
import warnings
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition

MODEL = "scripted-model-1"


class ScriptedChat(FakeMessagesListChatModel):
    """Answers with its scripted messages in turn; binding tools changes nothing."""

    model_name: str = MODEL

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChat:
        return self


class StreamingChat(GenericFakeChatModel):
    """Streams its scripted messages word by word."""

    model_name: str = "streaming-model"

    def bind_tools(self, tools: Any, **kwargs: Any) -> StreamingChat:
        return self


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def divide(a: int, b: int) -> float:
    """Divide a by b."""
    return a / b


FIRST_USAGE = {"input_tokens": 57, "output_tokens": 18, "total_tokens": 75}
SECOND_USAGE = {"input_tokens": 90, "output_tokens": 12, "total_tokens": 102}
ANSWER = "It is sunny in Paris, and 2 + 40 = 42."


def weather_script() -> list[BaseMessage]:
    """Two parallel tool calls, then the final answer."""
    return [
        AIMessage(
            "",
            tool_calls=[
                {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_weather"},
                {"name": "add", "args": {"a": 2, "b": 40}, "id": "call_add"},
            ],
            usage_metadata=FIRST_USAGE,  # type: ignore[arg-type]
        ),
        AIMessage(ANSWER, usage_metadata=SECOND_USAGE),  # type: ignore[arg-type]
    ]


def tool_agent(
    model: Any = None, tools: list[Any] | None = None, *, handle_tool_errors: bool = True
) -> Any:
    """agent -> tools -> agent ..., the classic loop, with LangGraph's ToolNode."""
    model = model if model is not None else ScriptedChat(responses=weather_script())
    tools = tools if tools is not None else [get_weather, add, divide]

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_node("tools", ToolNode(tools, handle_tool_errors=handle_tool_errors))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition, ["tools", END])
    g.add_edge("tools", "agent")
    return g.compile()


def async_tool_agent() -> Any:
    model = ScriptedChat(responses=weather_script())

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_node("tools", ToolNode([get_weather, add]))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition, ["tools", END])
    g.add_edge("tools", "agent")
    return g.compile()


def react_agent() -> Any:
    """LangGraph's prebuilt agent (tool calls run as parallel Send tasks)."""
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moved to langchain.agents in LangGraph 1.0
        return create_react_agent(ScriptedChat(responses=weather_script()), [get_weather, add])


class OuterState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    done: Annotated[list[str], operator.add]


def agent_in_subgraph() -> Any:
    """The tool agent as a node of an outer graph."""
    inner = tool_agent()
    g = StateGraph(OuterState)
    g.add_node("assistant", inner)
    g.add_node("wrap_up", lambda s: {"done": ["yes"]})
    g.add_edge(START, "assistant")
    g.add_edge("assistant", "wrap_up")
    g.add_edge("wrap_up", END)
    return g.compile()


def prompt_chain_graph() -> Any:
    """A node that runs ``ChatPromptTemplate | model``."""
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer in one word."), ("human", "{question}")]
    )
    chain = prompt | ScriptedChat(
        responses=[
            AIMessage(
                "Paris", usage_metadata={"input_tokens": 11, "output_tokens": 1, "total_tokens": 12}
            )
        ]  # type: ignore[arg-type]
    )

    class S(TypedDict):
        question: str
        answer: str

    def answer(state: S) -> dict[str, Any]:
        return {"answer": chain.invoke({"question": state["question"]}).content}

    g = StateGraph(S)
    g.add_node("answer", answer)
    g.add_edge(START, "answer")
    g.add_edge("answer", END)
    return g.compile()


def streaming_graph(text: str = "one two three four") -> Any:
    """A node that streams its model's answer."""
    model = StreamingChat(messages=iter([AIMessage(text)]))

    def agent(state: MessagesState) -> dict[str, Any]:
        chunks = list(model.stream(state["messages"]))
        message = chunks[0]
        for c in chunks[1:]:
            message = message + c
        return {"messages": [AIMessage(message.content)]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    g.add_edge("agent", END)
    return g.compile()
