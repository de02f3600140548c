package http

import (
	"bytes"
	"mime/multipart"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/licd/licd/license"
)

func multipartBody(t testing.TB, parts map[string]string, fileName, file string) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range parts {
		_ = mw.WriteField(k, v)
	}
	if fileName != "" {
		fw, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(file))
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestDecodeUpload: a license file upload is multipart with a "file" part; its name comes
// from the file name (without any directory a browser sends) or a "name" part; "replace"
// is true or false; anything else is refused with what to send.
func TestDecodeUpload(t *testing.T) {
	ct, body := multipartBody(t, map[string]string{"replace": "true"}, `C:\Users\me\new.lic`, "INCREMENT ...")
	up, err := decodeUpload(ct, bytes.NewReader(body))
	if err != nil || up.Name != "new.lic" || !up.Replace || string(up.Content) != "INCREMENT ..." {
		t.Fatalf("got %+v, %v", up, err)
	}
	ct, body = multipartBody(t, map[string]string{"name": "other.lic"}, "../x.lic", "x")
	if up, err := decodeUpload(ct, bytes.NewReader(body)); err != nil || up.Name != "other.lic" || up.Replace {
		t.Fatalf("name part: got %+v, %v", up, err)
	}
	type tcase struct {
		ct   string
		body []byte
		want int
	}
	form := func(parts map[string]string, fileName, file string, want int) tcase {
		ct, b := multipartBody(t, parts, fileName, file)
		return tcase{ct, b, want}
	}
	for name, tc := range map[string]tcase{
		"json":         {"application/json", []byte(`{}`), 415},
		"no boundary":  {"multipart/form-data", body, 415},
		"no file":      form(map[string]string{"replace": "true"}, "", "", 400),
		"bad replace":  form(map[string]string{"replace": "maybe"}, "a.lic", "x", 400),
		"unknown part": form(map[string]string{"colour": "red"}, "a.lic", "x", 400),
		"too large":    form(nil, "a.lic", strings.Repeat("x", license.MaxFileBytes+1), 413),
		"truncated":    {ct, body[:len(body)/2], 400},
	} {
		_, err := decodeUpload(tc.ct, bytes.NewReader(tc.body))
		ue, ok := err.(*uploadError)
		if !ok || ue.status != tc.want {
			t.Errorf("%s: got %v, want status %d", name, err, tc.want)
		}
	}
}

// FuzzDecodeUpload: whatever the form, the decoder answers an upload with a name and at
// most a license file's size, or a 4xx problem; it never panics.
func FuzzDecodeUpload(f *testing.F) {
	ct, body := multipartBody(f, map[string]string{"replace": "true"}, "new.lic", "INCREMENT x")
	f.Add(ct, body)
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.lic\"\r\n\r\nabc\r\n--x--\r\n"))
	f.Add("text/plain", []byte("hello"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		up, err := decodeUpload(ct, bytes.NewReader(body))
		if err != nil {
			ue, ok := err.(*uploadError)
			if !ok || ue.status < 400 || ue.status > 499 {
				t.Fatalf("error %v is not a 4xx problem", err)
			}
			return
		}
		// The name is checked by the daemon (a plain *.lic name); here it is never empty.
		if up.Name == "" || len(up.Content) > license.MaxFileBytes {
			t.Fatalf("accepted %q with %d bytes", up.Name, len(up.Content))
		}
	})
}

// FuzzDecodeSettings: a settings change through the HTTP decoder is accepted whole or
// refused with a 4xx problem, never a panic or a 5xx.
func FuzzDecodeSettings(f *testing.F) {
	for _, s := range []string{`{"lm_port": 27001}`, `{"history_retention": "720h"}`, `{"burst_mode": true, "proxy": ""}`, `{`, `null`, `{"x":1}`} {
		f.Add("application/json", []byte(s))
	}
	f.Add("text/plain", []byte(`{"lm_port": 27001}`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r := httptest.NewRequest("PUT", "/api/v1/settings", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		up, ok := decodeSettings(w, r)
		if ok {
			if len(up) == 0 || w.Code != nethttp.StatusOK {
				t.Fatalf("accepted an empty update or wrote %d", w.Code)
			}
			return
		}
		if w.Code < 400 || w.Code > 499 || !strings.Contains(w.Header().Get("Content-Type"), "problem+json") {
			t.Fatalf("refusal %d %q", w.Code, w.Header().Get("Content-Type"))
		}
	})
}
