"""The HTTP edge: the resolvers (`resolver`, `toolkit_resolver`), who is calling (`caller`), the
path/query/header parameters (`params`), the one error table (`error_table`, which imports no HTTP
framework so the domain can use it) and the API document (`document`), plus the Powertools patches
in one place (`powertools_patches`). Importing this package imports nothing."""
