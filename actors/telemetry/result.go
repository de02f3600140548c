package telemetry

import (
	"encoding/xml"
	"fmt"
	"time"
)

// Result codes, as upload_compliance_result.xml writes them ("Reporting options").
const (
	CodeSuccess     = "CTX_UPLOADER_SUCCESS"
	CodeNetworkOpen = "CTX_UPLOADER_ERROR_NETWORK_OPEN" // cannot reach the endpoint or the proxy
	CodeHTTP        = "CTX_UPLOADER_ERROR_HTTP"         // the endpoint answered with an error
	CodeNoEndpoint  = "CTX_UPLOADER_ERROR_NO_ENDPOINT"  // no endpoint configured
	CodeBundle      = "CTX_UPLOADER_ERROR_BUNDLE"       // the bundle could not be made
)

// Result is the last upload's outcome: kept in the store and shown by the API, lmstat -s
// and lmservice -query.
type Result struct {
	Time       time.Time `json:"time"`
	OK         bool      `json:"ok"`
	Code       string    `json:"code"`
	Message    string    `json:"message,omitempty"`
	Arg        string    `json:"arg,omitempty"` // the host:port concerned
	UploadType string    `json:"uploadType"`    // Auto or Manual ("Upload now")
	Endpoint   string    `json:"endpoint,omitempty"`
	HTTPStatus int       `json:"httpStatus,omitempty"`
	Bundles    []string  `json:"bundles,omitempty"`
}

// Summary is the result in one line.
func (r Result) Summary() string {
	if r.OK {
		return fmt.Sprintf("succeeded at %s (%d bundles to %s)", r.Time.UTC().Format(time.RFC3339), len(r.Bundles), r.Endpoint)
	}
	s := fmt.Sprintf("failed at %s: %s", r.Time.UTC().Format(time.RFC3339), r.Code)
	if r.Message != "" {
		s += ": " + r.Message
	}
	return s
}

// XML is the result in the shape of upload_compliance_result.xml.
func (r Result) XML() ([]byte, error) {
	v := struct {
		XMLName    xml.Name `xml:"CtxUploaderResult"`
		Code       string   `xml:"Code"`
		Msg        string   `xml:"Msg"`
		Arg        string   `xml:"Arg,omitempty"`
		T          int64    `xml:"t"`
		UploadType string   `xml:"UploadType"`
	}{Code: r.Code, Msg: r.Message, Arg: r.Arg, T: r.Time.Unix(), UploadType: "CTX_UPLOAD_TYPE_COMPLIANCE"}
	b, err := xml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("telemetry: encode the upload result: %w", err)
	}
	return b, nil
}
