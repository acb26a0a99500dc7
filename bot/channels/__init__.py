"""Channel adapters: each turns its platform's updates into Incoming and renders Reply its own way."""
