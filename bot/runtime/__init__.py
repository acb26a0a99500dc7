"""The running bot, whatever the platform: the inbound journal, the conversation that answers it, the outbox
and its sender, the scheduler and its leader, webhooks, exports, retention, logs."""
