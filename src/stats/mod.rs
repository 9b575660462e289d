//! Measurement: service levels, live statistics, interval reports, interaction records and contact history.
