// Package license is the license-file language of licd: it parses FLEXlm-style license
// files (SERVER, VENDOR, USE_SERVER, INCREMENT and FEATURE lines), canonicalises, signs and
// verifies INCREMENT lines with Ed25519, checks host binding, groups lines into pools and
// parses the options file. It is pure Go with no I/O beyond reading files and no actors.
//
// Sections cited are the manual's ("License files", "License file format", "Options file").
package license
