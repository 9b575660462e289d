//! Host integration: channel adapters, event sinks, customer lookup, the driver, clocks and the command journal.
