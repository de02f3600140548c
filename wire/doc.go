// Package wire is the protocol between product servers and licd: framing, messages,
// version negotiation (specified in PROTOCOL.md), and the Go client library that products
// and licbench embed, including the manual's License caching mode.
package wire
