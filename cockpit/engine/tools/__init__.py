"""Agent tools: workspace files, bash, memory, and the registry."""

from cockpit.engine.tools.base import (
    MemoryBackend,
    Tool,
    ToolContext,
    ToolInputError,
    ToolResult,
)
from cockpit.engine.tools.registry import ToolRegistry, builtin_tools

__all__ = [
    "MemoryBackend",
    "Tool",
    "ToolContext",
    "ToolInputError",
    "ToolRegistry",
    "ToolResult",
    "builtin_tools",
]
