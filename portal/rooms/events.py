"""Socket.IO handlers for the /chat namespace (DESIGN §5)."""
