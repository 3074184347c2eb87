"""Agent tools: workspace files, bash, memory, and the registry."""
