"""The API's routes: one module per area, each paired with api/services/ where it has logic."""
