"""Channel adapters: each turns its own wire format into an InboundMessage and back."""
