"""The HTTP edge: the resolvers (`resolver`, `toolkit_resolver`), who is calling (`caller`), the
path/query/header parameters (`params`) and the API document (`document`), plus the Powertools
patches in one place (`powertools_patches`). The error table it answers with is the layer's own
(`ghlbridge.error_table`), which the domain uses too. Importing this package imports nothing."""
