"""The toolkit API: what the sales toolkit asks of GHL for one location, on behalf of one signed-in
user. The function files (`functions/opportunities/`, `functions/outreach/`) only declare routes;
everything else is here.

- `resolver`: the toolkit resolver (validation on; caller authenticated and body size checked
  BEFORE validation), the per-request context, and the answer of an idempotent write.
- `params`, `models`: the path/query/header parameters and the JSON models, camelCase.
- `access`: the membership check (403 before any GHL call) and the location's GHL clients.
- `idempotent`: "nothing sent twice" — Powertools Idempotency over the token store.
- `cursor`: opaque, signed, filter-bound list cursors.
- `pipelines`, `opportunities`, `notes`, `calls`, `emails`, `calendars`: one module per resource.
"""
