"""tests/lib/fault_proxy.py's parts: rules, shared state, the request handler."""
