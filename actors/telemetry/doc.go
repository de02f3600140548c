// Package telemetry is the usage data licd collects about itself and may upload: the
// manual's data collection programs ("Citrix Licensing data collection programs": Call
// Home, the Customer Experience Improvement Program, License Server events and Licensing
// Telemetry), the report each of them carries (SCHEMA.md, schema.json), the de-identification
// of user, device and host names with a keyed hash (What's new, build 48000,
// "PrivacySetting"), the bundles written to the data directory with their manifest
// ("Reporting options": upload_compliance_*.zip, upload_usage_*.zip), their pruning, the
// upload schedule (first about five minutes after start, then daily; a failed upload retried
// after 24 hours with jitter and back-off; "Upload now" at most every five minutes), the
// last result in the shape of upload_compliance_result.xml, and the 90-day compliance rule.
//
// Everything here is plain deterministic Go: no I/O but to the writers given, no clock but
// the times passed in. The daemon (actors/daemon, telemetry.go) gathers the Input from a
// Pebble snapshot, writes and uploads the bundles.
package telemetry
