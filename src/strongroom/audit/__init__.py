"""The audit trail: CloudTrail-shaped events, hash-chained, durable before the reply.

- ``events``: building the CloudTrail record of an API call or a service event.
- ``parameters``: which request and response members each operation may log.
- ``chain``: canonical JSON, the chain hash, appending events in a transaction.
- ``recorder``: group commit of events from concurrent requests.
- ``digests``: the audit signing key and the signed digests of the chain.
- ``verify``: checking the chain and the digests offline.
- ``retention``: pruning old events up to a signed digest.
"""
