"""Nothing sent twice: Powertools Idempotency over the project's own store.

- `persistence`: the Powertools persistence layer over the token store (no boto3, no DynamoDB),
  with the replay answers encrypted;
- `guard`: one route's Powertools config and guarded function (built by `factories.get_write_guard`);
- `writes`: `IdempotentWrite`, what a toolkit write runs under (one per route).

Importing this package imports nothing: import the module you need (`persistence` first when both,
see its docstring on keeping boto3 out of a function's cold start).
"""
