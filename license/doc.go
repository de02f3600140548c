// Package license is the license-file language of licd: it parses FLEXlm-style license
// files (SERVER, VENDOR, USE_SERVER, INCREMENT and FEATURE lines), canonicalises, signs and
// verifies INCREMENT lines with Ed25519, checks host binding, groups lines into pools and
// parses the options file. It is pure Go with no I/O beyond reading files and no actors.
//
// Sections cited are the manual's ("License files", "License file format", "Options file").
//
// # Reading files
//
// Parse and ParseFile read any FLEXlm-style file, Citrix's or another vendor's: a syntax
// problem is an *Error with the file, the physical line and a hint, and the other lines still
// parse (scan.go documents the lexical rules: continuations, comments, quoting). Unknown
// attributes are kept in Line.Attrs. FEATURE lines are read and pooled like INCREMENT lines
// (their counts add up); Citrix files only use INCREMENT.
//
// # Models and dates
//
// ModelOfFeature maps the model code of PRODUCT_EDITION_MODEL to a Model through one table
// (model.go). ParseDate reads dd-mmm-yyyy and "permanent"; CSSDate is the YYYY.MMDD version
// field. Expiry dates are usable through the end of their day (UTC).
//
// # Signing
//
// CanonicalForm, SignLine, VerifyLine and FormatLine are specified in SIGNING.md; licgen
// (cmd/licgen) is the vendor's tool over them.
//
// # Loading an inventory
//
// LoadDir and LoadFiles turn the license directory into pools: lines are checked for vendor,
// host binding (HostIdentity.Matches), signature, model and CSS date, SUPERSEDE and
// SUPERSEDE_SIGN switch lines off, START and expiry sort lines into Pending and Expired, and
// the remaining lines are grouped into Pools (see Pool for which attributes group). Every line
// that does not load is a Rejection with its reason. Loading reads no clock and no environment:
// time and host come in LoadOptions.
package license
