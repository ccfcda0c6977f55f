"""The one RapidSMS app of the peer: it acknowledges every message, and its Twilio backend."""
