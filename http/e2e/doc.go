// Package e2e holds the end-to-end tests of the admin API ("Web Services for Licensing"):
// real licd processes on 127.0.0.1 with random ports, spoken to over real HTTPS by a client
// that trusts licd's certificate. It has no code of its own.
package e2e
