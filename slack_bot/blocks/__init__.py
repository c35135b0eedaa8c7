"""Block Kit as data: pure functions from ledger objects to lists of blocks and views.

Every builder keeps within Slack's limits (see ``common``): a message never carries more
than 50 blocks, a section's text never exceeds 3,000 characters.
"""
