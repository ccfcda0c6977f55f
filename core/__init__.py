"""Application core: factory, configuration, database, clock, crypto, i18n, errors."""
