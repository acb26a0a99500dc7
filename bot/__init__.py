"""The application: settings, command line, channel adapters (Telegram, console) and the seed loader."""
