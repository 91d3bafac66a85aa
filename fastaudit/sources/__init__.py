"""Where bytes come from: working-tree files, staged files, git blobs.

Sources know nothing about keys; they hand bytes (or chunks of bytes) to the engine.
"""
