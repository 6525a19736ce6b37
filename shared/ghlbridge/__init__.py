"""ghlbridge: the Lambda layer shared by every function (GHL client, token store, OAuth lifecycle).

Importing this package does nothing: every module builds what it needs on first use.
"""
