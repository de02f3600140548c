// Package http is licd's administration surface: the chi JSON API ("Web Services for
// Licensing") and the embedded Licensing Manager web console, with authentication and TLS.
package http
