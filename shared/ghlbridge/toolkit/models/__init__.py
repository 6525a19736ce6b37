"""The toolkit API's JSON models, one module per resource (`base` holds what they share).

Deliberately empty: a function imports only the modules of its routes, so its container defines
(and, on first use, builds) only those models.
"""
