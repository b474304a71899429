"""The audit trail for reviewers, in one place: the trail of people's steps (`trail`), its
words (`describe`), the check of the hash chain (`verify`), signed checkpoints
(`checkpoint`) and their key (`keys`), the reviewer's bundle (`bundle`), the refusals
(`errors`), and the commands' decisions (`service`).

The chain's formula is the domain's (`domain/chain.py`); the writer that extends the chain
with each save is the event store's (`workflow/store.py`).
"""
