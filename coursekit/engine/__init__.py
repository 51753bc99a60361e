"""The engine: runs a notebook and its probes in a (sandboxed) child and reads back raw outputs."""
