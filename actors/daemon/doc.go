// Package daemon is licd's vendor daemon assembled: it opens the store, loads the license
// files and the options file, starts the actor engine, and serves the product protocol on
// the license-manager port (27000) and the vendor daemon port (7279), with the admin
// requests (reread, shutdown, status) that utilities send over the same protocol.
package daemon
