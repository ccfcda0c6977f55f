"""A minimal RapidSMS project answering SIGAP's Twilio webhook, the peer of the benchmark."""
