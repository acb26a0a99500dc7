"""The conversation, pure of any platform: Incoming + database session → list of Reply."""
