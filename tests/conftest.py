import pathlib
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_hook_left_installed() -> Iterator[None]:
    """Every test leaves LangGraph as it found it: no graph still patched by a recording that
    was not closed, no automatic recording left on (which would record, and slow, every test
    after it). A test that leaves one errors here, and the hook is taken out for the next."""
    yield
    from pregel_viz.recorder import auto, installed_hooks

    left = installed_hooks()
    if left:
        auto.disable()
        pytest.fail("left installed after the test:\n  " + "\n  ".join(left), pytrace=False)


# one `langgraph dev` per session, for every test file that asks for it
from langgraph_server import langgraph_server  # noqa: E402, F401
