package wire

import "strconv"

// Code is a stable numeric result code carried on the wire. Where FLEXlm has a public error
// number for the same situation, licd uses it (so that administrators' habits and monitoring
// rules carry over); licd's own codes start at -1000. Codes are append-only: never renumber
// one, retire it with a placeholder comment instead.
type Code int32

// The catalogue. Texts are in FLEXlm's spirit: what happened, in one sentence.
const (
	OK Code = 0

	// FLEXlm numbers.
	CodeNoLicenseFile         Code = -1  // utilities: -c names no readable license file or server
	CodeLicensedNumberReached Code = -4  // every license of the feature is in use
	CodeNoSuchFeature         Code = -5  // no pool serves this feature
	CodeBadChecksum           Code = -8  // utilities: a license line's ck= does not match its content
	CodeExpired               Code = -10 // the feature's licenses are past their expiry date
	CodeProtocol              Code = -12 // malformed or oversized frame; the connection is closed
	CodeCannotConnect         Code = -15 // client side: no server answered
	CodeVersionNewer          Code = -21 // product version date is after every license's CSS date
	CodeNotYetStarted         Code = -31 // every matching license has a START date in the future
	CodeExcluded              Code = -38 // options file EXCLUDE/EXCLUDEALL
	CodeNotIncluded           Code = -39 // options file INCLUDE/INCLUDEALL lists others only
	CodeMaxReached            Code = -87 // options file MAX for this user/host/group reached
	CodeShuttingDown          Code = -96 // the server is shutting down
	CodeVendorDown            Code = -97 // lmdown -vendor stopped the vendor daemon (FLEXlm's "desired vendor daemon is down")

	// licd's own numbers.
	CodeOverLimitAfterReconcile Code = -1001 // "License caching mode example": usage must fall back within the count first
	CodeBadName                 Code = -1002 // user or device name empty, oversized or not UTF-8
	CodeNotAuthorized           Code = -1003 // admin request without the local admin token
	CodeNotLocal                Code = -1004 // admin request from a non-loopback address
	CodeUnknownHandle           Code = -1005 // checkin of a handle this server does not hold
	CodeModelMismatch           Code = -1006 // the request does not fit the feature's license model
	CodeInternal                Code = -1007 // a server fault; the request may be retried
	CodeNoSession               Code = -1008 // a request before the hello/start-up checkout
	CodeDisabled                Code = -1009 // the operation is switched off in the server's settings
	CodeBadRequest              Code = -1010 // a well-formed frame whose fields are invalid
	CodeReserved                Code = -1011 // free licenses are all reserved for others by the options file
	CodeNotHolder               Code = -1012 // checkin of a handle (or device) held by another product session
	CodeReconcileRefused        Code = -1013 // a reconcile outside the reconnect of a known session, or beyond the installed count
	CodeTooManySessions         Code = -1014 // hellos from one address too fast, or too many sessions from it
	CodeNotAuthenticated        Code = -1015 // the product credential is missing or wrong
)

var codeText = map[Code]string{
	OK:                          "OK",
	CodeNoLicenseFile:           "Cannot find license file.",
	CodeBadChecksum:             "Invalid (inconsistent) license key.",
	CodeLicensedNumberReached:   "Licensed number of users already reached.",
	CodeNoSuchFeature:           "No such feature exists.",
	CodeExpired:                 "Feature has expired.",
	CodeProtocol:                "Invalid data received; the connection is closed.",
	CodeCannotConnect:           "Cannot connect to license server system.",
	CodeVersionNewer:            "License file does not support this version: the product's version date is after every license's Customer Success Services date.",
	CodeNotYetStarted:           "Feature start date is in the future.",
	CodeExcluded:                "User/host on EXCLUDE list for feature.",
	CodeNotIncluded:             "User/host not on INCLUDE list for feature.",
	CodeMaxReached:              "Checkout exceeds MAX specified in options file.",
	CodeShuttingDown:            "License server is shutting down.",
	CodeVendorDown:              "The desired vendor daemon is down.",
	CodeOverLimitAfterReconcile: "Licenses in use exceed the installed count after a reconcile; no new checkouts until usage is back within it.",
	CodeBadName:                 "User or device name is empty, too long or not valid UTF-8.",
	CodeNotAuthorized:           "Not authorised: the admin token is missing or wrong.",
	CodeNotLocal:                "This command can only be run locally on the license server.",
	CodeUnknownHandle:           "No such license handle.",
	CodeModelMismatch:           "The request does not match the feature's license model.",
	CodeInternal:                "Internal license server error; try again.",
	CodeNoSession:               "No start-up checkout on this connection: send hello first.",
	CodeDisabled:                "This operation is disabled in the license server's settings.",
	CodeBadRequest:              "Invalid request.",
	CodeReserved:                "All free licenses are reserved for other users or hosts by the options file.",
	CodeNotHolder:               "This license is held by another product session; only its holder can check it in.",
	CodeReconcileRefused:        "Reconcile refused: only a reconnecting product may state its holdings, and only up to the installed count.",
	CodeTooManySessions:         "Too many product sessions or hellos from this address; try again later.",
	CodeNotAuthenticated:        "Product not authenticated: the product credential is missing or wrong.",
}

// Text is the catalogue text of c.
func (c Code) Text() string {
	if t, ok := codeText[c]; ok {
		return t
	}
	return "Unknown error " + strconv.Itoa(int(c)) + "."
}

// ExitStatus is the process exit status a utility gives for c, as FLEXlm's utilities do:
// the error number modulo 256 (-15, cannot connect, exits 241).
func (c Code) ExitStatus() int {
	return int(uint8(int32(c)))
}

// Error is a Code with an optional detail; it is the error type of denials and failures.
type Error struct {
	Code   Code
	Detail string // what, where, what to do; may be empty
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Code.Text() + " (" + strconv.Itoa(int(e.Code)) + ")"
	}
	return e.Code.Text() + " (" + strconv.Itoa(int(e.Code)) + ") " + e.Detail
}

// Errorf builds an *Error with a detail.
func Errorf(c Code, detail string) *Error { return &Error{Code: c, Detail: detail} }
