"""The conversation's machinery, shared by every feature: the neutral message types, the context of one
message, the form engine and its steps, buttons and numbered menus, permissions, the audit log's door, and the
outbox's door for what the bot says on its own."""
