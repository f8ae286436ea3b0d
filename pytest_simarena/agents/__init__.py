"""Agents of every kind on the live embedded cluster: the tool set, the MCP server, the LLM agent.

:mod:`.tools` defines the tools once (names, JSON schemas, implementations); :mod:`.mcp_server` serves
them over MCP with the official SDK; :mod:`.llm` drives an OpenAI-compatible chat endpoint over them.
"""
